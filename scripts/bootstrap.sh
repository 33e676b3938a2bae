#!/usr/bin/env bash
# Set up the development environment in .venv: pinned dependencies (constraints.txt keeps torch on the
# 2.13.0 CPU build, never the multi-GB CUDA wheels) and the app in editable mode. Re-running is fast:
# nothing is installed again until pyproject.toml or constraints.txt change.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

# Qt loads libEGL even when it draws offscreen; install Qt's system libraries where they are missing.
if [ "$(uname -s)" = Linux ] && ! ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1'; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 \
      libfontconfig1 libdbus-1-3 fonts-dejavu-core >/dev/null
  else
    echo "bootstrap: Qt needs libEGL (Debian/Ubuntu: sudo apt-get install libegl1 libxkbcommon-x11-0 libxcb-cursor0)" >&2
  fi
fi

# The installer builds (packaging/build.sh, tests/test_packaging.py) need binutils (PyInstaller reads
# libraries with objdump), patchelf, lintian, desktop-file-validate, and the two xcb libraries that Qt's
# X11 plugin links but a minimal Debian lacks (the bundle then carries them).
build_tools_missing() {
  for tool in objdump patchelf lintian desktop-file-validate dpkg-deb; do
    command -v "$tool" >/dev/null || return 0
  done
  for lib in libxcb-icccm.so.4 libxcb-keysyms.so.1; do
    ldconfig -p 2>/dev/null | grep -q "$lib" || return 0
  done
  return 1
}
if [ "$(uname -s)" = Linux ] && command -v apt-get >/dev/null && build_tools_missing; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      binutils patchelf lintian desktop-file-utils libxcb-icccm4 libxcb-keysyms1 >/dev/null
  else
    echo "bootstrap: installer builds need: sudo apt-get install binutils patchelf lintian desktop-file-utils" \
      "libxcb-icccm4 libxcb-keysyms1" >&2
  fi
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=".venv/.installed-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev,docs]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
