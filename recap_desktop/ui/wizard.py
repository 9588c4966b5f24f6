"""First run: the DEMO election in one click, or a real officer's identity, package and certificate.

The pages follow what an officer does on the day of training: make the key (passphrase typed
twice), import the package the authority handed out, read the fingerprint aloud, export the
certificate request, and import the certificate when it comes back (this can wait: sheets
signed before it arrives show as "key not yet certified" until it does).
"""

from __future__ import annotations

import json
from pathlib import Path

from recap_desktop.services import RecapError, Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import election as election_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services.workspace import demo_folder
from recap_desktop.ui import i18n
from recap_desktop.ui.dialogs import translate_wizard
from recap_desktop.ui.i18n import tr
from recap_desktop.ui.qt import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)


def passphrase_strength(passphrase: str) -> tuple[int, str]:
    """A rough score 0..4 and a hint: length matters most for a passphrase."""
    kinds = sum(
        any(test(c) for c in passphrase)
        for test in (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())
    )
    words = len(passphrase.split())
    score = 0
    if len(passphrase) >= identity_service.MIN_PASSPHRASE:
        score = 1
    if len(passphrase) >= 12 and (kinds >= 2 or words >= 3):
        score = 2
    if len(passphrase) >= 16 and (kinds >= 3 or words >= 4):
        score = 3
    if len(passphrase) >= 24:
        score = 4
    hints = [
        tr("Too short: at least 8 characters."),
        tr("Weak: a longer passphrase of several words is safer."),
        tr("Fair: add a word or two."),
        tr("Good."),
        tr("Strong."),
    ]
    return score, hints[score]


class _Page(QWizardPage):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__()
        self.w = wizard
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b71c1c")

    def fail(self, exc: Exception) -> bool:
        self.error.setText(exc.message(i18n.current()) if isinstance(exc, RecapError) else str(exc))
        return False


class ChoicePage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setTitle(tr("Welcome to Recap Desktop"))
        layout = QVBoxLayout(self)
        intro = QLabel(
            tr(
                "This laptop has no election yet. Try the program with the DEMO election "
                "(invented names and numbers, not a real election), or set it up for a real "
                "election with the package and certificate from your election authority."
            )
        )
        intro.setWordWrap(True)
        self.demo = QRadioButton(tr("Try the DEMO election"))
        self.real = QRadioButton(tr("Set up for a real election"))
        self.demo.setChecked(True)
        layout.addWidget(intro)
        layout.addWidget(self.demo)
        layout.addWidget(self.real)
        layout.addWidget(self.error)

    def validatePage(self) -> bool:
        if not self.demo.isChecked():
            return True
        # The DEMO goes to its own folder beside this one, never into it: a real folder
        # never trusts the DEMO authority (its seed is public).
        demo = Workspace(demo_folder(self.w.ws.data_dir))
        try:
            if not demo.keystore_path.exists():
                demo_service.init_demo(demo)
        except RecapError as exc:
            demo.close()
            return self.fail(exc)
        self.w.chosen = demo
        self.w.demo_done = True
        return True

    def nextId(self) -> int:
        return -1 if self.demo.isChecked() else FirstRunWizard.IDENTITY


class IdentityPage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setTitle(tr("Your signing key"))
        self.setSubTitle(
            tr("The key signs every sheet you save. It is sealed with your passphrase.")
        )
        form = QFormLayout(self)
        self.name = QLineEdit()
        self.officer_id = QLineEdit()
        self.role = QComboBox()
        self.role.addItem(i18n.role_label("operator"), "operator")
        self.role.addItem(i18n.role_label("supervisor"), "supervisor")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.strength = QLabel()
        self.passphrase.textChanged.connect(self._strength)
        form.addRow(tr("Full name:"), self.name)
        form.addRow(tr("Officer id:"), self.officer_id)
        form.addRow(tr("Role:"), self.role)
        form.addRow(tr("Passphrase:"), self.passphrase)
        form.addRow(tr("Passphrase again:"), self.repeat)
        form.addRow("", self.strength)
        form.addRow(self.error)
        self._strength()

    def _strength(self) -> None:
        _, hint = passphrase_strength(self.passphrase.text())
        self.strength.setText(hint)

    def validatePage(self) -> bool:
        if self.w.ws.keystore_path.exists():
            return True
        if self.passphrase.text() != self.repeat.text():
            return self.fail(Exception(tr("The two passphrases differ.")))
        try:
            identity_service.create_identity(
                self.w.ws,
                name=self.name.text(),
                officer_id=self.officer_id.text(),
                role=str(self.role.currentData()),
                passphrase=self.passphrase.text(),
            )
        except RecapError as exc:
            return self.fail(exc)
        return True


