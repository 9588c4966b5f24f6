"""The push gate's decisions (PROTOCOL §9.9), made from headers alone: tokens, rates, the
queue. The sockets and the real server process are in test_server_edge.py."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from recap_desktop.crypto.canonical import canonical_bytes
from recap_desktop.crypto.envelope import signing_message
from recap_desktop.crypto.keys import SigningKey
from recap_desktop.protocol.pushauth import HEADER, TokenError, check_token, make_token
from recap_desktop.protocol.trust import Trust
from recap_server import gate as gate_module
from recap_server.gate import PHOTO, GateLimits, PushGate, Refusal
from recap_server.ledger import TRUST_RECHECK, Ledger
from recap_server.server import open_ledger
from tests.sync_support import make_laptop


def _who(gate: PushGate, headers: dict[str, str], client: str, **kw: Any) -> Any:
    """The gate's judgment as the event loop asks it (``who_async``), from a test's thread."""
    return asyncio.run(gate.who_async(headers, client, **kw))


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = open_ledger(tmp_path / "server", demo=True)
    yield opened
    opened.storage.close()


def test_tokens_decide_who_pushes_and_how_much(ledger: Ledger, tmp_path: Path) -> None:
    laptop = make_laptop(tmp_path / "a", "op-a")
    certs = [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
    gate = PushGate(ledger.trust, ledger.clock, GateLimits(anonymous_bytes=1000))
    now = ledger.clock()
    token = make_token(laptop.key, now)
    # Before the server holds the officer's certificate: a small push only (to bring it).
    assert _who(gate, {HEADER: token}, "10.0.0.1") == ("address 10.0.0.1", 1000)
    assert _who(gate, {}, "10.0.0.1") == ("address 10.0.0.1", 1000)
    ledger.import_authority(certs)
    assert _who(gate, {HEADER: token}, "10.0.0.1") == (f"key {laptop.key.key_id}", None)
    # A laptop whose clock is hours off still pushes (a wrong clock locks nobody out).
    ahead = make_token(laptop.key, now + dt.timedelta(hours=5))
    assert _who(gate, {HEADER: ahead}, "10.0.0.1") == (f"key {laptop.key.key_id}", None)
    # Forged, expired, too long-lived, not a token, too long: 401 before the body.
    encoded, sig = token.split(".")
    for bad in (
        encoded + "." + sig[::-1],
        make_token(laptop.key, now - dt.timedelta(days=40)),
        make_token(laptop.key, now, lifetime=dt.timedelta(days=90)),  # too long a life
        "e30." + sig,  # {}
        "x" * 5000,
    ):
        with pytest.raises(Refusal) as refused:
            _who(gate, {HEADER: bad}, "10.0.0.1")
        assert refused.value.status == 401
    # Another key's signature under this key's id.
    stranger = SigningKey.generate()
    borrowed = make_token(stranger, now)
    swapped = borrowed.split(".")[0]  # a payload naming the stranger ...
    with pytest.raises(TokenError):
        check_token(swapped + "." + sig, ledger.trust(), now)  # ... with the officer's sig


def test_a_token_is_written_one_way_only(ledger: Ledger, tmp_path: Path) -> None:
    """§9.9: base64url without padding, as the payload's bytes encode, and 128 lowercase hex
    digits: any other spelling of a good token is 401, so one token is one header text (a
    server's per-token cache and a stranger's verifier cannot be told apart by spelling)."""
    laptop = make_laptop(tmp_path / "a", "op-a")
    certs = [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
    ledger.import_authority(certs)
    gate = PushGate(ledger.trust, ledger.clock, GateLimits(anonymous_bytes=1000))
    token = make_token(laptop.key, ledger.clock())
    assert _who(gate, {HEADER: token}, "10.0.0.1") == (f"key {laptop.key.key_id}", None)
    encoded, sig = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=="))
    shouted = canonical_bytes({**payload, "key_id": payload["key_id"].upper()})
    shouted_sig = laptop.key.sign(signing_message("push_token", shouted)).hex()
    for spelling in (
        base64.urlsafe_b64encode(shouted).decode().rstrip("=") + "." + shouted_sig,
        encoded + "." + sig.upper(),
        encoded + "." + sig[:64] + " " + sig[64:],
        encoded + "==." + sig,
        encoded[:10] + "!" + encoded[10:] + "." + sig,
        encoded.replace("-", "+").replace("_", "/") + "." + sig,
    ):
        if spelling == token:
            continue
        with pytest.raises(Refusal) as refused:
            _who(gate, {HEADER: spelling}, "10.0.0.1")
        assert refused.value.status == 401, spelling


def test_a_key_beyond_its_rate_is_told_when_to_come_back(ledger: Ledger) -> None:
    clock = [100.0]
    gate = PushGate(
        ledger.trust, ledger.clock, GateLimits(rate=0.5, burst=3), monotonic=lambda: clock[0]
    )
    for _ in range(3):
        gate.spend("key a")
    with pytest.raises(Refusal) as refused:
        gate.spend("key a")
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "2"}
    gate.spend("key b")  # another key has its own bucket
    clock[0] += 2.0  # one push back
    gate.spend("key a")
    with pytest.raises(Refusal):
        gate.spend("key a")


def test_a_full_queue_answers_503_at_once(ledger: Ledger) -> None:
    gate = PushGate(ledger.trust, ledger.clock, GateLimits(max_active=1, max_waiting=2))

    async def scenario() -> list[str]:
        release = asyncio.Event()
        outcomes: list[str] = []

        async def push(name: str) -> None:
            try:
                async with gate.turn():
                    outcomes.append(f"{name} in")
                    await release.wait()
            except Refusal as exc:
                outcomes.append(f"{name} {exc.status} {exc.headers}")

        tasks = [asyncio.create_task(push(n)) for n in ("a", "b", "c")]
        await asyncio.sleep(0)
        await push("d")  # a is in, b and c wait: d is refused without waiting
        release.set()
        await asyncio.gather(*tasks)
        return outcomes

    outcomes = asyncio.run(scenario())
    assert outcomes[:2] == ["a in", "d 503 {'Retry-After': '5'}"]
    assert sorted(outcomes[2:]) == ["b in", "c in"]


def test_too_many_bodies_at_once_answer_503(ledger: Ledger) -> None:
    gate = PushGate(ledger.trust, ledger.clock, GateLimits(max_reading=2))

    async def scenario() -> list[object]:
        seen: list[object] = []
        async with gate.reading(), gate.reading():
            try:
                async with gate.reading():
                    seen.append("in")
            except Refusal as exc:
                seen.append((exc.status, exc.headers))
        async with gate.reading(), gate.reading():  # the places came back
            seen.append("in again")
        return seen

    assert asyncio.run(scenario()) == [(503, {"Retry-After": "5"}), "in again"]


def test_the_photo_door_takes_only_certified_keys_and_keeps_its_own_rates_and_places(
    ledger: Ledger, tmp_path: Path
) -> None:
    laptop = make_laptop(tmp_path / "a", "op-a")
    certs = [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
    clock = [100.0]
    gate = PushGate(
        ledger.trust,
        ledger.clock,
        GateLimits(rate=1.0, burst=1, photo_rate=1.0, photo_burst=2, photo_reading=1),
        monotonic=lambda: clock[0],
    )
    token = make_token(laptop.key, ledger.clock())
    # No token, or one of a key not certified here (yet): a push may bring its certificate,
    # a photo may not come at all.
    for headers in ({}, {HEADER: token}):
        assert _who(gate, headers, "10.0.0.1")[0] == "address 10.0.0.1"
        with pytest.raises(Refusal) as refused:
            _who(gate, headers, "10.0.0.1", strangers=False)
        assert refused.value.status == 401
    ledger.import_authority(certs)
    name = f"key {laptop.key.key_id}"
    assert _who(gate, {HEADER: token}, "10.0.0.1", strangers=False) == (name, None)
    # The key's photo bucket and its push bucket are apart: photos never spend pushes.
    gate.spend(name, PHOTO)
    gate.spend(name, PHOTO)
    with pytest.raises(Refusal) as refused:
        gate.spend(name, PHOTO)
    assert refused.value.status == 429 and "photo" in str(refused.value)
    gate.spend(name)  # the push still goes

    async def scenario() -> list[object]:
        seen: list[object] = []
        async with gate.reading(PHOTO):
            try:
                async with gate.reading(PHOTO):
                    seen.append("in")
            except Refusal as exc:
                seen.append(exc.status)
            async with gate.reading():  # a push body still comes in
                seen.append("push in")
        return seen

    assert asyncio.run(scenario()) == [503, "push in"]


def _crowd_gate(ledger: Ledger, clock: list[float]) -> tuple[PushGate, Any]:
    """A gate of one push place and 10 waiting, on the test's clock, and its push places."""
    gate = PushGate(
        ledger.trust,
        ledger.clock,
        GateLimits(max_active=1, max_waiting=10),
        monotonic=lambda: clock[0],
    )
    return gate, gate._places["push"]


