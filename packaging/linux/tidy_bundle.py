"""Slim a Linux PyInstaller bundle after COLLECT: strip symbol tables, drop build-machine RUNPATHs.

    python packaging/linux/tidy_bundle.py dist/gpt2-studio

gpt2_studio.spec runs this on Linux after every build. Stripping saves ~130 MB (libtorch_cpu.so alone
carries ~90 MB of symbols). Libraries that auditwheel vendored into ``*.libs/`` folders are left alone:
patchelf rewrote their layout and ``strip`` then produces files the loader rejects ("ELF load command
address/offset not page-aligned"); every stripped file is checked with ``ldd`` and restored if it no
longer loads. A Python built with --enable-shared (pyenv) leaves an absolute RUNPATH to its own lib
folder in libpython and its extension modules; patchelf removes those (the bundle finds its libraries
through $ORIGIN and the bootloader).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ELF_MAGIC = b"\x7fELF"


def elf_files(root: Path) -> list[Path]:
    """Regular ELF files under root (shared libraries, extension modules, executables)."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == ELF_MAGIC:
                    found.append(path)
    return found


def _loads(path: Path) -> bool:
    """ldd maps the file the way the loader does; a damaged file gives 'not a dynamic executable'."""
    done = subprocess.run(["ldd", str(path)], capture_output=True, text=True)
    return done.returncode == 0 or "statically linked" in done.stdout + done.stderr


def strip_symbols(files: list[Path]) -> tuple[int, int]:
    """strip --strip-unneeded each file that still loads afterwards; returns (files stripped, bytes saved)."""
    stripped = saved = 0
    for path in files:
        if any(part.endswith(".libs") for part in path.parts):
            continue
        before = path.stat().st_size
        if not _loads(path):
            continue  # not loadable as it is (e.g. another architecture): leave it as built
        backup = path.with_name(path.name + ".unstripped")
        shutil.copy2(path, backup)
        done = subprocess.run(["strip", "--strip-unneeded", str(path)], capture_output=True, text=True)
        if done.returncode != 0 or not _loads(path):
            backup.replace(path)
            print(f"tidy_bundle: kept {path.name} unstripped ({done.stderr.strip() or 'did not load'})")
            continue
        backup.unlink()
        after = path.stat().st_size
        if after < before:
            stripped += 1
            saved += before - after
    return stripped, saved


def drop_foreign_runpaths(root: Path, files: list[Path]) -> int:
    """Remove RUNPATH/RPATH entries that point outside the bundle (absolute build-machine folders)."""
    changed = 0
    for path in files:
        done = subprocess.run(["patchelf", "--print-rpath", str(path)], capture_output=True, text=True)
        entries = [entry for entry in done.stdout.strip().split(":") if entry]
        if done.returncode != 0 or not entries:
            continue
        kept = [entry for entry in entries if entry.startswith("$ORIGIN")]
        if kept == entries:
            continue
        command = ["patchelf", "--set-rpath", ":".join(kept)] if kept else ["patchelf", "--remove-rpath"]
        subprocess.run([*command, str(path)], check=True)
        changed += 1
    return changed


def tidy(root: Path) -> None:
    """Strip and clean the RUNPATHs of every ELF file under root, with a one-line report."""
    files = elf_files(root)
    if shutil.which("strip") and shutil.which("ldd"):
        count, saved = strip_symbols(files)
        print(f"tidy_bundle: stripped {count} files, {saved / 1e6:.0f} MB saved")
    else:
        print("tidy_bundle: strip/ldd not found (Debian: apt-get install binutils); symbols kept")
    if shutil.which("patchelf"):
        print(f"tidy_bundle: removed build-machine RUNPATHs from {drop_foreign_runpaths(root, files)} files")
    else:
        print("tidy_bundle: patchelf not found (Debian: apt-get install patchelf); RUNPATHs kept")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: tidy_bundle.py BUNDLE_DIR")
    tidy(Path(sys.argv[1]))
