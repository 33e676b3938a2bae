#!/usr/bin/env bash
# Package a frozen GPT-2 Studio bundle (dist/gpt2-studio from the PyInstaller spec) as a .deb:
#   /opt/gpt2-studio/            the bundle, as built
#   /usr/bin/gpt2-studio         a link to /opt/gpt2-studio/gpt2-studio
#   /usr/share/applications/gpt2-studio.desktop, /usr/share/icons/hicolor/*/apps/gpt2-studio.{png,svg}
#   /usr/share/doc/<package>/, /usr/share/man/man1/gpt2-studio.1.gz, the lintian overrides
#
# usage: packaging/linux/build_deb.sh BUNDLE_DIR VERSION OUT_DIR [cpu|cuda]
# Needs dpkg-deb (Debian/Ubuntu: dpkg); packaging/build.sh calls it. Check the result with
# `lintian OUT_DIR/*.deb`; packaging/linux/lintian-overrides says which tags are accepted and why.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 3 ] || { echo "usage: $0 BUNDLE_DIR VERSION OUT_DIR [cpu|cuda]" >&2; exit 2; }
bundle=$(cd "$1" && pwd)
version=$2
out=$(mkdir -p "$3" && cd "$3" && pwd)
flavor=${4:-cpu}
[ -x "$bundle/gpt2-studio" ] || { echo "build_deb: $bundle/gpt2-studio is missing; build the bundle first" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "build_deb: dpkg-deb not found (Debian/Ubuntu: apt-get install dpkg)" >&2; exit 1; }

package=gpt2-studio
other=gpt2-studio-cuda
if [ "$flavor" = cuda ]; then package=gpt2-studio-cuda other=gpt2-studio; fi
# Python pre-releases (0.2.0rc1, 0.2.0.dev3) sort before the release in Debian only with a tilde.
deb_version=$(printf '%s' "$version" | sed -E 's/\.?(a|b|rc|dev)([0-9]+)$/~\1\2/')
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
maintainer=${DEB_MAINTAINER:-"GPT-2 Studio developers <maintainers@gpt2studio.org>"}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/$package"
install -d "$pkg/DEBIAN" "$pkg/opt" "$pkg/usr/bin" "$pkg/usr/share/applications" \
  "$pkg/usr/share/doc/$package" "$pkg/usr/share/man/man1" "$pkg/usr/share/lintian/overrides"
cp -a "$bundle" "$pkg/opt/gpt2-studio"
ln -s /opt/gpt2-studio/gpt2-studio "$pkg/usr/bin/gpt2-studio"
install -m 644 "$here/gpt2-studio.desktop" "$pkg/usr/share/applications/gpt2-studio.desktop"
for size in 256 128 64 48 32; do
  install -D -m 644 "$root/resources/icons/gpt2-studio-$size.png" \
    "$pkg/usr/share/icons/hicolor/${size}x${size}/apps/gpt2-studio.png"
done
install -D -m 644 "$root/resources/icons/gpt2-studio.svg" "$pkg/usr/share/icons/hicolor/scalable/apps/gpt2-studio.svg"
install -m 644 "$here/copyright" "$pkg/usr/share/doc/$package/copyright"
sed -e "s/@PACKAGE@/$package/g" -e "s/@VERSION@/$deb_version/g" -e "s/@MAINTAINER@/$maintainer/g" \
  -e "s/@DATE@/$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}")/g" "$here/changelog.in" \
  | gzip -9n > "$pkg/usr/share/doc/$package/changelog.gz"
sed -e "s/@VERSION@/$version/g" "$here/gpt2-studio.1" | gzip -9n > "$pkg/usr/share/man/man1/gpt2-studio.1.gz"
sed -e "s/@PACKAGE@/$package/g" "$here/lintian-overrides" > "$pkg/usr/share/lintian/overrides/$package"

# Files as dpkg expects them: no group/other write, executables and directories 755, the rest 644.
find "$pkg" -type d -exec chmod 755 {} +
find "$pkg" -type f -exec chmod go-w {} +
find "$pkg/opt/gpt2-studio" -type f -name '*.so*' -exec chmod 644 {} +
chmod 755 "$pkg/opt/gpt2-studio/gpt2-studio" "$pkg/opt/gpt2-studio/_internal/torch/bin/"* 2>/dev/null || true
# Wheels ship a few licence texts with the executable bit set.
find "$pkg/opt/gpt2-studio/_internal" -path '*.dist-info/*' -type f -perm -u+x -exec chmod 644 {} +

# The newest glibc symbol version any bundled binary needs: the bundle runs on that glibc or newer.
glibc=$({ find "$pkg/opt" -type f \( -name '*.so*' -o -perm -u+x \) -exec objdump -T {} + 2>/dev/null || true; } \
  | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
installed_kb=$(du -sk --apparent-size "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: $package
Version: $deb_version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_kb
Depends: libc6 (>= ${glibc:-2.31}), libegl1, libgl1, libxcb1, libfontconfig1, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-keysyms1, libdbus-1-3
Recommends: libwayland-client0, libwayland-cursor0, libwayland-egl1
Conflicts: $other
Replaces: $other
Section: editors
Priority: optional
Description: writing assistant that drafts text with a local GPT-2 model
 GPT-2 Studio is a desktop editor that suggests the next words as grey ghost
 text while you type, offers several alternatives at a time and runs one-click
 GPT-2 tricks (Q&A, TL;DR, translation by pattern). The model runs on this
 computer: nothing you write leaves it.
 .
 The package holds the application with its own Python, PyTorch ($flavor build)
 and Qt; models are downloaded per user from the app's model manager.
CONTROL
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
chmod 644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

deb="$out/${package}_${deb_version}_${arch}.deb"
# xz keeps the download small; DEB_COMPRESSION=gzip builds faster (for tests).
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$pkg" "$deb" >/dev/null
echo "$deb"