def _told(places: Any, who: str) -> int:
    after = places.busy(who).retry_after
    assert after is not None
    return after


def test_a_crowd_refused_is_told_to_come_back_later_in_proportion(ledger: Ledger) -> None:
    """Each certified key refused takes a number in a line and is told when it will be
    called: here, before any push has finished, at 10 waiting places every 5 s. The first
    few hear 5 s; a crowd hears longer, the wait at most doubling from one second to the
    next, at most 600 s. A key refused again keeps its number; pushes without a token
    (anyone, from many addresses) are told the end of the line and do not make it longer."""
    clock = [100.0]
    _gate, places = _crowd_gate(ledger, clock)
    assert [_told(places, f"key {n}") for n in range(10)] == [5] * 10
    # The 11th in line at 2 a second: 5.5 s, for every address, however many.
    assert {_told(places, f"address 10.0.{n // 250}.{n % 250}") for n in range(5000)} == {6}
    assert {_told(places, "key 0") for _ in range(1000)} == {5}  # the same key: its number
    waits = [_told(places, f"key {n}") for n in range(10, 200)]  # 200 keys in this second
    assert waits[-1] == 10 and waits == sorted(waits)  # 5 s doubled at most
    longest = []
    for _second in range(6):  # the crowd of 200 keys keeps coming: 100 s, reached by doubling
        clock[0] += 1.0
        longest.append(max(_told(places, f"key {n}") for n in range(200)))
    assert longest == [20, 40, 80, 100, 100, 100]
    for _second in range(4):  # a crowd of 100,000 keys: at most 600 s
        clock[0] += 1.0
        for n in range(100_000):
            places.busy(f"key {n}")
    assert _told(places, "key y") == 600
    clock[0] += 10  # nobody refused since: the line is gone
    assert _told(places, "key z") == 5


