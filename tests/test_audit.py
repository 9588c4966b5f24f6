"""The independent auditor (docs/PROTOCOL.md §10.8), run against a real server on a loopback
port: with the authority's fingerprint alone it downloads the whole log, admits every record,
rebuilds the trees and recounts every region; each lie a server can tell is a finding."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.cli import main as cli_main
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.audit import audit
from tests.dishonest import Injecting, rewrite_entry
from tests.sync_support import LiveServer, district_stations, enter, make_laptop, sign_sheet

FINGERPRINT = demo_service.demo_authority().key_id[:16]


def counted_day(server: LiveServer, tmp_path: Path) -> None:
    """Two officers' sheets, one disputed station, synced."""
    a = make_laptop(tmp_path / "a", "op-a")
    b = make_laptop(tmp_path / "b", "op-b")
    stations = district_stations(a.ws)
    for i, station in enumerate(stations[:5]):
        enter(a, station, seed=i)
    enter(b, stations[0], seed=99)  # a dispute
    enter(b, stations[6], seed=6)
    for laptop in (a, b):
        assert sync_service.sync_once(laptop.ws, server.url).outcome == "done"


def test_an_honest_server_passes_the_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        counted_day(server, tmp_path)
        size = server.ledger.view.size
        report = audit(server.url, FINGERPRINT)
        assert report.ok, report.findings
        assert report.size == report.records == size
        assert report.admitted == size  # every entry passes the rule
        assert report.partitions == 2 and report.regions > 0
        capsys.readouterr()
        code = cli_main(
            ["--data-dir", str(tmp_path / "auditor"), "audit", "--server", server.url,
             "--trust-authority", FINGERPRINT]
        )  # fmt: skip
        out = capsys.readouterr().out
        assert code == 0 and "Audit passed" in out
    finally:
        server.stop()


def test_a_wrong_fingerprint_audits_nothing(tmp_path: Path) -> None:
    from recap_desktop.services import RecapError

    server = LiveServer(tmp_path / "server")
    try:
        with pytest.raises(RecapError) as refused:
            audit(server.url, "00" * 8)
        assert refused.value.key == "election.fingerprint_mismatch"
    finally:
        server.stop()


