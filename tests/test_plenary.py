"""The recapitulation through the services and the command: a chair's plenary, objections and
rulings, a level above built from the D.Hasil below or from the sheets, the printed form's QR
code read back by a real decoder."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.crypto import authority
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.domain.election import format_time
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
from recap_desktop.storage.store import DB_NAME

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
    # QR codes only: zbar looks for a dozen kinds of barcode by default, and a stray
    # line-barcode read in the page's tables would be a second line of output.
    out = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
    )
    expected = f"recap:1:dhasil:{record.hash}:{record.signer}"
    assert out.stdout.strip() == expected, (out.returncode, out.stdout, out.stderr)


def test_check_print_says_when_a_paper_was_replaced(chair: Workspace, key: SigningKey) -> None:
    interim = plenary_service.sign_dhasil(chair, key, "32.01.02", "ppwp", final=False)
    final = plenary_service.sign_dhasil(chair, key, "32.01.02", "ppwp", reason="pleno ditutup")
    old = check_print(chair, printing.qr_text(interim))
    assert old.newer == final.hash and not old.ok
    assert check_print(chair, final.hash).ok
    other = check_print(chair, f"recap:1:dhasil:{final.hash}:{'0' * 64}")
    assert other.signer_differs and not other.ok


# -- PROTOCOL §6.1 and the rules the stranger's gaps settled, through the program's own doors --

STATION = "32.01.01.2001.004"


def _certify(ws: Workspace, key: SigningKey, role: str, region: str) -> None:
    """The DEMO authority certifies another officer's key, imported as a certificate file."""
    cert = authority.certificate(
        demo_service.demo_authority(),
        election=demo_service.ELECTION_ID,
        officer_id=f"{role}-{key.key_id[:6]}",
        name=f"Petugas {key.key_id[:4]}",
        role=role,
        jurisdiction=region,
        public_key=key.public_key,
        valid_from=demo_service.ISSUED,
        valid_until=demo_service.EXPIRES,
        issued=demo_service.ISSUED,
    )
    assert not admit_into(ws, [cert], "import").problems


def _officer(name: str) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(f"recap plenary test: {name}".encode()).digest())


def _signed(key: SigningKey, seq: int, prev: str | None, **payload: Any) -> Record:
    return sign(
        key,
        {
            "signer": key.key_id,
            "seq": seq,
            "prev": prev,
            "time": format_time(now()),
            "election": demo_service.ELECTION_ID,
            **payload,
        },
    )


def _body(record: Record, *names: str) -> dict[str, Any]:
    """A record's payload without its signer's chain members (or only ``names``): to sign the
    same statement with another key."""
    chain = ("signer", "seq", "prev", "time", "election")
    p = record.payload
    return {k: p[k] for k in (names or [k for k in p if k not in chain])}


def _ruling(key: SigningKey, seq: int, prev: str | None, objection: Record, **kw: Any) -> Record:
    return _signed(
        key, seq, prev, type="resolution", objection=objection.hash,
        place=objection.payload["place"], contest=objection.payload["contest"],
        decision=kw.pop("decision", "accepted"), reason=kw.pop("reason", "dihitung ulang"),
        overrides=kw.pop("overrides", []),
    )  # fmt: skip


def _file(chair: Workspace, key: SigningKey) -> Record:
    return plenary_service.file_objection(
        chair, key, place=STATION, contest="ppwp", subject="Suara paslon 02 kurang satu",
        witness_name="Budi", represents="Paslon 02", paper="D.Kejadian Khusus No. 3",
    )  # fmt: skip