def test_a_crowd_is_told_to_come_back_at_the_rate_the_server_works(ledger: Ledger) -> None:
    """A server that finishes 100 pushes of certified keys a second takes a crowd of 200
    keys in two seconds: it tells them 5 s, where 10 waiting places every 5 s would give
    100 s (10 in the first second, by doubling); a crowd of 2,000 keys hears 20 s, not 600,
    and a key whose number was called and is refused again goes to the end of the line.
    The rate is the certified keys' turns ended in the last 5 s: requests without a token,
    which anyone can make end at once from many addresses, do not make it seem faster; and
    once none has ended for 5 s, it is not known again."""
    clock = [100.0]
    gate, places = _crowd_gate(ledger, clock)

    async def work(pushes: int) -> None:  # 100 pushes a second, each in its turn
        for _ in range(pushes):
            async with gate.turn(who="key w"):
                clock[0] += 0.01

    async def junk(requests: int) -> None:  # 100 a second, from addresses, no token
        for n in range(requests):
            async with gate.turn(who=f"address 10.0.0.{n % 250}"):
                clock[0] += 0.01

    asyncio.run(junk(500))
    assert max(_told(places, f"key {n}") for n in range(200)) == 10  # 100 s, doubled at most
    clock[0] += 5.0  # nobody refused since: the line is gone
    asyncio.run(work(500))
    assert {_told(places, f"key {n}") for n in range(200)} == {5}
    longest = []
    for _second in range(6):  # 2,000 keys keep coming while the server keeps working
        asyncio.run(work(100))
        longest.append(max(_told(places, f"key {n}") for n in range(2000)))
    assert longest == [10, 20, 20, 20, 20, 20]  # 2,000 / 100 a second, reached by doubling
    clock[0] += 5.0  # no push finished for 5 s, nobody refused: 10 places every 5 s again
    for _second in range(6):
        clock[0] += 1.0
        longest.append(max(_told(places, f"key {n}") for n in range(200)))
    # A new line: 200 keys x 5 s / 10 places = 100 s, reached again by doubling from 5 s
    assert longest[6:] == [10, 20, 40, 80, 100, 100]