class Padding:
    """Publishes one vote more for the first contest's first choice, everywhere."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def all_totals(self, contest: str) -> Any:
        out = self._storage.all_totals(contest)
        for sums, _counted, _states in out.values():
            sums["v_p01"] = sums.get("v_p01", 0) + 1
        return out


def test_published_totals_that_the_log_does_not_give_are_found(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server", storage=Padding)
    try:
        counted_day(server, tmp_path)
        report = audit(server.url, FINGERPRINT)
        assert not report.ok
        assert {f.kind for f in report.findings} == {"totals"}
        assert any("32.01.01 ppwp" in f.detail for f in report.findings)
    finally:
        server.stop()


def test_a_record_the_rule_refuses_in_the_log_is_found(tmp_path: Path) -> None:
    """The server logged a sheet whose signature does not verify (a forged number)."""
    server = LiveServer(tmp_path / "server", storage=Injecting)
    try:
        counted_day(server, tmp_path)
        a = make_laptop(tmp_path / "c", "op-c")
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        forged = sign_sheet(a, district_stations(a.ws)[8]).to_json()
        forged["sig"] = ("0" if forged["sig"][0] != "0" else "1") + forged["sig"][1:]
        server.ledger.storage.inject([forged])  # type: ignore[attr-defined]
        server.ledger.refresh()
        report = audit(server.url, FINGERPRINT)
        assert [(f.kind, f.record) for f in report.findings] == [("bad_signature", forged["hash"])]
    finally:
        server.stop()


def test_a_rewritten_log_contradicts_the_heads_laptops_kept(tmp_path: Path) -> None:
    """A log rewritten whole is consistent with itself; the heads laptops kept are not."""
    server = LiveServer(tmp_path / "server")
    a = make_laptop(tmp_path / "a", "op-a")
    for i, station in enumerate(district_stations(a.ws)[:3]):
        enter(a, station, seed=i)
    assert sync_service.sync_once(a.ws, server.url).outcome == "done"
    kept = a.ws.store.witness.newest()
    assert kept is not None
    server.stop()
    rewrite_entry(tmp_path / "server", 3, "2026-01-01T00:00:00Z")
    again = LiveServer(tmp_path / "server")
    try:
        assert audit(again.url, FINGERPRINT).ok  # alone, the rewritten log holds together
        head_file = tmp_path / "head.json"
        head_file.write_text(json.dumps(kept.to_json()))
        report = audit(again.url, FINGERPRINT, heads=[kept.to_json()])
        assert report.heads == 1
        assert [f.kind for f in report.findings] == ["forked"]
    finally:
        again.stop()


def _set(path: str, member: str, value: Any) -> Callable[[str, bytes], bytes]:
    """A server's answers to ``path`` with one member made something else: ``member`` is
    ``name`` of the answer, or ``name.0`` the first item of a list, or ``name.*.key`` a key
    of every value of an object."""

    def rewrite(asked: str, body: bytes) -> bytes:
        if not asked.startswith(path):
            return body
        answer = json.loads(body)
        name, _, rest = member.partition(".")
        if not rest:
            answer[name] = value
        elif rest == "0":
            answer[name][0] = value
        else:
            key = rest.removeprefix("*.")
            for item in answer[name].values():
                item[key] = value
        return json.dumps(answer).encode()

    return rewrite


@pytest.mark.parametrize(
    ("path", "member", "value", "kind"),
    [
        ("/v1/log/entries", "entries.0", 5, "malformed"),
        ("/v1/log/entries", "entries.0", ["not", "an", "entry"], "malformed"),
        ("/v1/health", "certificates", 5, "uncertified_server"),
        ("/v1/totals", "regions.*.totals", 5, "totals"),
    ],
    ids=["entry-number", "entry-list", "certificates-number", "totals-number"],
)
def test_an_answer_of_the_wrong_shape_is_a_finding_not_a_crash(
    tmp_path: Path, path: str, member: str, value: Any, kind: str
) -> None:
    """Before, `recap audit` ended in a traceback (AttributeError, TypeError) when a server
    sent a log entry, a certificate list or a region's totals that is not an object."""
    from tests.test_server_log_review import Balancer

    server = LiveServer(tmp_path / "server")
    balancer = Balancer(server.url, server.url)
    try:
        counted_day(server, tmp_path)
        balancer.rewrite = _set(path, member, value)
        report = audit(balancer.url, FINGERPRINT)
        assert kind in {f.kind for f in report.findings}, report.findings
    finally:
        balancer.stop()
        server.stop()


def test_a_page_of_the_log_over_the_bound_is_asked_again_smaller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An auditor's page carries packages' bodies: one with several large packages is over
    the bound of one answer, and is asked again with fewer entries, down to one."""
    from recap_desktop.sync import client as client_module

    server = LiveServer(tmp_path / "server")
    try:
        counted_day(server, tmp_path)
        whole = len(json.dumps(server.get("/v1/log/entries?start=0&limit=1000")))
        package = len(json.dumps(server.get("/v1/log/entries?start=0&limit=1")))
        assert package < whole - 4000
        monkeypatch.setattr(client_module, "MAX_AUDIT_BYTES", package + 1000)
        report = audit(server.url, FINGERPRINT)
        assert report.ok and report.records == server.ledger.view.size, report.findings
        limits = [
            int(a.rsplit("limit=", 1)[1])
            for a in server.asked
            if a.startswith("GET /v1/log/entries")
        ]
        assert limits[0] == 1000 and min(limits) < 10 and limits[-1] == 1000, limits
    finally:
        server.stop()


def test_a_list_of_versions_that_is_no_list_is_a_broken_answer(tmp_path: Path) -> None:
    """Before, a number where the server lists its package versions was a TypeError."""
    from recap_desktop.services import RecapError
    from tests.test_server_log_review import Balancer

    server = LiveServer(tmp_path / "server")
    balancer = Balancer(server.url, server.url)
    try:
        balancer.rewrite = _set("/v1/election/versions", "versions", 5)
        with pytest.raises(RecapError) as refused:
            audit(balancer.url, FINGERPRINT)
        assert refused.value.key == "audit.unreachable"
    finally:
        balancer.stop()
        server.stop()
