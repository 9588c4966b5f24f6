"""Rasterise recap-desktop.svg into the PNGs the window and the desktop use, and the Windows ICO.

Run ``make icons`` after changing the SVG; the outputs are committed, so neither a checkout
nor the bundle needs QtSvg at run time. The ICO holds PNG images, written here by hand (Qt's
own ICO writer stores one size only).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
SIZES = (16, 24, 32, 48, 64, 128, 256)  # the ICO holds all; PNGs from 32 up
PNG_SIZES = (32, 48, 64, 128, 256)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def ico(pngs: list[bytes]) -> bytes:
    """An ICO of PNG images (read by Windows since Vista): a directory, then the images."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, data = b"", b""
    for png in pngs:
        width, height = struct.unpack(">II", png[16:24])  # from the PNG's IHDR chunk
        entries += struct.pack(
            "<BBBBHHII", width % 256, height % 256, 0, 0, 1, 32, len(png), offset + len(data)
        )
        data += png
    return header + entries + data


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])  # QImage text and plug-ins need an application
    renderer = QSvgRenderer(str(HERE / "recap-desktop.svg"))
    if not renderer.isValid():
        print("recap-desktop.svg is not valid SVG", file=sys.stderr)
        return 1
    images = {size: render(renderer, size) for size in SIZES}
    for size in PNG_SIZES:
        if not images[size].save(str(HERE / f"recap-desktop-{size}.png"), "PNG"):
            return 1
    (HERE / "recap-desktop.ico").write_bytes(ico([png_bytes(images[size]) for size in SIZES]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