def test_one_sender_holds_few_of_the_body_places(ledger: Ledger) -> None:
    """A slow sender (one address without a token, or one key) could hold every body place
    for the body deadline and stop every push: it holds at most four; others still send."""
    gate = PushGate(ledger.trust, ledger.clock, GateLimits(max_reading=32))

    async def scenario() -> list[object]:
        seen: list[object] = []
        async with AsyncExitStack() as held:
            for _ in range(4):
                await held.enter_async_context(gate.reading(who="address 10.0.0.9"))
            try:
                async with gate.reading(who="address 10.0.0.9"):
                    seen.append("fifth in")
            except Refusal as exc:
                seen.append((exc.status, exc.headers))
            async with gate.reading(who="key abc"):  # an honest laptop meanwhile
                seen.append("other in")
        async with gate.reading(who="address 10.0.0.9"):  # its places came back
            seen.append("in again")
        return seen

    assert asyncio.run(scenario()) == [(429, {"Retry-After": "1"}), "other in", "in again"]
    assert gate._places["push"].by_sender == {}


def test_senders_without_a_token_hold_half_of_the_body_places(ledger: Ledger) -> None:
    """Eight addresses dribbling four bodies each held all 32 places for the body deadline,
    and every certified laptop was answered 503: together they hold at most half."""
    gate = PushGate(ledger.trust, ledger.clock, GateLimits(max_reading=32))

    async def scenario() -> list[object]:
        seen: list[object] = []
        async with AsyncExitStack() as held:
            for address in range(8):
                for _ in range(2):
                    await held.enter_async_context(gate.reading(who=f"address 10.0.0.{address}"))
            try:
                async with gate.reading(who="address 10.0.0.99"):
                    seen.append("seventeenth in")
            except Refusal as exc:
                seen.append(exc.status)
            for k in range(16):  # certified keys still have the other half
                await held.enter_async_context(gate.reading(who=f"key {k:064x}"))
            seen.append("16 keys in")
            try:
                async with gate.reading(who="key " + "f" * 64):
                    seen.append("33rd in")
            except Refusal as exc:
                seen.append(exc.status)
        async with gate.reading(who="address 10.0.0.99"):  # the places came back
            seen.append("in again")
        return seen

    assert asyncio.run(scenario()) == [503, "16 keys in", 503, "in again"]
    assert gate._places["push"].reading_anonymous == 0