def test_rulings_that_did_not_see_each_other_block_closing_until_one_overrides_them(
    chair: Workspace, key: SigningKey
) -> None:
    """GAP 53: the ruling shown was the latest by arrival. Now two chairs' rulings in force
    that disagree leave the objection disputed, whichever arrived first; a ruling that names
    the other in ``overrides`` settles it."""
    filed = _file(chair, key)
    mine = plenary_service.resolve_objection(chair, key, filed.hash, "rejected", "angka sesuai")
    assert mine.payload["overrides"] == []
    other = _officer("second chair of 32.01.01")
    _certify(chair, other, "chair", "32.01.01")
    unaware = _ruling(other, 1, None, filed, decision="accepted")
    assert not admit_into(chair, [unaware], "usb").problems
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    (shown,) = [o for o in state.objections if o.hash == filed.hash]
    assert shown.status.state == "disputed" and shown.open
    assert {r.hash for r in shown.in_force} == {mine.hash, unaware.hash}
    assert state.blockers.open_objections == (filed.hash,)
    assert state.payload_objections() == [{"objection": filed.hash, "resolution": None}]
    with pytest.raises(RecapError) as blocked:
        plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp")
    assert blocked.value.key == "dhasil.blocked"
    (line,) = [x for x in plenary_service.blocker_lines(state, "en") if filed.hash[:16] in x]
    assert "ruled differently by two chairs" in line
    # The chair rules again, having seen the other ruling: it overrides it.
    again = plenary_service.resolve_objection(chair, key, filed.hash, "accepted", "diterima")
    assert again.payload["overrides"] == [unaware.hash]
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    (shown,) = [o for o in state.objections if o.hash == filed.hash]
    assert (shown.status.state, shown.status.decision) == ("ruled", "accepted")
    assert [r.hash for r in shown.in_force] == [again.hash]
    closed = plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp")
    assert {"objection": filed.hash, "resolution": again.hash} in closed.payload["objections"]
    assert verify_store(chair).ok


def test_a_ruling_fits_the_kind_and_an_officer_names_the_paper(
    chair: Workspace, key: SigningKey
) -> None:
    """GAP 48: an objection is accepted or rejected, an incident noted; without its paper
    form only a witness's own key signs one."""
    filed = _file(chair, key)
    with pytest.raises(RecapError) as refused:
        plenary_service.resolve_objection(chair, key, filed.hash, "noted", "dicatat")
    assert refused.value.key == "resolution.kind"
    link = plenary_service.next_link(chair, key)
    noted = _ruling(key, link["seq"], link["prev"], filed, decision="noted")
    assert [p.kind for p in admit_into(chair, [noted], "local").problems] == ["bad_ruling"]
    with pytest.raises(RecapError) as no_paper:
        plenary_service.file_objection(
            chair, key, place=STATION, contest="ppwp", subject="listrik padam",
            kind="incident",
        )  # fmt: skip
    assert no_paper.value.key == "objection.paper"
    link = plenary_service.next_link(chair, key)
    unpapered = _signed(
        key, link["seq"], link["prev"], type="objection", place=STATION, contest="ppwp",
        kind="incident", witness=None, paper=None, subject="listrik padam",
    )  # fmt: skip
    assert [p.kind for p in admit_into(chair, [unpapered], "local").problems] == ["role"]
    witness = _officer("witness of 32.01.01")
    _certify(chair, witness, "witness", "32.01.01")
    own_word = _signed(
        witness, 1, None, type="objection", place=STATION, contest="ppwp", kind="incident",
        witness=None, paper=None, subject="listrik padam 30 menit",
    )  # fmt: skip
    assert not admit_into(chair, [own_word], "usb").problems
    noted_ok = plenary_service.resolve_objection(chair, key, own_word.hash, "noted", "dicatat")
    assert noted_ok.payload["decision"] == "noted"


def test_two_chairs_agreeing_are_both_in_force_and_one_not_closing_is_a_dispute(
    chair: Workspace, key: SigningKey
) -> None:
    """GAP 52: 'the first by hash' was in force. Two chairs' versions that agree in totals
    and in final are both in force (this laptop shows its own); one final, one interim:
    disputed, none in force."""
    mine = plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp")
    other = _officer("second chair of 32.01.01")
    _certify(chair, other, "chair", "32.01.01")
    fields = _body(mine, "type", "region", "contest", "basis", "totals", "children", "pending")
    fields["objections"] = mine.payload["objections"]
    agreeing = _signed(other, 1, None, **fields, final=True, supersedes=None, reason=None)
    assert not admit_into(chair, [agreeing], "usb").problems
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    assert {v.hash for v in state.in_force} == {mine.hash, agreeing.hash}
    assert state.current is not None and state.current.hash == mine.hash
    assert state.state.final is True and not state.outdated
    interim = _signed(
        other, 2, agreeing.hash, **fields, final=False, supersedes=agreeing.hash, reason="dibuka"
    )
    assert not admit_into(chair, [interim], "usb").problems
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    assert (state.state.state, state.in_force, state.current) == ("disputed", [], None)
    # The regency's plenary shows the sub-district as disputed, not counted.
    regency = plenary_service.plenary(chair, "32.01", "ppwp", "recaps")
    assert [c.state for c in regency.children if c.code == "32.01.01"] == ["disputed"]