class PackagePage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setTitle(tr("The election package"))
        self.setSubTitle(
            tr("Choose the package file and type the authority's fingerprint printed with it.")
        )
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        browse = QPushButton(tr("Choose…"))
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        self.fingerprint = QLineEdit()
        form.addRow(tr("Package file:"), holder)
        form.addRow(tr("Authority fingerprint:"), self.fingerprint)
        form.addRow(self.error)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Election package"), "", "*.json")
        if path:
            self.path.setText(path)

    def validatePage(self) -> bool:
        if election_service.has_election(self.w.ws):
            return True
        try:
            data = Path(self.path.text()).read_bytes()
            election_service.import_election(
                self.w.ws, data, self.path.text(), trust_authority=self.fingerprint.text()
            )
        except (RecapError, OSError) as exc:
            return self.fail(exc)
        return True


class RequestPage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setTitle(tr("Certificate request"))
        layout = QVBoxLayout(self)
        self.fingerprint = QLabel()
        self.fingerprint.setStyleSheet("font-family: monospace; font-size: 14pt")
        explain = QLabel(
            tr(
                "Read this fingerprint to the authority and send them the request file. "
                "They return a certificate file, which you import on the next page."
            )
        )
        explain.setWordWrap(True)
        self.unlock = QLineEdit()
        self.unlock.setEchoMode(QLineEdit.EchoMode.Password)
        self.unlock.setPlaceholderText(tr("Passphrase, to sign the request"))
        export = QPushButton(tr("Export certificate request…"))
        export.clicked.connect(self._export)
        layout.addWidget(self.fingerprint)
        layout.addWidget(explain)
        layout.addWidget(self.unlock)
        layout.addWidget(export)
        layout.addWidget(self.error)

    def initializePage(self) -> None:
        try:
            self.fingerprint.setText(identity_service.show_identity(self.w.ws).fingerprint)
        except RecapError as exc:
            self.fail(exc)

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, tr("Export certificate request"), "certificate-request.json", "*.json"
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> bool:
        try:
            key = identity_service.unlock(self.w.ws, self.unlock.text())
            doc = identity_service.certificate_request(self.w.ws, key)
            path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        except (RecapError, OSError) as exc:
            return self.fail(exc)
        self.error.setText(tr("Request written to %1").replace("%1", str(path)))
        return True


class CertificatePage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(wizard)
        self.setTitle(tr("Certificate"))
        self.setSubTitle(tr("Import the certificate file now, or later from the File menu."))
        form = QFormLayout(self)
        self.path = QLineEdit()
        browse = QPushButton(tr("Choose…"))
        browse.clicked.connect(self._browse)
        form.addRow(tr("Certificate file:"), self.path)
        form.addRow("", browse)
        form.addRow(self.error)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, tr("Certificate"), "", "*.json")
        if path:
            self.path.setText(path)

    def validatePage(self) -> bool:
        if not self.path.text().strip():
            return True
        try:
            data = Path(self.path.text()).read_bytes()
            identity_service.import_certificates(self.w.ws, data, self.path.text())
        except (RecapError, OSError) as exc:
            return self.fail(exc)
        return True


class FirstRunWizard(QWizard):
    CHOICE, IDENTITY, PACKAGE, REQUEST, CERTIFICATE = range(5)

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ws = ws
        self.chosen = ws  # the folder the window opens: the DEMO's own if that was chosen
        self.demo_done = False
        self.setWindowTitle(tr("Recap Desktop: first start"))
        translate_wizard(self)
        self.setPage(self.CHOICE, ChoicePage(self))
        self.setPage(self.IDENTITY, IdentityPage(self))
        self.setPage(self.PACKAGE, PackagePage(self))
        self.setPage(self.REQUEST, RequestPage(self))
        self.setPage(self.CERTIFICATE, CertificatePage(self))
        has_key = ws.keystore_path.exists()
        if has_key:
            self.setStartId(self.REQUEST if election_service.has_election(ws) else self.PACKAGE)
