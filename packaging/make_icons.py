"""Render resources/icons/gpt2-studio.svg to the PNG, .ico and .icns files the app and installers use.

The renders are committed; run this only after changing the SVG:

    .venv/bin/pip install --target /tmp/pillow-gen pillow   # only for .ico/.icns, kept out of .venv
    PYTHONPATH=/tmp/pillow-gen QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

PNGs are drawn by Qt's SVG renderer (PySide6-Essentials has QtSvg); Pillow packs them into a
multi-size Windows .ico and a macOS .icns. Without Pillow only the PNGs are written.
"""

from __future__ import annotations

import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SOURCE = ICONS / "gpt2-studio.svg"
PNG_SIZES = (256, 128, 64, 48, 32)
ICNS_SIZES = (1024, 512, 256, 128, 64, 32, 16)
ICO_SIZES = (256, 128, 64, 48, 32, 24, 16)


def render_png(size: int, target: Path) -> None:
    """Draw the SVG at size × size pixels with antialiasing onto a transparent image."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    if not image.save(str(target), "PNG"):
        raise SystemExit(f"could not write {target}")


def main() -> int:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - QPainter needs it
    scratch = ICONS / ".renders"
    scratch.mkdir(exist_ok=True)
    sizes = sorted(set(PNG_SIZES) | set(ICNS_SIZES) | set(ICO_SIZES), reverse=True)
    for size in sizes:
        render_png(size, scratch / f"{size}.png")
    for size in PNG_SIZES:
        (ICONS / f"gpt2-studio-{size}.png").write_bytes((scratch / f"{size}.png").read_bytes())
    try:
        from PIL import Image
    except ImportError:
        print("Pillow is not installed: wrote the PNGs only (see this file's docstring for .ico/.icns)")
        return 0
    big = Image.open(scratch / "1024.png")
    # Pillow picks each size from the list of images it is given, so hand it the crisp renders.
    ico_images = [Image.open(scratch / f"{size}.png") for size in ICO_SIZES]
    ico_images[0].save(
        ICONS / "gpt2-studio.ico", sizes=[(s, s) for s in ICO_SIZES], append_images=ico_images[1:]
    )
    icns_images = [Image.open(scratch / f"{size}.png") for size in ICNS_SIZES[1:]]
    big.save(ICONS / "gpt2-studio.icns", append_images=icns_images)
    for png in scratch.iterdir():
        png.unlink()
    scratch.rmdir()
    print(f"wrote PNGs, .ico and .icns to {ICONS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