def test_a_dhasil_naming_either_agreeing_copy_is_up_to_date(
    chair: Workspace, key: SigningKey
) -> None:
    """GAP 54: 'outdated' compared a D.Hasil with the copy of the lowest hash; a D.Hasil
    naming the other agreeing copy of a station's sheet was shown outdated."""
    held = chair.store.recaps.counted_sheets("32.01.01", "ppwp")[STATION]
    copy_of = chair.store.records.get(str(held["current"]))
    assert copy_of is not None
    operator = _officer("second operator of 32.01.01")
    _certify(chair, operator, "operator", "32.01.01")
    copy = _signed(operator, 1, None, **_body(copy_of))
    assert not admit_into(chair, [copy], "usb").problems
    mine = plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp")
    named = {c["code"]: c["record"] for c in mine.payload["children"]}[STATION]
    other_copy = ({copy.hash, copy_of.hash} - {named}).pop()
    other = _officer("second chair of 32.01.01")
    _certify(chair, other, "chair", "32.01.01")
    children = [
        {**c, "record": other_copy} if c["code"] == STATION else c for c in mine.payload["children"]
    ]
    theirs = _signed(other, 1, None, **{**_body(mine), "children": children})
    assert not admit_into(chair, [theirs], "usb").problems
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    assert {v.hash for v in state.in_force} == {mine.hash, theirs.hash}
    assert state.stale == frozenset()
    # Rejecting the copy one of them names makes that one, and only that one, outdated.
    supervisor = _officer("supervisor of 32.01")
    _certify(chair, supervisor, "supervisor", "32.01")
    reject = _signed(
        supervisor, 1, None, type="review", station=STATION, contest="ppwp", sheet=other_copy,
        decision="reject", reason="salinan salah", overrides=[],
    )  # fmt: skip
    assert not admit_into(chair, [reject], "usb").problems
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    assert state.stale == frozenset({theirs.hash})
    assert not state.outdated  # this laptop shows its own version, which is up to date


def test_verify_replays_a_dhasil_resting_on_numbers_that_are_not_counts(
    chair: Workspace, key: SigningKey
) -> None:
    """GAP 50: in a replay a child sheet may hold a text for a number (refused bad_values, it
    keeps its place); the D.Hasil naming it gets bad_totals. The sum took int('60') as 60,
    and int('abc') crashed `recap verify`."""
    from reliability.doors import _plant

    operator = _officer("second operator of 32.01.01")
    _certify(chair, operator, "operator", "32.01.01")
    other = _officer("second chair of 32.01.01")
    _certify(chair, other, "chair", "32.01.01")
    template = plenary_service.sign_dhasil(chair, key, "32.01.01", "ppwp", final=False)
    held = chair.store.recaps.counted_sheets("32.01.01", "ppwp")[STATION]
    original = chair.store.records.get(str(held["current"]))
    assert original is not None
    values = {**original.payload["values"], "v_p01": "abc"}
    odd = _signed(operator, 1, None, **{**_body(original), "values": values})
    children = [
        {**c, "record": odd.hash} if c["code"] == STATION else c
        for c in template.payload["children"]
    ]
    on_odd = _signed(other, 1, None, **{**_body(template), "children": children})
    path = chair.data_dir
    chair.close()
    for record in (odd, on_odd):
        _plant(path / DB_NAME, record.to_json())
    again = Workspace(path)
    try:
        report = verify_store(again)
    finally:
        again.close()
    found = {(p.record, p.kind) for p in report.problems}
    assert (odd.hash, "bad_values") in found and (on_odd.hash, "bad_totals") in found
    assert not report.ok


