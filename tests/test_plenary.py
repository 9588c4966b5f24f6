"""The recapitulation through the services and the command: a chair's plenary, objections and
rulings, a level above built from the D.Hasil below or from the sheets, the printed form's QR
code read back by a real decoder."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from recap_desktop.crypto.envelope import sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.admit import admit
from recap_desktop.services import Workspace, printing
from recap_desktop.services import demo as demo_service
from recap_desktop.services import identity as identity_service
from recap_desktop.services import plenary as plenary_service
from recap_desktop.services.admission import admit_into, now, trust
from recap_desktop.services.bundle import export_bundle, import_bundle
from recap_desktop.services.check_print import check_print
from recap_desktop.services.verify import verify_store
from recap_desktop.services.workspace import RecapError

DISTRICTS = ("32.01.01", "32.01.02")


@dataclass(frozen=True)
class Plenary:
    path: Path
    key: SigningKey


@pytest.fixture(scope="session")
def plenary_template(tmp_path_factory: pytest.TempPathFactory) -> Plenary:
    """A chair of both DEMO sub-districts and of the regency, holding every station's sheets
    (entered by an operator on another laptop and carried over by a bundle)."""
    root = tmp_path_factory.mktemp("plenary")
    operator = Workspace(root / "operator")
    demo_service.init_demo(operator)
    op_key = identity_service.unlock(operator, identity_service.DEMO_PASSPHRASE)
    demo_service.populate(operator, op_key)
    bundle = root / "sheets.bundle"
    export_bundle(operator, bundle)
    operator.close()
    chair = Workspace(root / "chair")
    demo_service.init_demo(chair, role="chair", officer_id="ketua-1")
    ident = identity_service.show_identity(chair)
    demo_service.certify(chair, ident, role="chair", jurisdiction="32.01")
    assert not import_bundle(chair, bundle.read_bytes(), "usb").problems
    key = identity_service.unlock(chair, identity_service.DEMO_PASSPHRASE)
    chair.close()
    return Plenary(root / "chair", key)


@pytest.fixture
def chair(plenary_template: Plenary, tmp_path: Path) -> Iterator[Workspace]:
    shutil.copytree(plenary_template.path, tmp_path / "chair")
    ws = Workspace(tmp_path / "chair")
    yield ws
    ws.close()


@pytest.fixture
def key(plenary_template: Plenary) -> SigningKey:
    return plenary_template.key


def test_demo_chair_chairs_every_sub_district(chair: Workspace, key: SigningKey) -> None:
    assert plenary_service.chaired_regions(chair, key.key_id) == ["32.01", *DISTRICTS]


def test_a_recap_built_from_child_dhasil_equals_the_one_built_from_sheets(
    chair: Workspace, key: SigningKey
) -> None:
    for district in DISTRICTS:
        plenary_service.sign_dhasil(chair, key, district, "ppwp")
    from_sheets = plenary_service.plenary(chair, "32.01", "ppwp", "sheets")
    from_recaps = plenary_service.plenary(chair, "32.01", "ppwp", "recaps")
    assert from_recaps.can_close and from_sheets.can_close
    assert from_recaps.totals == from_sheets.totals
    assert from_sheets.totals == chair.store.sheets.totals("32.01", "ppwp")[0]
    assert [c.code for c in from_recaps.children] == list(DISTRICTS)
    assert from_sheets.counted == 60
    # Both can be signed, and the admission rule recomputes each from what it names.
    by_recaps = plenary_service.sign_dhasil(chair, key, "32.01", "ppwp", basis="recaps")
    assert by_recaps.payload["totals"] == from_sheets.totals
    by_sheets = plenary_service.sign_dhasil(
        chair, key, "32.01", "ppwp", basis="sheets", reason="direkap ulang dari C.Hasil"
    )
    assert by_sheets.payload["supersedes"] == by_recaps.hash
    assert by_sheets.payload["totals"] == by_recaps.payload["totals"]
    assert verify_store(chair).ok


def test_a_regency_dhasil_whose_children_are_off_by_one_vote_is_refused(
    chair: Workspace, key: SigningKey
) -> None:
    for district in DISTRICTS:
        plenary_service.sign_dhasil(chair, key, district, "ppwp")
    state = plenary_service.plenary(chair, "32.01", "ppwp", "recaps")
    link = plenary_service.next_link(chair, key)
    payload = {
        "type": "dhasil",
        **link,
        "election": "demo-2024",
        "region": "32.01",
        "contest": "ppwp",
        "basis": "recaps",
        "totals": {**state.totals, "v_p01": state.totals["v_p01"] - 1},
        "children": state.payload_children(),
        "pending": [],
        "objections": state.payload_objections(),
        "final": True,
        "supersedes": None,
        "reason": None,
    }
    forged = sign(key, payload)
    decision = admit([forged], chair.store.view, trust(chair), arrivals=(now(), None))
    assert decision.decisions[0].status == "refused"
    assert decision.decisions[0].problem is not None
    assert decision.decisions[0].problem.kind == "bad_totals"


def test_a_dhasil_cannot_close_over_an_objection_until_the_chair_rules(
    chair: Workspace, key: SigningKey
) -> None:
    filed = plenary_service.file_objection(
        chair,
        key,
        place="32.01.01.2001.004",
        contest="ppwp",
        subject="Suara paslon 01 dihitung dua kali",
        witness_name="Siti Aminah",
        represents="Paslon 01",
        paper="D.Kejadian Khusus No. 2",
    )
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    assert state.blockers.open_objections == (filed.hash,)
    assert not state.can_close
    with pytest.raises(RecapError) as refused:
        plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp")
    assert refused.value.key == "dhasil.blocked"
    assert any(filed.hash[:16] in line for line in refused.value.details)
    # A final D.Hasil signed by hand over the open objection is refused by the rule itself.
    payload = {
        "type": "dhasil",
        **plenary_service.next_link(chair, key),
        "election": "demo-2024",
        "region": "32.01.01",
        "contest": "ppwp",
        "basis": "sheets",
        "totals": state.totals,
        "children": state.payload_children(),
        "pending": [],
        "objections": state.payload_objections(),
        "final": True,
        "supersedes": None,
        "reason": None,
    }
    assert payload["objections"] == [{"objection": filed.hash, "resolution": None}]
    verdict = admit_into(chair, [sign(key, payload)], "local")
    assert [p.kind for p in verdict.problems] == ["not_closed"]
    # An interim D.Hasil may be signed meanwhile: it lists the objection as open.
    interim = plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp", final=False)
    assert interim.payload["objections"] == [{"objection": filed.hash, "resolution": None}]
    ruling = plenary_service.resolve_objection(
        chair, key, filed.hash, "rejected", "Dihitung ulang di depan saksi: angka sesuai C.Hasil"
    )
    closed = plenary_service.sign_dhasil(
        chair, key, "32.01.01", "ppwp", reason="pleno ditutup setelah keberatan diputuskan"
    )
    assert closed.payload["final"] is True
    assert closed.payload["supersedes"] == interim.hash
    assert closed.payload["objections"] == [{"objection": filed.hash, "resolution": ruling.hash}]
    assert plenary_service.plenary(chair, "32.01.01", "ppwp").current is not None
    assert verify_store(chair).ok


def test_only_the_chair_of_the_region_signs_its_dhasil(chair: Workspace, key: SigningKey) -> None:
    with pytest.raises(RecapError) as refused:
        plenary_service.sign_dhasil(chair, key, "32", "ppwp")
    assert refused.value.key == "mandate.chair"
    with pytest.raises(RecapError) as village:
        plenary_service.sign_dhasil(chair, key, "32.01.01.2001", "ppwp")
    assert village.value.key in ("mandate.chair", "dhasil.region")


def test_an_operator_is_refused_by_the_command(tmp_path: Path, recap) -> None:  # type: ignore[no-untyped-def]
    assert recap("demo", "init").code == 0
    result = recap("dhasil", "--region", "32.01.01", "--contest", "ppwp")
    assert result.code == 2
    assert "chair" in result.err
    bad = recap("check-print", "not-a-hash")
    assert bad.code == 2 and "neither a record hash" in bad.err


def test_the_printed_dhasil_carries_a_qr_code_a_real_decoder_reads_back(
    chair: Workspace, key: SigningKey, tmp_path: Path, qtbot: object
) -> None:
    """Render the first page with PDFium (another engine than the one that drew it) and read
    its QR code with zxing-cpp: the text is the record's type, hash and signer key id."""
    pdfium = pytest.importorskip("pypdfium2", reason="pip install -e '.[test]'")
    zxingcpp = pytest.importorskip("zxingcpp", reason="pip install -e '.[test]'")
    from recap_desktop.ui.printing import write_pdf

    record = plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp")
    for lang in ("id", "en"):
        path = tmp_path / f"dhasil-{lang}.pdf"
        assert write_pdf(printing.dhasil_form(chair, record.hash, lang), path) >= 1
        page = pdfium.PdfDocument(str(path))[0]
        image = page.render(scale=150 / 72).to_pil().convert("L")
        texts = [c.text for c in zxingcpp.read_barcodes(image)]
        assert texts == [f"recap:1:dhasil:{record.hash}:{record.signer}"]
        result = check_print(chair, texts[0])
        assert result.ok and result.record is not None and result.record.hash == record.hash
    sheet = printing.current_sheet(chair, "32.01.01.2001.001", "ppwp")
    path = tmp_path / "chasil.pdf"
    write_pdf(printing.chasil_form(chair, sheet, "id"), path)
    image = pdfium.PdfDocument(str(path))[0].render(scale=150 / 72).to_pil().convert("L")
    assert [c.text.split(":")[3] for c in zxingcpp.read_barcodes(image)] == [sheet]


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("zbarimg") is None,
    reason="Debian tools: apt-get install poppler-utils zbar-tools",
)
def test_poppler_and_zbar_read_the_printed_qr_code_too(
    chair: Workspace, key: SigningKey, tmp_path: Path, qtbot: object
) -> None:
    from recap_desktop.ui.printing import write_pdf

    record = plenary_service.sign_dhasil(chair, key, "32.01.02", "ppwp")
    write_pdf(printing.dhasil_form(chair, record.hash), tmp_path / "d.pdf")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(tmp_path / "d.pdf"),
         str(tmp_path / "page")],
        check=True,
    )  # fmt: skip
    png = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
    assert out.stdout.strip() == f"recap:1:dhasil:{record.hash}:{record.signer}"


def test_check_print_says_when_a_paper_was_replaced(chair: Workspace, key: SigningKey) -> None:
    interim = plenary_service.sign_dhasil(chair, key, "32.01.02", "ppwp", final=False)
    final = plenary_service.sign_dhasil(chair, key, "32.01.02", "ppwp", reason="pleno ditutup")
    old = check_print(chair, printing.qr_text(interim))
    assert old.newer == final.hash and not old.ok
    assert check_print(chair, final.hash).ok
    other = check_print(chair, f"recap:1:dhasil:{final.hash}:{'0' * 64}")
    assert other.signer_differs and not other.ok
