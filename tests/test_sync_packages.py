"""The election package is never in a pull page (PROTOCOL §9.5): a page names it by hash, a
laptop that lacks that version fetches it once from /v1/election/packages/{hash}, and one
that holds it is never sent it again. Its leaf is still in the partition the laptop checks
complete (§10.5). Real server on loopback, real stores, real signatures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import Record, sign
from recap_desktop.protocol.wire import WireError, parse_page
from recap_desktop.services import demo as demo_service
from recap_desktop.services import sync as sync_service
from recap_desktop.services.election import package_file
from tests.dishonest import SheetNamedAs
from tests.sync_support import Laptop, LiveServer, district_stations, enter, make_laptop


def _version_2() -> Record:
    return sign(demo_service.demo_authority(), {**demo_service.build_package(), "version": 2})


def _publish(server: LiveServer, record: Record) -> None:
    """The authority's new version reaches the server (as any holder's push would)."""
    pushed = server.ledger.push([record.to_json()])
    assert [o.to_json()["status"] for o in pushed.outcomes] == ["stored"]


class Traffic:
    """What a laptop's sync asked of the server: pull bytes, and the packages fetched."""

    def __init__(self) -> None:
        self.pull_bytes = 0
        self.fetched: list[str] = []

    def hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        # The client reads the body itself, as it streams in: a hook leaves it unread.
        path = response.request.path_url
        if path.startswith("/v1/election/packages/"):
            self.fetched.append(path.rsplit("/", 1)[-1])


def _sync(laptop: Laptop, url: str) -> tuple[Any, Traffic]:
    traffic = Traffic()
    engine = sync_service.make_engine(laptop.ws, url, attempts=1)
    engine.client.session.hooks["response"].append(traffic.hook)
    pull = engine.client.pull

    def counted(jurisdiction: str, since: int, limit: int) -> dict[str, Any]:
        answer = pull(jurisdiction, since, limit)
        traffic.pull_bytes += len(json.dumps(answer, separators=(",", ":")))
        return answer

    engine.client.pull = counted  # type: ignore[method-assign]
    try:
        return engine.sync(), traffic
    finally:
        engine.client.close()


def _package_hash(laptop: Laptop) -> str | None:
    return laptop.ws.store.package.hash()


class SwappedPackage:
    """A dishonest storage: under the hash of a package it holds, it serves another body."""

    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self.swap: dict[str, dict[str, Any]] = {}  # hash -> the record served under it

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)

    def authority_records(self, types: Any) -> list[Any]:
        out = []
        for record in self._storage.authority_records(types):
            shown = self.swap.get(record.hash)
            out.append(_Shown(record.hash, shown) if shown is not None else record)
        return out

    def record(self, hash_: str) -> Any:
        shown = self.swap.get(hash_)
        return _Shown(hash_, shown) if shown is not None else self._storage.record(hash_)


class _Shown:
    def __init__(self, hash_: str, raw: dict[str, Any]) -> None:
        self.hash = hash_
        self.raw = raw

    def to_json(self) -> dict[str, Any]:
        return self.raw


@pytest.fixture
def swapping(tmp_path: Path) -> Iterator[tuple[LiveServer, SwappedPackage]]:
    held: list[SwappedPackage] = []

    def wrap(storage: Any) -> SwappedPackage:
        held.append(SwappedPackage(storage))
        return held[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    yield server, held[0]
    server.stop()


def test_a_laptop_that_holds_the_package_is_never_sent_it(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "server")
    try:
        big = _version_2()
        size = len(canonical_bytes(package_file(demo_service.demo_authority().public_key, [big])))
        _publish(server, big)
        laptop = make_laptop(tmp_path / "a", "op-a")
        first, traffic = _sync(laptop, server.url)
        assert first.outcome == "done", first
        # Version 2 was fetched once, by hash, and is now the laptop's election.
        assert traffic.fetched == [big.hash]
        assert _package_hash(laptop) == big.hash
        # Two packages lie in the authority's partition: the pages named them, no more.
        assert traffic.pull_bytes < size / 4, (traffic.pull_bytes, size)
        again, traffic = _sync(laptop, server.url)
        assert again.outcome == "done", again
        assert traffic.fetched == []
        # A fresh laptop's cursor starts at 0: it is named both again, and fetches neither.
        other = make_laptop(tmp_path / "b", "op-b")
        laptop.ws.close()
        assert sync_service.sync_once(other.ws, server.url).outcome == "done"
        fresh, traffic = _sync(other, server.url)
        assert fresh.outcome == "done" and traffic.fetched == []
        other.ws.close()
    finally:
        server.stop()


def test_a_package_body_other_than_its_hash_is_refused(
    tmp_path: Path, swapping: tuple[LiveServer, SwappedPackage]
) -> None:
    server, storage = swapping
    big = _version_2()
    _publish(server, big)
    v1 = next(r for r in storage.authority_records(["election"]) if r.hash != big.hash)
    forged = {**big.to_json(), "payload": {**big.payload, "name": "another election"}}
    for served in (forged, v1.to_json()):  # a body altered under the hash; another package
        storage.swap = {big.hash: served}
        laptop = make_laptop(tmp_path / f"a{len(served)}-{served['hash'][:6]}", "op-a")
        before = _package_hash(laptop)
        result, traffic = _sync(laptop, server.url)
        assert result.outcome != "done", result
        assert traffic.fetched == [big.hash]
        assert "package" in str(result.error), result.error
        assert _package_hash(laptop) == before
        assert not laptop.ws.store.records.is_held(big.hash)
        assert not laptop.ws.store.records.held([served["hash"], big.hash]) - {before}
        laptop.ws.close()


def test_a_record_named_as_a_package_that_is_none_is_refused(tmp_path: Path) -> None:
    held: list[SheetNamedAs] = []

    def wrap(storage: Any) -> SheetNamedAs:
        held.append(SheetNamedAs(storage, "package"))
        return held[0]

    server = LiveServer(tmp_path / "server", storage=wrap)
    try:
        a = make_laptop(tmp_path / "a", "op-a")
        sheet = enter(a, district_stations(a.ws)[0])
        assert sync_service.sync_once(a.ws, server.url).outcome == "done"
        held[0].named = sheet
        # Held: the laptop would make its leaf in the authority's partition; not held: the
        # server has no package of that hash. Either way the page is a broken answer.
        cursor = f"log cursor {server.url} 32.01.01"
        a.ws.store.outbox.set_setting(cursor, "0")
        b = make_laptop(tmp_path / "b", "op-b")
        for laptop in (a, b):
            result, _ = _sync(laptop, server.url)
            assert result.outcome != "done", result
            assert "package" in str(result.error), result.error
        assert not b.ws.store.records.is_held(sheet)
        a.ws.close()
        b.ws.close()
    finally:
        server.stop()


@pytest.mark.parametrize(
    "entry",
    [
        {"index": 0, "received": "2026-02-14T10:00:00Z", "package": "AB" * 32},
        {"index": 0, "received": "2026-02-14T10:00:00Z", "package": 7},
        {"index": 0, "received": "2026-02-14T10:00:00Z", "package": "ab" * 32, "record": {}},
    ],
)
def test_a_page_entry_naming_a_package_is_exactly_its_hash(entry: dict[str, Any]) -> None:
    page = {"entries": [entry], "next": 1, "more": True, "head": None, "partitions": None}
    with pytest.raises(WireError):
        parse_page(page, 0)
    good = {"index": 0, "received": "2026-02-14T10:00:00Z", "package": "ab" * 32}
    assert parse_page({**page, "entries": [good]}, 0).entries[0].package == "ab" * 32
