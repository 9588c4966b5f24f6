"""Photos of the paper beside the numbers: attach (file dialog or drag and drop), view zoomed.

The officer compares the typed numbers with the paper, so the photo stands beside the form
and zooms with the keyboard (+, -, 0 to fit; Ctrl+wheel), as an image viewer does. Qt's
QImageReader decides that a file is an image it can show; the service decides that it is a
photo a sheet may name (PNG or JPEG by its first bytes, at most 10 MiB). A photo the sheet
names that is missing here or altered is listed with that state, never left out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from recap_desktop.messages import tr as service_text
from recap_desktop.protocol.photos import OK, Photo
from recap_desktop.services import RecapError
from recap_desktop.services import photos as photo_service
from recap_desktop.ui import i18n
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QApplication,
    QBuffer,
    QByteArray,
    QDragEnterEvent,
    QDropEvent,
    QFileDialog,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QImage,
    QImageReader,
    QIODevice,
    QKeyEvent,
    QLabel,
    QListWidget,
    QObject,
    QPainter,
    QPixmap,
    QPushButton,
    QResizeEvent,
    Qt,
    QThreadPool,
    QVBoxLayout,
    QWheelEvent,
    QWidget,
    Signal,
)

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.05, 16.0
STATE_CSS = {OK: "", "pending": "color: #1b5e20;", "missing": "color: #b71c1c; font-weight: bold;",
             "altered": "color: #b71c1c; font-weight: bold;"}  # fmt: skip


def decode(data: bytes) -> tuple[QImage | None, str]:
    """The image Qt reads from ``data`` (EXIF orientation applied), or None and why not."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    if bytes(reader.format().data()) not in (b"png", b"jpeg"):
        return None, tr("not a PNG or JPEG image")
    image = reader.read()
    if image.isNull():
        return None, reader.errorString()
    return image, ""


