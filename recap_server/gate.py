"""Who may make the server work, and how much (PROTOCOL §9.9), decided from a request's
headers before a byte of its body is read. Two doors go through it: pushes (``/v1/push``,
``/v1/push/held``) and photo uploads (``PUT /v1/photos``, §9.8).

- A push names its certified key by a push token (``recap_desktop.protocol.pushauth``); one
  without a token may carry only a small body (a laptop's first push of its own certificate,
  which the authority signed), so a stranger can cost the server at most that. A photo is
  taken only with the token of a certified key (a photo is named by a sheet the server
  admitted, so whoever sends it has pushed, and holds a token that holds).
- Each key (or, without a token, each client address) has a token bucket per door: beyond
  its rate the answer is 429 with ``Retry-After``.
- At most ``max_reading`` bodies are received at once (``reading_per_sender`` of them from
  one key or address, else 429), and ``max_active`` requests worked
  on at once with ``max_waiting`` waiting for their turn, per door (photos cannot take the
  places of pushes); beyond either the answer is 503 with ``Retry-After``, at once.
- A body is counted as it streams in and refused (413) at its limit (``read_body``).

The bucket is our own few lines: a dependency for a dictionary of two floats per key would
cost more than it saves.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from anyio import to_thread
from fastapi import HTTPException
from starlette.requests import ClientDisconnect, Request

from recap_desktop.protocol.pushauth import (
    GRACE,
    HEADER,
    PushToken,
    TokenError,
    Uncertified,
    check_token,
    in_force,
)
from recap_desktop.protocol.trust import Trust
from recap_desktop.protocol.wire import MAX_RETRY_AFTER

PUSH, PHOTO = "push", "photo"  # the doors


class _Ask:
    """``PushGate._judge``'s answer when only the database's trust can tell."""


_ASK = _Ask()


# Pushes parsed or admitted at once in one process. Where the pushes waiting for their turn
# are admitted together (Ledger.together: PostgreSQL), more places make fewer transactions:
# with 8, 14-29 % more laptops finished a national surge (docs/PERFORMANCE.md, run M). Where
# each is admitted alone (SQLite), more threads in one process only wait for Python's lock: 2.
PUSH_PLACES_TOGETHER = 8
PUSH_PLACES_ELSE = 2


def push_places(together: bool) -> int:
    return PUSH_PLACES_TOGETHER if together else PUSH_PLACES_ELSE


@dataclass(frozen=True)
class GateLimits:
    require_token: bool = True
    limit_rate: bool = True  # per-key token buckets (off: an API alone, under its tests)
    anonymous_bytes: int = 64 * 1024  # a push without a token: on the wire
    # Pushes parsed or admitted at once; None: ``push_places`` of the server's ledger.
    max_active: int | None = None
    max_waiting: int = 64  # pushes queued behind them
    max_reading: int = 32  # bodies being received at once (at most 16 MiB each in memory)
    # of them, from one key or address: a slow sender alone cannot hold every place for
    # the body deadline (60 s) and so stop every push (a laptop sends one body at a time)
    reading_per_sender: int = 4
    # Pushes a second per key, sustained, and at once: a push of 500 sheets costs the server
    # ~0.1 s, so 10 a second is one key taking the whole of a core; a laptop back from an
    # outage with a regency's bundle sends 50 batches at once.
    rate: float = 10.0
    burst: int = 50
    busy_retry_after: int = 5  # seconds, when the queue is full
    max_keys: int = 100_000  # buckets remembered (the oldest forgotten first)
    # Photo PUTs (a chunk of at most 2 MiB each; the laptop sends 1 MiB). A district's
    # laptop holds ~600 sheets of 1-4 photos of 0.3-5 MB: 4 PUTs a second send the usual
    # 300 KB photos at their pace on any link a district has, and a regency's backlog of
    # 5 MB ones (~12,000 chunks) within the hour; one key cannot take more than that of
    # the disk. 40 at once: a laptop back from an outage finishes its first photos at once.
    photo_rate: float = 4.0
    photo_burst: int = 40
    photo_active: int = 2  # chunks written at once (one transaction, fsynced, each)
    photo_waiting: int = 64
    photo_reading: int = 16  # photo bodies being received at once (2 MiB each at most)


class Refusal(Exception):
    """An answer given before any work: status, sentence, and Retry-After if any."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None