# -- a D.Hasil that no longer says what counts is not built upon, nor passed as the result --


def _district_dhasil_naming_a_rejected_sheet(chair: Workspace) -> tuple[SigningKey, Record]:
    """A second operator's sheet moving 20 votes, rejected by the supervisor, and a final
    D.Hasil of 32.01.01 by another chair that names it (its sums hold: it is admitted).
    Returns (that chair's key, the D.Hasil)."""
    honest = chair.store.records.get(
        str(chair.store.recaps.counted_sheets("32.01.01", "ppwp")[STATION]["current"])
    )
    assert honest is not None
    operator, supervisor = _officer("operator two"), _officer("supervisor of 32.01")
    district_chair = _officer("chair of 32.01.01")
    _certify(chair, operator, "operator", "32.01.01")
    _certify(chair, supervisor, "supervisor", "32.01")
    _certify(chair, district_chair, "chair", "32.01.01")
    values = dict(honest.payload["values"])
    values["v_p01"] += 20
    values["v_p02"] -= 20
    shifted = _signed(operator, 1, None, **{**_body(honest), "values": values})
    rejected = _signed(
        supervisor, 1, None, type="review", station=STATION, contest="ppwp", sheet=shifted.hash,
        decision="reject", reason="angka tidak sesuai kertas", overrides=[],
    )  # fmt: skip
    assert not admit_into(chair, [shifted, rejected], "usb").problems
    assert chair.store.sheets.status(STATION, "ppwp")["current"] == honest.hash
    state = plenary_service.plenary(chair, "32.01.01", "ppwp")
    children = [
        {**c, "record": shifted.hash} if c["code"] == STATION else c
        for c in state.payload_children()
    ]
    totals = {**state.totals}
    totals["v_p01"] += 20
    totals["v_p02"] -= 20
    dhasil = _signed(
        district_chair, 1, None, type="dhasil", region="32.01.01", contest="ppwp",
        basis="sheets", totals=totals, children=children, pending=state.payload_pending(),
        objections=state.payload_objections(), final=True, supersedes=None, reason=None,
    )  # fmt: skip
    assert not admit_into(chair, [dhasil], "usb").problems  # valid: its sums hold (§5.5)
    return district_chair, dhasil


def test_the_level_above_does_not_build_on_a_dhasil_naming_a_rejected_sheet(
    chair: Workspace, key: SigningKey
) -> None:
    """A sub-district's final D.Hasil names a sheet the supervisor rejected: the regency's
    program counted it as the sub-district's result and closed over votes that do not count."""
    district_chair, dhasil = _district_dhasil_naming_a_rejected_sheet(chair)
    district = plenary_service.plenary(chair, "32.01.01", "ppwp")
    assert dhasil.hash in district.state.in_force and district.outdated
    plenary_service.sign_dhasil(chair, key, "32.01.02", "ppwp")
    regency = plenary_service.plenary(chair, "32.01", "ppwp", "recaps")
    first = regency.children[0]
    assert (first.code, first.state, first.record) == ("32.01.01", plenary_service.OUTDATED, None)
    assert regency.blockers.outdated == ("32.01.01",) and not regency.can_close
    assert regency.totals != chair.store.sheets.totals("32.01", "ppwp")[0]  # 32.01.02 alone
    with pytest.raises(RecapError) as refused:
        plenary_service.sign_dhasil(chair, key, "32.01", "ppwp", basis="recaps")
    assert any("32.01.01" in line for line in refused.value.details)
    # Its chair signs a new version from what counts: the regency closes on the true sums.
    plenary_service.sign_dhasil(chair, district_chair, "32.01.01", "ppwp", reason="dikoreksi")
    regency_dhasil = plenary_service.sign_dhasil(chair, key, "32.01", "ppwp", basis="recaps")
    assert regency_dhasil.payload["totals"] == chair.store.sheets.totals("32.01", "ppwp")[0]


