"""The Linux installers, built with packaging/build.sh and started the way users start them.

Slow (a full PyInstaller build, a .deb and a tarball: about 8 minutes on 2 cores), so marked ``slow``:
``pytest -m slow tests/test_packaging.py``; ``scripts/run-tests`` (and so CI) runs it with the rest.
Needs binutils and dpkg; lintian and desktop-file-utils are used when installed (scripts/bootstrap.sh
installs them all when it runs as root on Debian/Ubuntu).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VERSION = re.search(r'^__version__ = "([^"]+)"', (ROOT / "gpt2_studio" / "__init__.py").read_text(), re.M)[1]
# The CPU bundle measures ~690 MiB (984 before the spec's exclusions and stripping); this catches a
# regression such as torch's test folders or a CUDA torch coming back.
MAX_BUNDLE_MB = 800
# Libraries the bundle may need from the system only on a Wayland desktop (the .deb recommends them).
OPTIONAL_SYSTEM_LIBRARIES = {"libwayland-client.so.0", "libwayland-cursor.so.0", "libwayland-egl.so.1"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(2400),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds the Linux installers"),
]


@dataclass
class Build:
    """What packaging/build.sh produced."""

    dist: Path
    log: str
    seconds: float

    @property
    def bundle(self) -> Path:
        return self.dist / "gpt2-studio"

    def artifact(self, pattern: str) -> Path:
        found = sorted(self.dist.glob(pattern))
        assert len(found) == 1, f"expected one {pattern} in {self.dist}, found {found}\n{self.log[-3000:]}"
        return found[0]


def _require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed (Debian: run scripts/bootstrap.sh as root)")


def _run_self_test(executable: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Start an installed app's self-test as a user would, with a fresh home folder."""
    home = tmp_path / "user-home"
    home.mkdir(exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GPT2_STUDIO", "HF_", "XDG_", "PYTHON", "LD_"))
    }
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [str(executable), "--self-test"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
    )
    assert done.returncode == 0, f"self-test exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "SELF-TEST PASSED" in done.stdout
    assert "frozen bundle:" in done.stdout, "this was not the frozen app"
    for folder in (".config", ".local/share", ".cache"):
        assert not (home / folder / "gpt2-studio").exists(), f"the self-test wrote to ~/{folder}"
    return done


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Run packaging/build.sh once into a temporary dist folder."""
    _require("objdump", "ldd", "dpkg-deb", "tar")
    out = tmp_path_factory.mktemp("packaging")
    command = ["bash", str(ROOT / "packaging" / "build.sh"), "--python", sys.executable]
    command += ["--dist", str(out / "dist"), "--work", str(out / "work")]
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=2000
    )
    seconds = time.monotonic() - started
    log = done.stdout + done.stderr
    (out / "build.log").write_text(log, encoding="utf-8")
    assert done.returncode == 0, f"packaging/build.sh failed ({done.returncode}):\n{log[-6000:]}"
    print(f"\npackaging/build.sh took {seconds:.0f} s")
    return Build(out / "dist", log, seconds)


def test_the_build_runs_the_frozen_self_test_and_reports_the_size(build: Build) -> None:
    assert "SELF-TEST PASSED" in build.log
    assert "frozen bundle:" in build.log
    assert re.search(r"Bundle: .*gpt2-studio \(\d+ MB\)", build.log)


def test_the_bundle_leaves_out_what_the_app_does_not_use(build: Build) -> None:
    internal = build.bundle / "_internal"
    files = [path for path in build.bundle.rglob("*") if path.is_file() and not path.is_symlink()]
    size_mb = sum(path.stat().st_size for path in files) / 2**20
    print(f"\nbundle: {size_mb:.0f} MB in {len(files)} files")
    assert size_mb < MAX_BUNDLE_MB
    assert not (internal / "torch" / "test").exists()
    assert not (internal / "torch" / "include").exists()
    # torch refuses to import without its shared-memory helper; nothing else of torch/bin is needed.
    assert [path.name for path in (internal / "torch" / "bin").iterdir()] == ["torch_shm_manager"]
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    assert not (internal / "PySide6" / "Qt" / "qml").exists()
    qt_libraries = {path.name.split(".")[0] for path in (internal / "PySide6" / "Qt" / "lib").iterdir()}
    for unused in ("Network", "Qml", "Quick", "Pdf", "VirtualKeyboard", "Test", "Sql", "Designer"):
        assert f"libQt6{unused}" not in qt_libraries
    assert {"libQt6Core", "libQt6Gui", "libQt6Widgets", "libQt6XcbQpa"} <= qt_libraries
    bindings = {path.name.split(".")[0] for path in (internal / "PySide6").glob("Qt*.so")}
    # pyqtgraph (the likelihood statistics' plots) imports QtOpenGL and QtOpenGLWidgets when it loads.
    assert bindings == {"QtCore", "QtGui", "QtWidgets", "QtOpenGL", "QtOpenGLWidgets"}
    assert not list(internal.glob("PySide6/Qt/plugins/platformthemes/libqgtk3*"))
    assert not list(internal.glob("libgtk-3*"))
    assert not list(internal.glob("libcudart*"))
    from PyInstaller.archive.readers import CArchiveReader

    executable = CArchiveReader(str(build.bundle / "gpt2-studio"))
    modules = set(executable.open_embedded_archive("PYZ.pyz").toc)
    assert "gpt2_studio.selftest" in modules
    assert "transformers" in modules
    for unused in ("tkinter", "matplotlib", "IPython", "pytest", "PIL", "PySide6.QtNetwork", "PySide6.QtQml"):
        assert unused not in modules
    weights = [path for path in build.bundle.rglob("*") if path.suffix in (".safetensors", ".gguf")]
    assert not weights, "model weights in the bundle"
    assert (internal / "resources" / "icons" / "gpt2-studio-256.png").is_file()
    assert (internal / "gpt2_studio" / "data" / "presets" / "builtin.json").is_file()


def test_every_bundled_library_loads_with_what_the_package_depends_on(build: Build) -> None:
    """ldd maps each file as the loader would: a damaged one (bad strip) or a missing dependency shows."""
    sys.path.insert(0, str(ROOT / "packaging" / "linux"))
    try:
        from tidy_bundle import elf_files
    finally:
        sys.path.pop(0)
    internal = build.bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    broken, missing = [], {}
    for path in elf_files(build.bundle):
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        if done.returncode != 0 and "statically linked" not in done.stdout + done.stderr:
            broken.append(str(path.relative_to(build.bundle)))
        for line in done.stdout.splitlines():
            if "not found" in line:
                missing.setdefault(line.split()[0], []).append(path.name)
    assert not broken, f"files the loader rejects: {broken}"
    unexpected = {name: users[:3] for name, users in missing.items() if name not in OPTIONAL_SYSTEM_LIBRARIES}
    assert not unexpected, f"libraries neither bundled nor in the .deb's Depends: {unexpected}"


def test_the_frozen_app_passes_its_self_test(build: Build, tmp_path: Path) -> None:
    _run_self_test(build.bundle / "gpt2-studio", tmp_path)


def test_the_tarball_unpacks_to_the_bundle(build: Build) -> None:
    tarball = build.artifact(f"gpt2-studio-{VERSION}-linux-*.tar.gz")
    print(f"\n{tarball.name}: {tarball.stat().st_size / 2**20:.0f} MB")
    with tarfile.open(tarball) as archive:
        executable = archive.getmember("gpt2-studio/gpt2-studio")
        assert executable.isfile()
        assert executable.mode & 0o111
        assert archive.getmember("gpt2-studio/_internal/torch/bin/torch_shm_manager").mode & 0o111


def _deb_field(deb: Path, field: str) -> str:
    done = subprocess.run(
        ["dpkg-deb", "--field", str(deb), field], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_the_deb_installs_and_the_installed_app_passes_its_self_test(build: Build, tmp_path: Path) -> None:
    deb = build.artifact("gpt2-studio_*.deb")
    print(f"\n{deb.name}: {deb.stat().st_size / 2**20:.0f} MB")
    assert _deb_field(deb, "Package") == "gpt2-studio"
    assert _deb_field(deb, "Version") == VERSION
    depends = _deb_field(deb, "Depends")
    for package in ("libegl1", "libgl1", "libxcb1", "libxkbcommon-x11-0", "libxcb-cursor0", "libfontconfig1"):
        assert package in depends

    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    launcher = root / "usr" / "bin" / "gpt2-studio"
    assert launcher.is_symlink()
    assert os.readlink(launcher) == "/opt/gpt2-studio/gpt2-studio"
    installed = root / "opt" / "gpt2-studio" / "gpt2-studio"
    assert installed.stat().st_mode & 0o111
    # Start it the way the menu entry does: through a link on PATH, here pointing into the temporary root.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gpt2-studio").symlink_to(installed)
    _run_self_test(bin_dir / "gpt2-studio", tmp_path)

    share = root / "usr" / "share"
    entry = (share / "applications" / "gpt2-studio.desktop").read_text(encoding="utf-8")
    assert "\nExec=gpt2-studio " in entry
    assert "\nIcon=gpt2-studio\n" in entry
    for size in (32, 48, 64, 128, 256):
        assert (share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "gpt2-studio.png").is_file()
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / "gpt2-studio.svg").is_file()
    assert (share / "doc" / "gpt2-studio" / "copyright").is_file()
    assert (share / "man" / "man1" / "gpt2-studio.1.gz").is_file()


def test_the_desktop_entry_is_valid() -> None:
    if shutil.which("desktop-file-validate") is None:
        pytest.skip("desktop-file-validate not installed (Debian: apt-get install desktop-file-utils)")
    done = subprocess.run(
        ["desktop-file-validate", str(ROOT / "packaging" / "linux" / "gpt2-studio.desktop")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not done.stdout.strip(), done.stdout  # hints and warnings too


def test_lintian_reports_no_errors_or_warnings(build: Build) -> None:
    """The tags that follow from shipping a bundle in /opt are overridden, each with its reason."""
    if shutil.which("lintian") is None:
        pytest.skip("lintian not installed (Debian: apt-get install lintian)")
    deb = build.artifact("gpt2-studio_*.deb")
    done = subprocess.run(["lintian", "--no-tag-display-limit", str(deb)], capture_output=True, text=True)
    problems = [line for line in done.stdout.splitlines() if line.startswith(("E:", "W:"))]
    assert not problems, "\n".join(problems[:40])
