"""Reading a printed form's QR code from a scan or a photo (`recap check-print --image`).

The image is loaded with Qt and decoded with zxing-cpp, an optional dependency
(``pip install 'recap-desktop[scan]'``): typing the QR code's text, or the hash printed under
it, needs neither.
"""

from __future__ import annotations

from pathlib import Path

from recap_desktop.services.printing import QR_PREFIX


def read_qr(path: Path) -> str | None:
    """The text of the first Recap QR code found in the image, or None."""
    import zxingcpp  # ImportError: the optional decoder is not installed

    from recap_desktop.ui.printing import ensure_app
    from recap_desktop.ui.qt import QImage

    ensure_app()
    image = QImage(str(path))
    if image.isNull():
        return None
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    for code in zxingcpp.read_barcodes(gray):
        if code.text.startswith(QR_PREFIX + ":"):
            return str(code.text)
    return None