@dataclass
class _Bucket:
    tokens: float
    at: float


MAX_CROWD = 100_000  # certified keys in a door's line at most (a bound on memory)
# The seconds over which a door's rate of finished work is measured (``_Places.busy``).
RATE_WINDOW = 5.0


class _Places:
    """One door's places: bodies being received, and work done at once or waiting."""

    def __init__(
        self,
        reading: int,
        active: int,
        waiting: int,
        retry_after: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_reading, self.max_waiting, self.retry_after = reading, waiting, retry_after
        self.by_sender: dict[str, int] = {}  # bodies being received, per bucket name
        self.running = asyncio.Semaphore(active)
        self.queued = 0
        self.reading = 0
        self.reading_anonymous = 0  # of them, from senders named by their address
        self._monotonic = monotonic
        self._second = monotonic()
        self._told = self._told_before = retry_after  # the longest wait told, now and before
        # The line is counted in certified keys' turns: when each of the last RATE_WINDOW
        # ended, how many ended since the start (its front), each key's number, the last
        # number given.
        self._finished: deque[float] = deque()
        self._done = 0
        self._line: dict[str, int] = {}
        self._tail = 0

    def finished(self, who: str | None) -> None:
        """``who``'s turn has ended. Only certified keys' turns count: anyone can make
        requests that end at once from many addresses, and would make the line seem to
        move faster than it does for the keys in it."""
        if who is not None and who.startswith("key "):
            now = self._monotonic()
            self._finished.append(now)
            self._done += 1
            self._forget(now)

    def _forget(self, now: float) -> None:
        while self._finished and self._finished[0] <= now - RATE_WINDOW:
            self._finished.popleft()

    def busy(self, who: str | None = None) -> Refusal:
        """A 503 whose Retry-After is about when the server will have taken the line ahead.

        A constant answer brings everyone refused back together: in the national surge
        7,000 laptops told "5 s" came back at ~600 a second (111,262 in 182 s), and the
        server spent itself refusing them. So each certified key refused takes a number in
        a line and is told about when its number will be called: the numbers ahead of it,
        at the rate certified keys' turns ended in the last RATE_WINDOW seconds (never taken
        as less than ``max_waiting`` every ``retry_after`` seconds). A number reserves no
        place: whoever comes when one is free takes it. A key refused again before its
        number is called (told less by the caps below) keeps it; after, it takes a new one.
        After a second or two with nobody refused, the line is gone. Laptops spread the time
        further (§9.9). Told from the keys refused in one second alone, at 12.8 pushes a
        second, a national surge's first crowd was sent away for 40-113 s while the server
        took ~90 a second, and the server sat nearly idle at the surge's end while they
        waited; that crowd at the measured rate came back three times as often
        (docs/PERFORMANCE.md, runs R1 to R11).

        Only certified keys take a number (``who``, the gate's bucket name: "key ...";
        anyone can send pushes without a token from many addresses): others are told the
        end of the line without making it longer. The wait is at least ``retry_after``, at
        most 600 s, and at most double the longest told in the last second: a burst cannot
        send honest laptops away for ten minutes."""
        now = self._monotonic()
        if now - self._second >= 1.0:
            recent = now - self._second < 2.0
            self._told_before = self._told if recent else self.retry_after
            self._second, self._told = now, self.retry_after
            if recent:  # numbers called are forgotten: one pass over the line a second
                self._line = {key: n for key, n in self._line.items() if n > self._done}
            else:  # nobody refused for a second or more: the line got places, or left
                self._line, self._tail = {}, self._done
        self._forget(now)
        slowest = max(1, self.max_waiting) / max(1, self.retry_after)
        rate = max(len(self._finished) / RATE_WINDOW, slowest)
        number = self._line.get(who) if who is not None else None
        if number is None or number <= self._done:
            number = max(self._tail, self._done) + 1
            if who is not None and who.startswith("key ") and len(self._line) < MAX_CROWD:
                self._line[who] = self._tail = number
        wait = max(self.retry_after, (number - self._done) / rate)
        told = min(MAX_RETRY_AFTER, 2 * self._told_before, math.ceil(wait))
        self._told = max(self._told, told)
        return Refusal(503, "the server is busy: try again shortly", told)


class PushGate:
    def __init__(
        self,
        trust: Callable[[], Trust | None],
        clock: Callable[[], datetime],
        limits: GateLimits = GateLimits(),
        monotonic: Callable[[], float] = time.monotonic,
        fresh: Callable[[], Trust] | None = None,
    ) -> None:
        """``trust``: the trust tokens are judged by, which may be a moment old (it is asked
        on the event loop), or None when it is older than that; ``fresh``: the database's
        own, asked then, and when a token's key is not certified in the held one, so a key
        certified a moment ago is known at once (``who_async`` asks it on a thread)."""
        self.limits = limits
        self._trust = trust
        self._fresh = fresh
        # who_async's reads of the database's trust: how many have begun, the last one's
        # number and what it gave (a trust or the error it raised), and one read at a time
        # (a lock of the event loop that runs the gate).
        self._reads_begun = 0
        self._fresh_read: tuple[int, Trust | Exception] | None = None
        self._fresh_turn: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        # Tokens checked one at a time, each in a pass of the loop of its own (``_check``).
        self._check_turn: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._clock = clock
        self._monotonic = monotonic
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        # token text -> (the trust it was judged by, its key, until when that judgment holds:
        # the token's end with its grace, the key's certificate's end)
        self._checked: OrderedDict[str, tuple[Trust, str, datetime]] = OrderedDict()
        after = limits.busy_retry_after
        self._places = {
            PUSH: _Places(
                limits.max_reading,
                PUSH_PLACES_ELSE if limits.max_active is None else limits.max_active,
                limits.max_waiting,
                after,
                monotonic,
            ),
            PHOTO: _Places(
                limits.photo_reading, limits.photo_active, limits.photo_waiting, after, monotonic
            ),
        }

    async def who_async(
        self,
        headers: Mapping[str, str],
        client: str,
        *,
        strangers: bool = True,
    ) -> tuple[str, int | None]:
        """The bucket's name and the largest body allowed (None: the server's own limit).
        Raises Refusal (401) for a token that does not hold or a missing one where needed.
        ``strangers`` False (photos): without the token of a certified key, 401 too.

        Asked on the event loop: when the held trust is too old, or does not know a
        token's key (certified a moment ago by another worker, or a stranger's), the token is
        judged by the database's trust, read on a thread, never on the loop (a round trip
        and a pooled connection, which busy threads may all hold, would stall every
        connection of the process, /v1/health included). One read at a time, and once for
        all who asked while none had begun: a flood of tokens of unknown keys costs reads
        back to back, not one each."""
        judged = await self._judge(headers, client, strangers, None)
        if judged is _ASK:
            judged = await self._judge(headers, client, strangers, await self._fresh_trust())
        assert not isinstance(judged, _Ask)
        return judged

    async def _fresh_trust(self) -> Trust:
        """The database's trust, read after this call began: a read that began later is
        taken (its answer, or its error), counted by the reads begun, not by a clock (one
        reading of a coarse clock, 15.6 ms on Windows, would take a read that began before)."""
        fresh = self._fresh
        assert fresh is not None
        asked = self._reads_begun
        loop = asyncio.get_running_loop()
        if self._fresh_turn is None or self._fresh_turn[0] is not loop:
            self._fresh_turn = (loop, asyncio.Lock())  # a lock serves the loop it waits on
        async with self._fresh_turn[1]:
            kept = self._fresh_read
            if kept is None or kept[0] <= asked:
                self._reads_begun += 1
                number = self._reads_begun
                try:
                    kept = (number, await to_thread.run_sync(fresh))
                except Exception as exc:  # the database down: those waiting share the error
                    kept = (number, exc)
                self._fresh_read = kept
            if isinstance(kept[1], Exception):
                raise kept[1]
            return kept[1]

    def _remembered(self, text: str, trust: Trust, now: datetime) -> str | None:
        """The key of a token judged before by ``trust`` whose judgment still holds."""
        cached = self._checked.get(text)
        if cached is not None and cached[0] is trust and now <= cached[2]:
            self._checked.move_to_end(text)
            return cached[1]
        return None

    async def _check(self, text: str, trust: Trust, now: datetime) -> PushToken | str:
        """``check_token``, on the event loop, one at a time, each in a pass of the loop of
        its own (the next one two passes later): the sockets are polled between two checks.
        A check is ~120 µs of Python and a signature verify, once for each token while the
        trust stands; a crowd back from an outage brings thousands at once (500 requests in
        flight in the national run), and checked as they came they kept the loop busy for
        ~100 ms in one pass, /v1/health waiting (run A3, docs/PERFORMANCE.md). Held across
        a pass (``sleep(0)``), the lock hands the next check to a later pass. Not on a
        thread: there, a crowd's checks competed for Python's lock with the threads health
        is built on, and the slowest probe of the surge was 0.7 s (runs B2, B4).

        A token judged while this one waited (the same laptop's requests at once) is not
        checked again: its key is returned."""
        loop = asyncio.get_running_loop()
        turn = self._check_turn
        if turn is None or turn[0] is not loop:
            turn = self._check_turn = (loop, asyncio.Lock())  # a lock serves its own loop
        async with turn[1]:
            key = self._remembered(text, trust, now)
            if key is not None:
                return key
            try:
                return check_token(text, trust, now)
            finally:
                await asyncio.sleep(0)

    async def _judge(
        self, headers: Mapping[str, str], client: str, strangers: bool, fresh: Trust | None
    ) -> tuple[str, int | None] | _Ask:
        """``who_async``'s answer by the trust the gate holds, or by ``fresh`` (the database's)
        once ``_ASK`` said the held one is too old or does not know the key."""
        text = headers.get(HEADER.lower()) or headers.get(HEADER)
        anonymous = (
            f"address {client}",
            (self.limits.anonymous_bytes if self.limits.require_token else None),
        )
        refuse = self.limits.require_token and not strangers
        if text is None:
            if refuse:
                raise Refusal(
                    401, "a photo is sent with the push token of a certified key (PROTOCOL §9.8)"
                )
            return anonymous
        held = self._trust()
        if held is None and fresh is None:
            assert self._fresh is not None, "a gate whose trust may be None needs fresh"
            return _ASK
        trust = held if held is not None else fresh
        assert trust is not None
        now = self._clock()
        key = self._remembered(text, trust, now)
        if key is not None:
            return f"key {key}", None
        try:
            try:
                token = await self._check(text, trust, now)
                if isinstance(token, str):  # judged while this one waited
                    return f"key {token}", None
            except Uncertified:
                if fresh is None:
                    if self._fresh is not None:
                        return _ASK  # certified since the trust the gate holds was read?
                    raise
                if fresh is trust:
                    raise
                trust = fresh
                token = await self._check(text, trust, now)
                if isinstance(token, str):
                    return f"key {token}", None
        except Uncertified as exc:
            if refuse:
                raise Refusal(401, f"photo refused: {exc}") from exc
            return anonymous  # its certificate may be in this very push
        except TokenError as exc:
            what = "push" if strangers else "photo"
            raise Refusal(401, f"{what} refused: {exc}") from exc
        ends = max(c.valid_until for c in in_force(trust, token.key_id, now))
        self._checked[text] = (trust, token.key_id, min(token.expires + GRACE, ends))
        if len(self._checked) > self.limits.max_keys:
            self._checked.popitem(last=False)
        return f"key {token.key_id}", None

    def spend(self, name: str, door: str = PUSH) -> None:
        """Take one request from ``name``'s bucket at ``door``, or refuse 429 saying when one
        is back."""
        limits = self.limits
        if not limits.limit_rate:
            return
        rate, burst = (
            (limits.rate, limits.burst) if door == PUSH else (limits.photo_rate, limits.photo_burst)
        )
        key = name if door == PUSH else f"{door} {name}"
        now = self._monotonic()
        bucket = self._buckets.pop(key, None) or _Bucket(float(burst), now)
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        self._buckets[key] = bucket
        if len(self._buckets) > limits.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            wait = math.ceil((1.0 - bucket.tokens) / rate)
            what = "pushes" if door == PUSH else "photo uploads"
            raise Refusal(429, f"too many {what} from this key: wait and try again", max(1, wait))
        bucket.tokens -= 1.0

    @asynccontextmanager
    async def reading(self, door: str = PUSH, who: str | None = None) -> AsyncIterator[None]:
        """One of ``max_reading`` bodies being received: a slow sender holds this, never a
        place of the work (two slow bodies must not stop every push), and one sender
        (``who``, the bucket's name from ``who_async()``) at most ``reading_per_sender`` of them.
        ``who`` is also who takes a number in the line when refused (``_Places.busy``)."""
        places = self._places[door]
        # Senders without a certified key's token (named by their address) share half of the
        # places: eight addresses dribbling bodies (4 each) took all 32 for the body deadline,
        # and every certified laptop was told to come back later (found by an audit).
        anonymous = who is not None and not who.startswith("key ")
        if places.reading >= places.max_reading or (
            anonymous and places.reading_anonymous >= max(1, places.max_reading // 2)
        ):
            raise places.busy(who)
        mine = places.by_sender.get(who, 0) if who is not None else 0
        if who is not None and mine >= self.limits.reading_per_sender:
            raise Refusal(429, "too many bodies from this sender at once: send one at a time", 1)
        places.reading += 1
        places.reading_anonymous += anonymous
        if who is not None:
            places.by_sender[who] = mine + 1
        try:
            yield
        finally:
            places.reading -= 1
            places.reading_anonymous -= anonymous
            if who is not None:
                left = places.by_sender[who] - 1
                if left:
                    places.by_sender[who] = left
                else:
                    del places.by_sender[who]

    @asynccontextmanager
    async def turn(self, door: str = PUSH, who: str | None = None) -> AsyncIterator[None]:
        """One of ``max_active`` places, waiting in a queue of at most ``max_waiting``."""
        places = self._places[door]
        if places.running.locked() and places.queued >= places.max_waiting:
            raise places.busy(who)
        places.queued += 1
        try:
            await places.running.acquire()
        finally:
            places.queued -= 1
        try:
            yield
        finally:
            places.running.release()
            places.finished(who)


def hashes_body_bytes(count: int) -> int:
    """The most a JSON body of ``count`` record hashes may take: 67 bytes a hash (quotes
    and comma) and room for its key and spacing; read with ``read_body`` at that limit."""
    return 80 * (count + 1)


async def read_body(request: Request, limit: int, why: str) -> bytes:
    """The body, refused (413, ``why``) as soon as it is known to be over ``limit``: from
    its Content-Length before a byte is read, else while it streams in (a sender dribbling
    a body past its limit is answered at the limit, and the rest never read)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, why)
    chunks = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise HTTPException(413, why)
            chunks.append(chunk)
    except ClientDisconnect as exc:
        # Cut by the body deadline (edge.py) or by the sender: answered (to no one) rather
        # than raised, so that a crowd of slow senders does not fill the log with tracebacks.
        raise HTTPException(408, "the body did not arrive in time") from exc
    return b"".join(chunks)
