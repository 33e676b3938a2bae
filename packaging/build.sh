#!/usr/bin/env bash
# Build GPT-2 Studio for the operating system this runs on (Linux or macOS; Windows: build.ps1):
#   1. install the pinned build tools (constraints.txt) into the build environment,
#   2. freeze the app with PyInstaller (packaging/gpt2_studio.spec, one-folder, windowed),
#   3. run the frozen app's --self-test and stop if it fails,
#   4. report the bundle size and make the installers:
#        Linux: dist/gpt2-studio-<version>-linux-<arch>.tar.gz and dist/gpt2-studio_<version>_<arch>.deb
#               (and an AppImage when appimagetool is installed),
#        macOS: dist/GPT-2 Studio.app and dist/GPT-2-Studio-<version>-macos-<arch>.dmg.
#
# usage: packaging/build.sh [--cuda] [--python PATH] [--dist DIR] [--work DIR] [--no-installers]
#                           [--no-tool-install]
#   --cuda            build from .venv-cuda, an environment with a CUDA torch (CPU is the default, from
#                     .venv); output names get a -cuda suffix. A CUDA torch cannot be slimmed to a CPU
#                     one afterwards, so the two are separate builds from separate environments.
#   --python PATH     the Python of the build environment (overrides the two defaults above)
#   --dist DIR        where the bundle and installers go (default: dist/, or dist/cuda/ with --cuda)
#   --work DIR        PyInstaller's work folder (default: build/pyinstaller[-cuda])
#   --no-installers   stop after the self-test (bundle only)
#   --no-tool-install do not pip-install the build tools (offline rebuilds)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

flavor=cpu
python=""
dist=""
work=""
installers=1
tool_install=1
while [ $# -gt 0 ]; do
  case "$1" in
    --cuda) flavor=cuda ;;
    --python) python=$2; shift ;;
    --dist) dist=$2; shift ;;
    --work) work=$2; shift ;;
    --no-installers) installers=0 ;;
    --no-tool-install) tool_install=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "build.sh: $*" >&2; exit 1; }
step() { echo; echo "==> $* [$(date +%H:%M:%S)]"; }

case "$(uname -s)" in
  Linux) platform=linux ;;
  Darwin) platform=macos ;;
  *) die "on Windows run packaging\\build.ps1 in PowerShell" ;;
esac
arch=$(uname -m)
[ "$platform" = macos ] && [ "$flavor" = cuda ] && die "there is no CUDA torch for macOS; build without --cuda"
suffix=""
[ "$flavor" = cuda ] && suffix="-cuda"
[ -n "$python" ] || python=$([ "$flavor" = cuda ] && echo .venv-cuda/bin/python || echo .venv/bin/python)
[ -n "$dist" ] || dist=$([ "$flavor" = cuda ] && echo "$root/dist/cuda" || echo "$root/dist")
[ -n "$work" ] || work="$root/build/pyinstaller$suffix"
mkdir -p "$dist" "$work"
dist=$(cd "$dist" && pwd)
[ -x "$python" ] || die "no Python at $python: run scripts/bootstrap.sh for .venv, or see README \
(Build the installers) for .venv-cuda"
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' gpt2_studio/__init__.py)
started=$SECONDS

step "Build environment: $python ($flavor)"
if [ "$tool_install" = 1 ]; then
  if ! "$python" -c "import torch, transformers, tokenizers, PySide6, platformdirs" 2>/dev/null; then
    "$python" -m pip install --disable-pip-version-check -q -c constraints.txt -e ".[build]"
  fi
  # Versions pinned in constraints.txt; nothing is fetched when they are installed already.
  "$python" -m pip install --disable-pip-version-check -q -c constraints.txt pyinstaller pyinstaller-hooks-contrib
fi
torch_cuda=$("$python" -c "import torch; print(torch.version.cuda or '')")
if [ "$flavor" = cpu ] && [ -n "$torch_cuda" ]; then
  die "this environment has a CUDA torch (CUDA $torch_cuda); a CPU build from it would carry GBs of CUDA \
libraries. Use a CPU-only environment, or --cuda for a CUDA build."
fi
if [ "$flavor" = cuda ] && [ -z "$torch_cuda" ]; then
  die "--cuda needs an environment with a CUDA torch; $python has a CPU torch (see README)."
fi
"$python" -m PyInstaller --version | sed 's/^/PyInstaller /'

step "PyInstaller (packaging/gpt2_studio.spec)"
build_started=$SECONDS
"$python" -m PyInstaller --noconfirm --clean --log-level WARN --distpath "$dist" --workpath "$work" \
  packaging/gpt2_studio.spec
bundle="$dist/gpt2-studio"
exe="$bundle/gpt2-studio"
if [ "$platform" = macos ]; then
  bundle="$dist/GPT-2 Studio.app"
  exe="$bundle/Contents/MacOS/gpt2-studio"
fi
echo "PyInstaller took $((SECONDS - build_started)) s"

step "Self-test of the frozen app"
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$exe" --self-test || die "the frozen app's self-test failed"

size_mb=$(du -sm "$bundle" | cut -f1)
step "Bundle: $bundle ($size_mb MB)"
if [ "$installers" = 0 ]; then
  echo "done in $((SECONDS - started)) s (bundle only)"
  exit 0
fi

artifacts=()
if [ "$platform" = linux ]; then
  step "tar.gz"
  tarball="$dist/gpt2-studio-$version-linux-$arch$suffix.tar.gz"
  tar -C "$dist" -czf "$tarball" gpt2-studio  # unpacks to gpt2-studio/; run gpt2-studio/gpt2-studio
  artifacts+=("$tarball")

  step ".deb"
  if command -v dpkg-deb >/dev/null; then
    artifacts+=("$(packaging/linux/build_deb.sh "$bundle" "$version" "$dist" "$flavor")")
  else
    echo "dpkg-deb not found: no .deb (Debian/Ubuntu: apt-get install dpkg)"
  fi

  step "AppImage"
  if command -v appimagetool >/dev/null; then
    artifacts+=("$(packaging/linux/appimage/build_appimage.sh "$bundle" "$version" "$dist" "$flavor")")
  else
    echo "appimagetool not found: no AppImage. It is not packaged in Debian 12; see packaging/linux/appimage/README.md."
  fi
else
  step ".dmg"
  artifacts+=("$(packaging/macos/make_dmg.sh "$bundle" "$version" "$dist")")
fi

step "Done in $((SECONDS - started)) s"
echo "bundle: $bundle ($size_mb MB)"
for artifact in "${artifacts[@]}"; do
  echo "$(basename "$artifact"): $(du -m "$artifact" | cut -f1) MB  ($artifact)"
done
