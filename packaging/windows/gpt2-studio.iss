; Inno Setup 6 script for GPT-2 Studio: a per-user installer (no administrator rights) for the one-folder
; PyInstaller bundle. packaging\build.ps1 builds the bundle, runs its self-test and then compiles this:
;
;   ISCC.exe /DAppVersion=0.1.0 /DBundleDir=C:\src\gpt2-studio\dist\gpt2-studio ^
;            /DOutputDir=C:\src\gpt2-studio\dist packaging\windows\gpt2-studio.iss
;
; Output: GPT-2-Studio-<version>-windows-x64[-cuda]-setup.exe. Installs to
; %LOCALAPPDATA%\Programs\GPT-2 Studio, adds a Start menu entry (and, if chosen, a desktop icon) and an
; uninstaller in Settings > Apps. Models and settings live in the user's own folders and are kept on
; uninstall. Keep the names here in step with packaging\gpt2_studio.spec (EXE_NAME, the ico file).

#if VER < EncodeVer(6, 3, 0)
  #error Inno Setup 6.3 or newer is needed (x64compatible architectures)
#endif

#define AppName "GPT-2 Studio"
#define ExeName "gpt2-studio.exe"
#ifndef AppVersion
  #error Pass the version: ISCC /DAppVersion=X.Y.Z (build.ps1 reads it from gpt2_studio\__init__.py)
#endif
#ifndef AppNumericVersion
  ; Windows version resources take numbers only (0.2.0rc1 -> 0.2.0).
  #define AppNumericVersion AppVersion
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\gpt2-studio"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif
; "" for the CPU build, "-cuda" for the CUDA build (a separate, much bigger bundle).
#ifndef Flavor
  #define Flavor ""
#endif

[Setup]
; One AppId for both builds: installing the CUDA build replaces the CPU build and the other way round.
AppId={{6B0F2F0E-6A57-4C3B-9D2E-4F1E8C3A7B21}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=GPT-2 Studio developers
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductName={#AppName}
; Per user: no UAC prompt, installed under the user's profile.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\{#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=GPT-2-Studio-{#AppVersion}-windows-x64{#Flavor}-setup
SetupIconFile=..\..\resources\icons\gpt2-studio.ico
UninstallDisplayIcon={app}\{#ExeName}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
LZMAUseSeparateProcess=yes
#if Flavor == "-cuda"
; A CUDA bundle is several GB: split it into setup-*.bin files next to the .exe.
DiskSpanning=yes
DiskSliceSize=max
#endif
; The app holds its files open while running; ask to close it before replacing them.
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade must not keep libraries of the previous version next to the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#ExeName}"; Comment: "Write with a local GPT-2 model"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#ExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#ExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
