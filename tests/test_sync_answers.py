"""A push's answer whose members are of the wrong type (docs/PROTOCOL.md §9.4): a broken
answer, retried with nothing marked sent, never a crash. The real server on a loopback port,
behind a balancer that rewrites its answers (tests/test_server_log_review.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.services import sync as sync_service
from recap_desktop.sync.backoff import Backoff
from recap_desktop.sync.engine import UNREACHABLE
from tests.sync_support import LiveServer, district_stations, enter, make_laptop
from tests.test_server_log_review import Balancer

RESULT = {"hash": "ab" * 32, "status": "refused", "reason": "malformed", "detail": "no"}
WRONG: list[Any] = [
    None,
    "results",
    5,
    [5],
    [None],
    [{**RESULT, "status": 5}],
    [{**RESULT, "status": "lost"}],
    [{**RESULT, "hash": None}],
    [{**RESULT, "reason": ["malformed"]}],
    [{**RESULT, "detail": {"why": "no"}}],
    [{"hash": "ab" * 32}],
]


IDS = [
    "null", "text", "number", "list-of-number", "list-of-null", "status-number",
    "status-unknown", "hash-null", "reason-list", "detail-object", "members-missing",
]  # fmt: skip


@pytest.mark.parametrize("results", WRONG, ids=IDS)
def test_a_push_answer_whose_results_are_not_results_is_a_bad_answer(
    tmp_path: Path, results: Any
) -> None:
    """Before, a validly signed receipt with "results": null raised TypeError out of the
    engine (a traceback from `recap sync`); other wrong shapes were skipped unread."""
    server = LiveServer(tmp_path / "server")
    balancer = Balancer(server.url, server.url)
    laptop = make_laptop(tmp_path / "a", "op-a")
    try:
        enter(laptop, district_stations(laptop.ws)[0])

        def rewrite(path: str, body: bytes) -> bytes:
            if not path.startswith("/v1/push"):
                return body
            return json.dumps({**json.loads(body), "results": results}).encode()

        balancer.rewrite = rewrite
        result = sync_service.sync_once(
            laptop.ws, balancer.url, attempts=1, backoff=Backoff(base=0.01)
        )
        assert result.outcome == UNREACHABLE, result
        assert result.error_kind == "bad_answer" and "result" in (result.error or "")
        assert laptop.ws.store.outbox.receipts() == []  # nothing marked sent
        assert laptop.ws.store.witness.evidence() == []  # a broken answer, not a lie
        balancer.rewrite = lambda _path, body: body
        assert sync_service.sync_once(laptop.ws, balancer.url).outcome == "done"
    finally:
        balancer.stop()
        server.stop()


def test_the_push_answer_is_parsed_in_one_place() -> None:
    from recap_desktop.protocol.wire import WireError, parse_push_answer

    good = {"results": [RESULT], "receipt": {}, "head": {}, "proofs": {}}
    parsed = parse_push_answer(good)
    assert [(r.hash, r.status, r.reason, r.detail) for r in parsed.results] == [
        tuple(RESULT.values())
    ]
    assert (parsed.receipt, parsed.head, parsed.proofs) == ({}, {}, {})
    for results in WRONG:
        with pytest.raises(WireError, match="result"):
            parse_push_answer({**good, "results": results})
    with pytest.raises(WireError):
        parse_push_answer([good])


@pytest.mark.parametrize("photos", [[5], [None], ["ab" * 32]], ids=["number", "null", "text"])
def test_a_list_of_missing_photos_that_are_not_objects_is_a_bad_answer(
    tmp_path: Path, photos: list[Any]
) -> None:
    """Before, the photo step called .get on each item the server listed: AttributeError."""
    from tests.photo_support import png
    from tests.test_sync_photos import enter_with_photos

    server = LiveServer(tmp_path / "server")
    balancer = Balancer(server.url, server.url)
    laptop = make_laptop(tmp_path / "a", "op-a")
    try:
        enter_with_photos(laptop, district_stations(laptop.ws)[0], [png(seed=4)])

        def rewrite(path: str, body: bytes) -> bytes:
            if not path.startswith("/v1/photos/missing"):
                return body
            return json.dumps({"photos": photos}).encode()

        balancer.rewrite = rewrite
        result = sync_service.sync_once(
            laptop.ws, balancer.url, attempts=1, backoff=Backoff(base=0.01)
        )
        assert result.outcome == UNREACHABLE and result.error_kind == "bad_answer", result
    finally:
        balancer.stop()
        server.stop()