def test_a_regency_dhasil_resting_on_an_outdated_one_is_outdated_and_check_print_says_so(
    chair: Workspace, key: SigningKey
) -> None:
    """Signed before the sheet it rests on was rejected, the regency's D.Hasil stays valid but
    is outdated, and a paper of it, or of the rejected sheet, is not passed as what counts."""
    for district in DISTRICTS:
        plenary_service.sign_dhasil(chair, key, district, "ppwp")
    regency_dhasil = plenary_service.sign_dhasil(chair, key, "32.01", "ppwp", basis="recaps")
    assert check_print(chair, regency_dhasil.hash).ok
    counted = str(chair.store.sheets.status(STATION, "ppwp")["current"])
    supervisor = _officer("supervisor of 32.01")
    _certify(chair, supervisor, "supervisor", "32.01")
    reject = _signed(
        supervisor, 1, None, type="review", station=STATION, contest="ppwp", sheet=counted,
        decision="reject", reason="angka tidak sesuai kertas", overrides=[],
    )  # fmt: skip
    assert not admit_into(chair, [reject], "usb").problems
    assert plenary_service.plenary(chair, "32.01.01", "ppwp").outdated
    regency = plenary_service.plenary(chair, "32.01", "ppwp", "recaps")
    assert regency.outdated  # it names a sub-district D.Hasil that no longer holds
    for paper, standing in (
        (regency_dhasil.hash, plenary_service.OUTDATED),
        (counted, "rejected"),
    ):
        checked = check_print(chair, paper)
        assert checked.problems == [] and checked.newer is None
        assert checked.standing == standing and not checked.ok
    assert verify_store(chair).ok  # every record still verifies: none is tampered


def test_check_print_does_not_pass_a_dhasil_of_a_disputed_region(
    chair: Workspace, key: SigningKey
) -> None:
    mine = plenary_service.sign_dhasil(chair, key, "32.01.02", "ppwp")
    other = _officer("second chair of 32.01.02")
    _certify(chair, other, "chair", "32.01.02")
    interim = _signed(other, 1, None, **{**_body(mine), "final": False})
    assert not admit_into(chair, [interim], "usb").problems
    checked = check_print(chair, mine.hash)
    assert checked.standing == "disputed" and not checked.ok


def test_the_command_says_a_paper_of_an_outdated_dhasil_is_not_the_result(
    chair: Workspace, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _chair, dhasil = _district_dhasil_naming_a_rejected_sheet(chair)
    monkeypatch.setenv("RECAP_LANG", "en")
    capsys.readouterr()
    args = ["--data-dir", str(chair.data_dir), "check-print"]
    code = cli_main([*args, printing.qr_text(dhasil)])
    out = capsys.readouterr().out
    assert code != 0
    assert "MATCHES" in out and "outdated" in out, out


def test_a_supervisor_never_decides_a_sheet_signed_by_its_own_key(chair: Workspace) -> None:
    """A key certified both as operator and as supervisor approved its own sheet, which then
    counted over the other operator's: refused at every door (``self_review``)."""
    honest = chair.store.records.get(
        str(chair.store.recaps.counted_sheets("32.01.01", "ppwp")[STATION]["current"])
    )
    assert honest is not None
    both = _officer("operator and supervisor")
    _certify(chair, both, "operator", "32.01.01")
    _certify(chair, both, "supervisor", "32.01.01")
    values = {**honest.payload["values"]}
    values["v_p01"] += 20
    values["v_p02"] -= 20
    mine = _signed(both, 1, None, **{**_body(honest), "values": values})
    approve = _signed(
        both, 2, mine.hash, type="review", station=STATION, contest="ppwp", sheet=mine.hash,
        decision="approve", reason=None, overrides=[],
    )  # fmt: skip
    got = admit_into(chair, [mine, approve], "usb")
    assert [(p.record, p.kind) for p in got.problems] == [(approve.hash, "self_review")]
    assert chair.store.sheets.status(STATION, "ppwp")["current"] != mine.hash
    # Another supervisor's approval of the same sheet is taken.
    other = _officer("another supervisor")
    _certify(chair, other, "supervisor", "32.01")
    theirs = _signed(other, 1, None, **{**_body(approve), "sheet": mine.hash})
    assert not admit_into(chair, [theirs], "usb").problems