class PhotoView(QGraphicsView):
    """One image, zoomed with +, - and 0 (fit), or Ctrl+wheel; dragged to pan."""

    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photo_view")
        self._scene = QGraphicsScene(self)
        self.setScene(self._scene)
        self._item: QGraphicsPixmapItem | None = None
        self._fitted = True  # the page is fitted to the view (until the officer zooms)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 200)

    @property
    def zoom(self) -> float:
        return float(self.transform().m11())

    def show_image(self, image: QImage | None) -> None:
        self._scene.clear()
        self._item = None
        if image is not None:
            self._item = self._scene.addPixmap(QPixmap.fromImage(image))
            self._scene.setSceneRect(self._item.boundingRect())
            self.fit()

    def has_image(self) -> bool:
        return self._item is not None

    def fit(self) -> None:
        self._fitted = True
        if self._item is not None:
            self.resetTransform()
            self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
            self.zoom_changed.emit(self.zoom)

    def zoom_by(self, factor: float) -> None:
        if self._item is None:
            return
        self._fitted = False
        target = min(max(self.zoom * factor, ZOOM_MIN), ZOOM_MAX)
        self.scale(target / self.zoom, target / self.zoom)
        self.zoom_changed.emit(self.zoom)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A fitted page stays fitted as the splitter or the window changes size."""
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
        else:
            super().wheelEvent(event)


@dataclass
class Shown:
    """A row of the list: a photo the sheet names (with its state here), or one attached
    and not yet signed (with its bytes)."""

    photo: Photo
    state: str  # ok, missing, altered, or "pending"
    data: bytes | None = None
    image: QImage | None = None  # decoded once, when first shown


class _Loaded(QObject):
    """Carries a photo read and decoded on a pool thread back to the GUI thread (queued)."""

    done = Signal(int, int, object)  # token, row, QImage or None (the file is not the photo)


class PhotoPanel(QWidget):
    """The photos of the sheet on screen, and those attached to be signed with it."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.rows: list[Shown] = []
        self.editable = False
        # Reading (hashing up to 10 MiB) and decoding a photo happen on a pool thread; a
        # result for a list shown before (an older token) is dropped.
        self._token = 0
        self._loaded = _Loaded(self)
        self._loaded.done.connect(self._on_loaded)
        self._read: Callable[[Photo], bytes | None] = lambda photo: None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel()
        layout.addWidget(self.heading)
        self.list = QListWidget()
        self.list.setObjectName("photo_list")
        self.list.setMaximumHeight(96)
        self.list.currentRowChanged.connect(self._show_row)
        layout.addWidget(self.list)
        self.state = QLabel()
        self.state.setObjectName("photo_state")
        self.state.setWordWrap(True)
        layout.addWidget(self.state)
        self.view = PhotoView()
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        self.attach_button = QPushButton()
        self.attach_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton()
        self.remove_button.clicked.connect(self.remove_current)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b71c1c;")
        layout.addWidget(self.message)
        self.retranslate()
        self._update()

    def retranslate(self) -> None:
        self.heading.setText(tr("Photos of the paper (zoom: + - 0)"))
        self.attach_button.setText(tr("Attach photo… (Ctrl+Shift+P)"))
        self.remove_button.setText(tr("Remove"))
        self.view.setToolTip(tr("+ and - zoom, 0 fits the page; drag to move"))
        self._fill()

    # -- what is shown ----------------------------------------------------------------------

    def show_photos(
        self,
        views: Sequence[photo_service.PhotoView],
        read: Callable[[Photo], bytes | None],
        *,
        editable: bool,
    ) -> None:
        """The photos a signed sheet names (``views``); ``editable``: the officer may attach."""
        self._read = read
        self._token += 1
        self.rows = [Shown(v.photo, v.state) for v in views]
        self.editable = editable
        self.message.clear()
        self._fill()

    def clear(self) -> None:
        self.show_photos([], lambda photo: None, editable=False)

    def begin_correction(self) -> None:
        """A correction names the photos of the version it corrects (by hash, whether this
        folder holds them or not) unless the officer removes them, and any attached now."""
        self.editable = True
        self._fill()

    def pending_images(self) -> list[bytes]:
        """The images attached here, to be kept and named by the next signature."""
        return [r.data for r in self.rows if r.state == "pending" and r.data is not None]

    def kept_photos(self) -> list[str]:
        """The hashes of the shown version's photos still listed (what a correction keeps)."""
        return [r.photo.sha256 for r in self.rows if r.state != "pending"]

    def _label(self, number: int, row: Shown, *, short: bool = False) -> str:
        size = f"{row.photo.bytes / (1024 * 1024):.1f} MB"
        if row.state == "pending":
            state = tr("to be signed with the sheet")
        elif short:
            state = {OK: tr("kept"), "missing": tr("MISSING"), "altered": tr("ALTERED")}[row.state]
        else:
            state = service_text(f"photo.state.{row.state}", i18n.current())
        return f"{number}. {row.photo.sha256[:12]} · {size} · {state}"

    def summary(self) -> str:
        """What is wrong with the photos, for the sheet's title ("" when nothing is)."""
        missing = sum(1 for r in self.rows if r.state == "missing")
        altered = sum(1 for r in self.rows if r.state == "altered")
        parts = []
        if missing:
            parts.append(tr("photos missing: %1").replace("%1", str(missing)))
        if altered:
            parts.append(tr("photos ALTERED: %1").replace("%1", str(altered)))
        return " · ".join(parts)

    def _fill(self) -> None:
        current = max(self.list.currentRow(), 0)
        self.list.blockSignals(True)
        self.list.clear()
        for number, row in enumerate(self.rows, 1):
            self.list.addItem(self._label(number, row, short=True))
            self.list.item(number - 1).setToolTip(self._label(number, row))
        self.list.blockSignals(False)
        if self.rows:
            self.list.setCurrentRow(min(current, len(self.rows) - 1))
            self._show_row(self.list.currentRow())
        else:
            self.view.show_image(None)
            self.state.setText(tr("No photo of the paper is attached."))
            self.state.setStyleSheet("")
        self._update()

    def _show_row(self, index: int) -> None:
        if not 0 <= index < len(self.rows):
            return
        row = self.rows[index]
        self.state.setText(self._label(index + 1, row))
        self.state.setStyleSheet(STATE_CSS.get(row.state, ""))
        if row.image is not None or row.state not in (OK, "pending"):
            self.view.show_image(row.image)  # a missing or altered file is never shown
            return
        self.view.show_image(None)
        token, read, data, photo = self._token, self._read, row.data, row.photo

        def load() -> None:  # on a pool thread: file I/O and decoding only, no store, no widget
            raw = data if data is not None else read(photo)
            image = decode(raw)[0] if raw is not None else None
            self._loaded.done.emit(token, index, image)

        QThreadPool.globalInstance().start(load)

    def _on_loaded(self, token: int, index: int, image: QImage | None) -> None:
        if token != self._token or not 0 <= index < len(self.rows):
            return
        row = self.rows[index]
        if image is None:  # changed since the list was made: say so, never show it
            row.state = photo_service.ALTERED
            self.list.item(index).setText(self._label(index + 1, row, short=True))
            self.list.item(index).setToolTip(self._label(index + 1, row))
        row.image = image
        if self.list.currentRow() == index:
            self._show_row(index)
            self.changed.emit()

    def _update(self) -> None:
        self.attach_button.setVisible(self.editable)
        chosen = 0 <= self.list.currentRow() < len(self.rows)
        self.remove_button.setVisible(self.editable and chosen)

    # -- attaching --------------------------------------------------------------------------

    def choose_files(self) -> None:
        """Qt's own file dialog (the same on every desktop, and typed into like any window)."""
        if not self.editable:
            return
        dialog = QFileDialog(self, tr("Attach photos of the C.Hasil pages"))
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(tr("Images (*.png *.jpg *.jpeg *.PNG *.JPG *.JPEG)"))
        before = QApplication.focusWidget()
        added = self.attach_files([Path(p) for p in dialog.selectedFiles()]) if dialog.exec() else 0
        self.window().activateWindow()
        if not added and before is not None:
            before.setFocus()  # back where the officer was

    def attach_files(self, paths: Sequence[Path]) -> int:
        """Attach each file that is a photo a sheet may name; say why for each that is not."""
        problems = []
        added = 0
        lang = i18n.current()
        for path in paths:
            try:
                data = photo_service.read_file(path)
            except RecapError as exc:
                problems.append(exc.message(lang))
                continue
            image, why = decode(data)
            if image is None:
                problems.append(
                    tr("The file %1 cannot be read as an image: %2")
                    .replace("%1", str(path))
                    .replace("%2", why)
                )
                continue
            photo = photo_service.check(data, str(path))
            if any(r.photo.sha256 == photo.sha256 for r in self.rows):
                continue
            self.rows.append(Shown(photo, "pending", data, image))
            added += 1
        self._fill()
        if added:
            self.list.setCurrentRow(len(self.rows) - 1)
            self.view.setFocus()
            self.changed.emit()
        self.message.setText("\n".join(problems))
        return added

    def remove_current(self) -> None:
        index = self.list.currentRow()
        if self.editable and 0 <= index < len(self.rows):
            del self.rows[index]
            self._fill()
            self.changed.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.editable and event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if self.editable and urls:
            self.attach_files([Path(u.toLocalFile()) for u in urls])
            event.acceptProposedAction()
