<#
.SYNOPSIS
Build GPT-2 Studio for Windows: the frozen app (PyInstaller), its self-test, and the Inno Setup installer.

.DESCRIPTION
1. installs the pinned build tools (constraints.txt) into the build environment,
2. freezes the app with packaging\gpt2_studio.spec (one-folder, windowed),
3. runs the frozen gpt2-studio.exe --self-test and stops if it fails (a windowed exe has no console:
   the report is read from its log file and printed here),
4. prints the bundle size and compiles packaging\windows\gpt2-studio.iss with Inno Setup 6.3+ into
   dist\GPT-2-Studio-<version>-windows-x64[-cuda]-setup.exe.

.PARAMETER Cuda
Build from .venv-cuda, an environment with a CUDA torch (default: CPU, from .venv). A CUDA torch cannot
be slimmed to a CPU one afterwards, so the two are separate builds from separate environments.

.EXAMPLE
powershell -ExecutionPolicy Bypass -File packaging\build.ps1
powershell -ExecutionPolicy Bypass -File packaging\build.ps1 -Cuda
#>
param(
    [switch]$Cuda,
    [string]$Python = "",
    [string]$Dist = "",
    [string]$Work = "",
    [switch]$NoInstaller,
    [switch]$NoToolInstall
)
$ErrorActionPreference = "Stop"
$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root

$Flavor = if ($Cuda) { "cuda" } else { "cpu" }
$Suffix = if ($Cuda) { "-cuda" } else { "" }
if (-not $Python) { $Python = if ($Cuda) { ".venv-cuda\Scripts\python.exe" } else { ".venv\Scripts\python.exe" } }
if (-not $Dist) { $Dist = if ($Cuda) { Join-Path $Root "dist\cuda" } else { Join-Path $Root "dist" } }
if (-not $Work) { $Work = Join-Path $Root "build\pyinstaller$Suffix" }
if (-not (Test-Path $Python)) {
    throw "No Python at $Python. Create it: py -m venv .venv; .venv\Scripts\pip install -c constraints.txt -e .[build]"
}
$Version = (Select-String -Path "gpt2_studio\__init__.py" -Pattern '^__version__ = "(.*)"').Matches[0].Groups[1].Value
$Started = Get-Date

function Invoke-Checked([string]$File, [string[]]$Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed (exit code $LASTEXITCODE)" }
}

Write-Host "==> Build environment: $Python ($Flavor)"
if (-not $NoToolInstall) {
    # Windows PowerShell 5.1 turns a native command's redirected stderr into errors: relax while probing.
    $ErrorActionPreference = "Continue"
    & $Python -c "import torch, transformers, tokenizers, PySide6, platformdirs" 2>&1 | Out-Null
    $Missing = $LASTEXITCODE -ne 0
    $ErrorActionPreference = "Stop"
    if ($Missing) {
        Invoke-Checked $Python @("-m", "pip", "install", "--disable-pip-version-check", "-q", "-c", "constraints.txt", "-e", ".[build]")
    }
    # Versions pinned in constraints.txt.
    Invoke-Checked $Python @("-m", "pip", "install", "--disable-pip-version-check", "-q", "-c", "constraints.txt", "pyinstaller", "pyinstaller-hooks-contrib")
}
$TorchCuda = (& $Python -c "import torch; print(torch.version.cuda or '')").Trim()
if (-not $Cuda -and $TorchCuda) {
    throw "This environment has a CUDA torch (CUDA $TorchCuda); a CPU build from it would carry GBs of CUDA libraries. Use a CPU-only environment, or -Cuda."
}
if ($Cuda -and -not $TorchCuda) { throw "-Cuda needs an environment with a CUDA torch; $Python has a CPU torch." }

Write-Host "==> PyInstaller (packaging\gpt2_studio.spec)"
Invoke-Checked $Python @("-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN", "--distpath", $Dist, "--workpath", $Work, "packaging\gpt2_studio.spec")
$Bundle = Join-Path $Dist "gpt2-studio"
$Exe = Join-Path $Bundle "gpt2-studio.exe"

Write-Host "==> Self-test of the frozen app"
# The windowed exe writes stdout/stderr to <GPT2_STUDIO_HOME>\cache\gpt2-studio.log.
$TestHome = Join-Path $Work "selftest-home"
if (Test-Path $TestHome) { Remove-Item -Recurse -Force $TestHome }
$env:GPT2_STUDIO_HOME = $TestHome
$env:QT_QPA_PLATFORM = "offscreen"
try {
    $Process = Start-Process -FilePath $Exe -ArgumentList "--self-test" -Wait -PassThru
} finally {
    Remove-Item Env:GPT2_STUDIO_HOME
    Remove-Item Env:QT_QPA_PLATFORM
}
$Log = Join-Path $TestHome "cache\gpt2-studio.log"
if (Test-Path $Log) { Get-Content $Log | Write-Host }
if ($Process.ExitCode -ne 0) { throw "The frozen app's self-test failed (exit code $($Process.ExitCode))." }

$SizeMB = [math]::Round((Get-ChildItem $Bundle -Recurse -File | Measure-Object -Property Length -Sum).Sum / 1MB)
Write-Host "==> Bundle: $Bundle ($SizeMB MB)"
if ($NoInstaller) { return }

Write-Host "==> Inno Setup installer"
$Iscc = (Get-Command "ISCC.exe" -ErrorAction SilentlyContinue).Source
foreach ($Candidate in @("${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe", "$env:ProgramFiles\Inno Setup 6\ISCC.exe", "$env:LOCALAPPDATA\Programs\Inno Setup 6\ISCC.exe")) {
    if (-not $Iscc -and (Test-Path $Candidate)) { $Iscc = $Candidate }
}
if (-not $Iscc) { throw "Inno Setup 6 not found: winget install JRSoftware.InnoSetup (6.3 or newer), then run this again." }
$NumericVersion = $Version -replace '^(\d+(\.\d+)*).*$', '$1'
Invoke-Checked $Iscc @("/Q", "/DAppVersion=$Version", "/DAppNumericVersion=$NumericVersion", "/DBundleDir=$Bundle", "/DOutputDir=$Dist", "/DFlavor=$Suffix", "packaging\windows\gpt2-studio.iss")
$Setup = Join-Path $Dist "GPT-2-Studio-$Version-windows-x64$Suffix-setup.exe"
$Elapsed = [math]::Round(((Get-Date) - $Started).TotalSeconds)
Write-Host "==> Done in $Elapsed s"
Write-Host "bundle: $Bundle ($SizeMB MB)"
Write-Host "installer: $Setup ($([math]::Round((Get-Item $Setup).Length / 1MB)) MB)"
