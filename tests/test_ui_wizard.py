"""First run without the DEMO: key, package, fingerprint, certificate request, certificate.

The authority's side (reading the request, signing the certificate) is done here with the
DEMO authority's key, as a real authority would on its own machine.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import from_json
from recap_desktop.domain.election import format_time
from recap_desktop.services import Workspace
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.ui import i18n
from recap_desktop.ui.wizard import FirstRunWizard, passphrase_strength
from tests.packages import COMMISSION, TRUST, real_package

PASSPHRASE = "kopi pagi di balai desa"


def test_first_run_makes_a_certified_officer(qtbot, ws: Workspace, tmp_path: Path) -> None:
    i18n.install("en")
    wizard = FirstRunWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    choice = wizard.page(FirstRunWizard.CHOICE)
    choice.real.setChecked(True)
    wizard.next()

    identity = wizard.currentPage()
    assert wizard.currentId() == FirstRunWizard.IDENTITY
    identity.name.setText("Siti Rahayu")
    identity.officer_id.setText("ptg-001")
    identity.passphrase.setText(PASSPHRASE)
    identity.repeat.setText(PASSPHRASE + "x")
    assert identity.strength.text() == "Good."
    wizard.next()
    assert wizard.currentId() == FirstRunWizard.IDENTITY, "two different passphrases"
    assert identity.error.text() == "The two passphrases differ."
    identity.repeat.setText(PASSPHRASE)
    wizard.next()
    assert ws.keystore_path.exists()

    package = wizard.currentPage()
    assert wizard.currentId() == FirstRunWizard.PACKAGE
    package.path.setText(str(demo_service.RESOURCES / "election.json"))
    package.fingerprint.setText(demo_service.demo_authority().key_id[:16])
    wizard.next()
    assert wizard.currentId() == FirstRunWizard.PACKAGE, "never the DEMO in a real folder"
    assert "DEMO" in package.error.text()
    package.path.setText(real_package(tmp_path / "package.json"))
    package.fingerprint.setText("0000 0000 0000 0000")
    wizard.next()
    assert wizard.currentId() == FirstRunWizard.PACKAGE, "a wrong fingerprint is refused"
    assert package.error.text()
    assert ws.store.package.election() is None
    package.fingerprint.setText(" ".join(TRUST[1][i : i + 4] for i in range(0, 16, 4)))
    wizard.next()
    assert ws.store.package.election() is not None

    request_page = wizard.currentPage()
    assert wizard.currentId() == FirstRunWizard.REQUEST
    ident = identity_service.show_identity(ws)
    assert request_page.fingerprint.text() == ident.fingerprint
    request_page.unlock.setText(PASSPHRASE)
    request_file = tmp_path / "request.json"
    assert request_page.export_to(request_file)

    # The authority checks the request's signature and answers with a certificate.
    request = from_json(json.loads(request_file.read_text())["request"])
    public_key = bytes.fromhex(request.payload["public_key"])
    assert request.verify_signature(public_key)
    cert = authority.certificate(
        COMMISSION,
        election=demo_service.ELECTION_ID,
        officer_id=request.payload["officer_id"],
        name=request.payload["name"],
        role=request.payload["role"],
        jurisdiction="32.01",
        public_key=public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=format_time(datetime.now(UTC)),
    )
    cert_file = tmp_path / "certificate.json"
    cert_file.write_text(json.dumps({"records": [cert.to_json()]}))

    wizard.next()
    assert wizard.currentId() == FirstRunWizard.CERTIFICATE
    wizard.currentPage().path.setText(str(cert_file))
    assert wizard.validateCurrentPage()
    certified = identity_service.show_identity(ws)
    assert certified.certificate is not None
    assert certified.certificate["jurisdiction"] == "32.01"
    assert not certified.demo


def test_choosing_the_demo_sets_it_up_in_its_own_folder(qtbot, ws: Workspace) -> None:
    """The wizard's default (Try the DEMO, then Enter) never writes DEMO data into the real
    folder: the DEMO authority would be trusted there, and the real package refused."""
    i18n.install("en")
    wizard = FirstRunWizard(ws)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.page(FirstRunWizard.CHOICE).demo.isChecked()
    assert wizard.validateCurrentPage()
    assert wizard.demo_done
    assert wizard.chosen.data_dir == ws.data_dir.with_name(ws.data_dir.name + "-demo")
    assert identity_service.show_identity(wizard.chosen).demo
    assert not ws.keystore_path.exists()
    assert ws.store.package.election() is None and not ws.store.keys.known("authority")
    wizard.chosen.close()


def test_passphrase_strength_hint() -> None:
    assert passphrase_strength("short")[0] == 0
    assert passphrase_strength("password")[0] == 1
    assert passphrase_strength(PASSPHRASE)[0] == 3
    assert passphrase_strength("kopi pagi desa")[0] == 2
    assert passphrase_strength("four words of coffee at the village hall")[0] == 4
