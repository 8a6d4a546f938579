"""Render needlelog.svg into the icons the installers carry (run again after changing the SVG).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/icons/make_icons.py

Writes hicolor/<size>x<size>/apps/needlelog.png (the Linux desktop's sizes), needlelog.ico (Windows:
16-256 px in one file) and needlelog.icns (macOS). Qt draws the SVG; Pillow, which reportlab already
brings, writes the .ico and .icns containers. The outputs are committed, so a build needs neither.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int, target: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target), "PNG"):
        raise SystemExit(f"could not write {target}")


def main() -> int:
    _app = QGuiApplication(sys.argv)
    renderer = QSvgRenderer(str(HERE / "needlelog.svg"))
    if not renderer.isValid():
        raise SystemExit("needlelog.svg is not a valid SVG")
    pngs = {size: HERE / "hicolor" / f"{size}x{size}" / "apps" / "needlelog.png" for size in SIZES}
    for size, target in pngs.items():
        render(renderer, size, target)
    largest = Image.open(pngs[512])
    largest.save(HERE / "needlelog.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    largest.save(HERE / "needlelog.icns")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
