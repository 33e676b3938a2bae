#!/usr/bin/env bash
# Put "GPT-2 Studio.app" into a compressed disk image with a link to /Applications (drag to install).
#
# usage: packaging/macos/make_dmg.sh APP VERSION OUT_DIR     (packaging/build.sh calls it on macOS)
# Output: OUT_DIR/GPT-2-Studio-<version>-macos-<arch>.dmg. Needs hdiutil (part of macOS).
# The .app comes from the BUNDLE step of packaging/gpt2_studio.spec (Info.plist, icon, version). It is
# ad-hoc signed by PyInstaller, not notarized: users open it the first time with right-click > Open.
# To distribute widely, sign and notarize before this step:
#   codesign --deep --force --options runtime --timestamp --sign "Developer ID Application: NAME (TEAM)" APP
#   then, on the .dmg: xcrun notarytool submit DMG --wait ... && xcrun stapler staple DMG
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 APP VERSION OUT_DIR" >&2; exit 2; }
app=$1
version=$2
out=$(mkdir -p "$3" && cd "$3" && pwd)
[ -d "$app/Contents/MacOS" ] || { echo "make_dmg: $app is not an .app bundle" >&2; exit 1; }
command -v hdiutil >/dev/null || { echo "make_dmg: hdiutil not found (it is part of macOS)" >&2; exit 1; }
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
# ditto keeps the bundle's symlinks, extended attributes and signatures intact.
ditto "$app" "$staging/$(basename "$app")"
ln -s /Applications "$staging/Applications"
dmg="$out/GPT-2-Studio-$version-macos-$(uname -m).dmg"
rm -f "$dmg"
# ULFO (LZFSE) is smaller and faster to open than zlib's UDZO; macOS 10.11 and later read it.
hdiutil create -volname "GPT-2 Studio $version" -srcfolder "$staging" -fs HFS+ -format ULFO -ov "$dmg" >&2
hdiutil verify "$dmg" >&2
echo "$dmg"