def test_the_gate_reads_the_trust_from_the_database_at_most_once_a_moment(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The gate runs on the event loop: a database read per push there (a round trip and a
    pooled connection on PostgreSQL) stalls every connection of the process, /v1/health
    included. It judges tokens by a trust read at most TRUST_RECHECK seconds ago."""
    laptop = make_laptop(tmp_path / "a", "op-a")
    now = [100.0]
    ledger.monotonic = lambda: now[0]
    ledger.import_authority(
        [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
    )
    ledger.trust()  # read at 100.0, the certificate in it
    reads: list[int] = []
    version = ledger.storage.trust_version
    monkeypatch.setattr(ledger.storage, "trust_version", lambda: reads.append(1) or version())
    gate = PushGate(ledger.held_trust, ledger.clock, GateLimits(), fresh=ledger.trust)
    token = make_token(laptop.key, ledger.clock())
    for _ in range(50):
        assert _who(gate, {HEADER: token}, "10.0.0.1") == (f"key {laptop.key.key_id}", None)
    assert reads == []
    now[0] += TRUST_RECHECK  # a moment later the database is asked again
    assert _who(gate, {HEADER: token}, "10.0.0.1") == (f"key {laptop.key.key_id}", None)
    assert len(reads) == 1
    # On the event loop the read a moment later runs on a thread (the held trust is None).
    now[0] += TRUST_RECHECK
    assert ledger.held_trust() is None
    loop_thread = threading.get_ident()
    where: list[int] = []
    version_read = ledger.storage.trust_version
    monkeypatch.setattr(
        ledger.storage,
        "trust_version",
        lambda: where.append(threading.get_ident()) or version_read(),
    )

    async def asked() -> tuple[str, int | None]:
        assert threading.get_ident() == loop_thread
        return await gate.who_async({HEADER: token}, "10.0.0.1")

    assert asyncio.run(asked()) == (f"key {laptop.key.key_id}", None)
    assert len(where) == 1 and where[0] != loop_thread


def test_a_key_certified_a_moment_ago_is_known_at_the_gate_at_once(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A laptop pushes its certificate to one worker, then its photos at once to another:
    the gate, holding a trust read before the certificate came, asks the database again
    before it calls the key a stranger (a photo from a stranger is 401)."""
    laptop = make_laptop(tmp_path / "a", "op-a")
    ledger.monotonic = lambda: 100.0  # the trust the gate holds never ages by itself
    gate = PushGate(ledger.held_trust, ledger.clock, GateLimits(), fresh=ledger.trust)
    token = make_token(laptop.key, ledger.clock())
    assert _who(gate, {HEADER: token}, "10.0.0.1")[0] == "address 10.0.0.1"
    held = ledger.trust()
    other = open_ledger(tmp_path / "server", demo=True)  # another worker, the same database
    try:
        other.import_authority(
            [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
        )
    finally:
        other.storage.close()
    assert _who(gate, {HEADER: token}, "10.0.0.1", strangers=False) == (
        f"key {laptop.key.key_id}",
        None,
    )
    # As the event loop asks it, by a gate holding the trust from before the certificate:
    # the database's is read on a thread, and knows the key.
    reads: list[int] = []

    def counted() -> Trust:
        reads.append(1)
        return ledger.trust()

    late = PushGate(lambda: held, ledger.clock, GateLimits(), fresh=counted)
    asked = late.who_async({HEADER: token}, "10.0.0.2", strangers=False)
    assert asyncio.run(asked) == (f"key {laptop.key.key_id}", None)
    assert reads == [1]


def test_tokens_of_unknown_keys_never_make_the_event_loop_wait_for_the_database(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A flood of push tokens signed by keys the server does not know: each needs the
    database's trust (its key may have been certified a moment ago by another worker). Read
    on the event loop, a slow database (or a pool whose connections busy threads hold)
    stalled every connection of the process. Now the loop keeps turning while the read
    runs on a thread, and the flood costs two reads, not one each."""
    strangers = [SigningKey.generate() for _ in range(40)]
    started = threading.Event()
    release = threading.Event()
    reads: list[int] = []

    def slow_fresh() -> Trust:
        reads.append(1)
        started.set()
        release.wait(10)
        return ledger.trust()

    gate = PushGate(ledger.held_trust, ledger.clock, GateLimits(), fresh=slow_fresh)
    tokens = [make_token(key, ledger.clock()) for key in strangers]

    async def scenario() -> tuple[int, list[tuple[str, int | None]]]:
        asked = [
            asyncio.ensure_future(gate.who_async({HEADER: t}, f"10.0.0.{i}"))
            for i, t in enumerate(tokens)
        ]
        while not started.is_set():
            await asyncio.sleep(0.01)
        began = time.monotonic()
        for _ in range(20):  # the database still answering: the loop turns all the same
            await asyncio.sleep(0.005)
        turned = time.monotonic() - began
        assert not any(a.done() for a in asked)  # all still waiting for the database
        release.set()
        return turned, list(await asyncio.gather(*asked))

    turned, answers = asyncio.run(scenario())
    assert turned < 5  # 20 turns of 5 ms; a loop held by the read waits the whole 10 s
    assert answers == [(f"address 10.0.0.{i}", 64 * 1024) for i in range(len(tokens))]
    # The first asker's read, then one read for the 39 who asked while it ran: two.
    assert 1 <= len(reads) <= 2


def test_a_crowds_token_checks_are_spread_over_the_event_loops_passes(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token is checked on the event loop (~120 µs of Python and a verify, once a laptop).
    A crowd back from an outage brings hundreds of first pushes at once; checked as they
    came, in one pass of the loop, they kept /v1/health waiting ~100 ms (run A3,
    docs/PERFORMANCE.md). Each check now has a pass of its own, the sockets polled between
    two, and none is on another thread (where they competed for Python's lock with the
    threads health is built on)."""
    laptop = make_laptop(tmp_path / "a", "op-a")
    ledger.import_authority(
        [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
    )
    ledger.monotonic = lambda: 100.0  # the trust the gate holds stays current: no reads
    ledger.trust()
    gate = PushGate(ledger.held_trust, ledger.clock, GateLimits(), fresh=ledger.trust)
    now = ledger.clock()
    tokens = [make_token(laptop.key, now - dt.timedelta(minutes=i)) for i in range(40)]
    passes = [0]  # the loop's passes so far, counted by a callback that runs once in each
    checked: list[tuple[int, int]] = []  # (the pass, the thread) of each check

    def counting(text: str, trust: Trust, at: dt.datetime) -> Any:
        checked.append((passes[0], threading.get_ident()))
        return check_token(text, trust, at)

    monkeypatch.setattr(gate_module, "check_token", counting)

    async def scenario() -> tuple[int, list[tuple[str, int | None]]]:
        loop = asyncio.get_running_loop()

        def tick() -> None:
            passes[0] += 1
            loop.call_soon(tick)  # runs in the next pass, not this one

        loop.call_soon(tick)
        await asyncio.sleep(0)
        asked = [gate.who_async({HEADER: t}, "10.0.0.1") for t in tokens]  # all at once
        return threading.get_ident(), list(await asyncio.gather(*asked))

    loop_thread, answers = asyncio.run(scenario())
    assert answers == [(f"key {laptop.key.key_id}", None)] * len(tokens)
    assert len(checked) == len(tokens)
    assert len({when for when, _ in checked}) == len(tokens), "two checks in one pass"
    assert {thread for _, thread in checked} == {loop_thread}


def test_one_token_asked_at_once_by_many_requests_is_checked_once(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A laptop's pushes sent together carry one token: the first check is remembered, and
    the requests that waited for their turn behind it are not checked again."""
    laptop = make_laptop(tmp_path / "a", "op-a")
    ledger.import_authority(
        [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
    )
    ledger.monotonic = lambda: 100.0
    ledger.trust()
    gate = PushGate(ledger.held_trust, ledger.clock, GateLimits(), fresh=ledger.trust)
    token = make_token(laptop.key, ledger.clock())
    checks: list[str] = []

    def counting(text: str, trust: Trust, at: dt.datetime) -> Any:
        checks.append(text)
        return check_token(text, trust, at)

    monkeypatch.setattr(gate_module, "check_token", counting)

    async def scenario() -> list[tuple[str, int | None]]:
        return list(
            await asyncio.gather(*(gate.who_async({HEADER: token}, "10.0.0.1") for _ in range(40)))
        )

    assert asyncio.run(scenario()) == [(f"key {laptop.key.key_id}", None)] * 40
    assert checks == [token]


def _certify_elsewhere(tmp_path: Path, laptop: Any) -> None:
    """Another worker (the same database) stores the laptop's certificate."""
    other = open_ledger(tmp_path / "server", demo=True)
    try:
        other.import_authority(
            [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
        )
    finally:
        other.storage.close()


def test_a_read_of_the_trust_begun_before_a_request_is_never_its_answer(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The gate reuses the database's trust only if its read began after the request asked.
    Counted by reads, not by a clock: here the clock never moves (as a coarse clock, 15.6 ms
    on Windows, does not between two requests), and the key certified between the two
    requests must be known to the second."""
    laptop = make_laptop(tmp_path / "a", "op-a")
    ledger.monotonic = lambda: 100.0
    gate = PushGate(
        ledger.held_trust, ledger.clock, GateLimits(), monotonic=lambda: 5.0, fresh=ledger.trust
    )
    token = make_token(laptop.key, ledger.clock())

    async def ask(strangers: bool) -> tuple[str, int | None]:
        return await gate.who_async({HEADER: token}, "10.0.0.1", strangers=strangers)

    assert asyncio.run(ask(True))[0] == "address 10.0.0.1"
    _certify_elsewhere(tmp_path, laptop)
    assert asyncio.run(ask(False)) == (f"key {laptop.key.key_id}", None)


def test_a_token_judged_once_is_judged_again_when_it_ends(ledger: Ledger, tmp_path: Path) -> None:
    """A token the gate accepted is remembered with the trust it was judged by, but only
    until the token ends (with its day of grace) or its key's certificate does: the trust
    may stay the same object for days."""
    laptop = make_laptop(tmp_path / "a", "op-a")
    ledger.import_authority(
        [r for r in laptop.ws.store.records.authority_records() if r.type == "certificate"]
    )
    now = [ledger.clock()]
    gate = PushGate(ledger.held_trust, lambda: now[0], GateLimits(), fresh=ledger.trust)
    token = make_token(laptop.key, now[0])
    assert _who(gate, {HEADER: token}, "10.0.0.1") == (f"key {laptop.key.key_id}", None)
    now[0] += dt.timedelta(days=400)
    with pytest.raises(Refusal, match="expired"):
        _who(gate, {HEADER: token}, "10.0.0.1")
    # The key's certificate ends while a token is still young: a photo is a stranger's then.
    (certificate,) = ledger.trust().certificates[laptop.key.key_id]
    now[0] = certificate.valid_until - dt.timedelta(hours=1)
    young = make_token(laptop.key, now[0])
    assert _who(gate, {HEADER: young}, "10.0.0.1", strangers=False)[0] == f"key {laptop.key.key_id}"
    now[0] = certificate.valid_until + dt.timedelta(minutes=1)
    with pytest.raises(Refusal, match="no certificate in force"):
        _who(gate, {HEADER: young}, "10.0.0.1", strangers=False)


def test_a_failed_read_of_the_trust_is_shared_by_those_who_waited_for_it(
    ledger: Ledger,
) -> None:
    """The database does not answer: the tokens of unknown keys waiting for the same read
    get its error (a 500 each), not one failing read after another."""
    reads: list[int] = []

    def failing() -> Trust:
        reads.append(1)
        time.sleep(0.2)
        raise OSError("the database does not answer")

    gate = PushGate(ledger.held_trust, ledger.clock, GateLimits(), fresh=failing)
    tokens = [make_token(SigningKey.generate(), ledger.clock()) for _ in range(6)]

    async def scenario() -> list[Any]:
        asked = [gate.who_async({HEADER: t}, "10.0.0.1") for t in tokens]
        return list(await asyncio.gather(*asked, return_exceptions=True))

    answers = asyncio.run(scenario())
    assert all(isinstance(a, OSError) for a in answers)
    assert 1 <= len(reads) <= 2
    # Another event loop (a test's second client, a restarted app) waits on its own lock.
    answers = asyncio.run(scenario())
    assert all(isinstance(a, OSError) for a in answers), answers
