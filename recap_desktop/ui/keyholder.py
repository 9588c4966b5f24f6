"""The officer's signing key in memory: asked for once, locked again after idle time.

The key is unsealed only when a signature is needed, kept while the officer works, and
dropped after ``idle_minutes`` without a key press or click, so a laptop left open on the
counting table cannot sign for its officer.
"""

from __future__ import annotations

from collections.abc import Callable

from recap_desktop.crypto.keys import SigningKey
from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import identity as identity_service
from recap_desktop.ui import i18n
from recap_desktop.ui.dialogs import ask_text
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QApplication,
    QEvent,
    QEventLoop,
    QObject,
    QTimer,
    QWidget,
    Signal,
)
from recap_desktop.ui.tasks import SHOW_PROGRESS_AFTER_MS, TaskHandle, TaskRunner

Ask = Callable[[QWidget | None, str], str | None]


def ask_passphrase(parent: QWidget | None, hint: str) -> str | None:
    """A password dialog; None if the officer cancels."""
    label = tr("Passphrase of your signing key:") + ("\n" + hint if hint else "")
    return ask_text(parent, tr("Unlock your key"), label, password=True)


class KeyHolder(QObject):
    locked_changed = Signal(bool)  # True when locked

    def __init__(
        self,
        ws: Workspace,
        idle_minutes: int,
        ask: Ask = ask_passphrase,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__()
        self.ws = ws
        self.ask = ask
        # Unsealing the key (Argon2id, 64 MiB) takes about a second: it runs on the task
        # runner's thread while the window keeps painting. The window gives its runner.
        self.tasks = tasks
        self._key: SigningKey | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.set_idle_minutes(idle_minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_idle_minutes(self, minutes: int) -> None:
        self.timer.setInterval(max(1, minutes) * 60_000)
        if self._key is not None:
            self.timer.start()

    @property
    def locked(self) -> bool:
        return self._key is None

    def lock(self) -> None:
        if self._key is not None:
            self._key = None
            self.timer.stop()
            self.locked_changed.emit(True)

    def unlock(self, passphrase: str) -> SigningKey:
        """Unseal with ``passphrase``; raises RecapError on a wrong one (the key stays locked).

        With a task runner the unsealing runs on its thread, and this waits in a local event
        loop: the window paints and takes input meanwhile (a modal dialog waits the same way),
        and every caller keeps its plain "ask, then sign" order."""
        key = self._unseal(passphrase)
        self._key = key
        self.timer.start()
        self.locked_changed.emit(False)
        return key

    def _unseal(self, passphrase: str) -> SigningKey:
        if self.tasks is None:
            return identity_service.unlock(self.ws, passphrase)
        loop = QEventLoop()
        out: dict[str, object] = {}

        def work(ws: Workspace, handle: TaskHandle) -> SigningKey:
            return identity_service.unlock(ws, passphrase)

        def prepare(handle: TaskHandle) -> None:
            handle.ended.connect(loop.quit)

        self.tasks.run(
            tr("Unlocking the key"),
            work,
            lambda key: out.update(key=key),
            lambda exc: out.update(error=exc),
            show_after_ms=SHOW_PROGRESS_AFTER_MS,
            prepare=prepare,
        )
        loop.exec()  # the ended signal is queued to this thread: it cannot be missed
        error = out.get("error")
        if isinstance(error, BaseException):
            raise error
        key = out["key"]
        assert isinstance(key, SigningKey)
        return key

    def key(self, parent: QWidget | None) -> SigningKey | None:
        """The key, asking for the passphrase if it is locked; None if the officer gives up."""
        if self._key is not None:
            self.timer.start()
            return self._key
        hint = ""
        try:
            if identity_service.show_identity(self.ws).demo:
                hint = tr("DEMO key: the passphrase is %1").replace(
                    "%1", identity_service.DEMO_PASSPHRASE
                )
        except RecapError:
            pass
        while True:
            passphrase = self.ask(parent, hint)
            if passphrase is None:
                return None
            try:
                return self.unlock(passphrase)
            except RecapError as exc:
                hint = exc.message(i18n.current())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Any key press or click restarts the idle clock while the key is unlocked."""
        if self._key is not None and event.type() in (
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
        ):
            self.timer.start()
        return False
