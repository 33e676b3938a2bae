#!/usr/bin/env bash
# Make an AppImage from the frozen bundle (dist/gpt2-studio): one file users download, chmod +x and run.
#
# usage: packaging/linux/appimage/build_appimage.sh BUNDLE_DIR VERSION OUT_DIR [cpu|cuda]
# Needs appimagetool on PATH; it is not packaged in Debian 12 (see README.md here for where to get it).
# AppDir layout: AppRun, gpt2-studio.desktop (the same file the .deb installs), the icon, and the bundle
# in usr/lib/gpt2-studio.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
[ $# -ge 3 ] || { echo "usage: $0 BUNDLE_DIR VERSION OUT_DIR [cpu|cuda]" >&2; exit 2; }
bundle=$(cd "$1" && pwd)
version=$2
out=$(mkdir -p "$3" && cd "$3" && pwd)
suffix=""
[ "${4:-cpu}" = cuda ] && suffix="-cuda"
if ! command -v appimagetool >/dev/null; then
  echo "build_appimage: appimagetool is not installed. It is not in Debian 12: download appimagetool-<arch>.AppImage" \
    "from https://github.com/AppImage/appimagetool/releases, chmod +x it and put it on PATH as appimagetool." >&2
  exit 1
fi
arch=$(uname -m)
appdir=$(mktemp -d)/GPT-2_Studio.AppDir
trap 'rm -rf "$(dirname "$appdir")"' EXIT
install -d "$appdir/usr/lib" "$appdir/usr/share/applications" "$appdir/usr/share/icons/hicolor/256x256/apps"
cp -a "$bundle" "$appdir/usr/lib/gpt2-studio"
install -m 755 "$here/AppRun" "$appdir/AppRun"
install -m 644 "$here/../gpt2-studio.desktop" "$appdir/gpt2-studio.desktop"
install -m 644 "$here/../gpt2-studio.desktop" "$appdir/usr/share/applications/gpt2-studio.desktop"
install -m 644 "$root/resources/icons/gpt2-studio-256.png" "$appdir/gpt2-studio.png"
install -m 644 "$root/resources/icons/gpt2-studio-256.png" "$appdir/usr/share/icons/hicolor/256x256/apps/gpt2-studio.png"
ln -s gpt2-studio.png "$appdir/.DirIcon"
image="$out/GPT-2_Studio-$version-$arch$suffix.AppImage"
# APPIMAGE_EXTRACT_AND_RUN lets appimagetool (itself an AppImage) run where FUSE is missing (containers, CI).
APPIMAGE_EXTRACT_AND_RUN=1 ARCH="$arch" appimagetool --no-appstream "$appdir" "$image" >&2
echo "$image"
