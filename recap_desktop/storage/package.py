"""The newest election package held: parsed once per store and package, or only its outline.

A national package is one record of tens of MB; parsing it whole takes seconds and hundreds
of MB. The window needs little of it: its regions and stations are in the projection tables
(indexed, read by ``places``), and the rest (contests, forms, name, times) is read here from
the payload's leading members.
"""

from __future__ import annotations

import json
from typing import Any

from recap_desktop.domain.election import Election, ElectionError, ElectionOutline
from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.records import Records


class CurrentPackage:
    """The newest election package held, and what was parsed of it (this thread's store)."""

    def __init__(self, connection: Connection, records: Records) -> None:
        self._db = connection.db
        self._records = records
        self._election: tuple[str, Election] | None = None
        self._outline: tuple[str, ElectionOutline] | None = None

    def hash(self) -> str | None:
        """The newest package's record hash; None before any package is imported."""
        row = self._db.execute(
            "SELECT record FROM packages ORDER BY version DESC, record LIMIT 1"
        ).fetchone()
        return str(row[0]) if row else None

    def election(self) -> Election | None:
        """The newest election package held, parsed once per store and package."""
        hash_ = self.hash()
        if hash_ is None:
            return None
        if self._election is None or self._election[0] != hash_:
            record = self._records.get(hash_)
            if record is None:
                raise TamperedStore(f"the election package {hash_[:16]}… has gone from the store")
            try:
                self._election = (hash_, Election.from_payload(record.payload))
            except ElectionError as exc:
                raise TamperedStore(f"the stored election package is damaged: {exc}") from exc
        return self._election[1]

    def adopt(self, hash_: str, election: Election) -> None:
        """Use an election another thread's store parsed, if it is still the newest package.

        Parsing a national package takes about a second; the window parses it on a worker
        thread and hands the (immutable) result to the GUI thread's store.
        """
        if hash_ == self.hash():
            self._election = (hash_, election)

    def outline(self) -> ElectionOutline | None:
        """The newest package's id, version, name, times and contests, without its stations."""
        hash_ = self.hash()
        if hash_ is None:
            return None
        if self._outline is not None and self._outline[0] == hash_:
            return self._outline[1]
        if self._election is not None and self._election[0] == hash_:
            outline = ElectionOutline.of(self._election[1])
        else:
            row = self._db.execute(
                "SELECT version FROM packages WHERE record = ?", [hash_]
            ).fetchone()
            members = self._members(hash_)
            try:
                outline = ElectionOutline.from_members(members, row[0])
            except ElectionError as exc:
                raise TamperedStore(f"the stored election package is damaged: {exc}") from exc
        self._outline = (hash_, outline)
        return outline

    def _members(self, hash_: str) -> dict[str, Any]:
        """The package's members before "regions". Stored payloads are canonical JSON (keys
        sorted), so they are read from the start of the text, a growing prefix at a time;
        a payload that is not laid out so is read whole by SQLite instead."""
        decoder = json.JSONDecoder()
        size = 1 << 18
        while True:
            row = self._db.execute(
                "SELECT substr(payload, 1, ?), length(payload) FROM records"
                " WHERE hash = ? AND type = 'election'",
                [size, hash_],
            ).fetchone()
            if row is None:
                raise TamperedStore(f"the election package {hash_[:16]}… has gone from the store")
            head, total = row
            members: dict[str, Any] = {}
            at, complete = 1, False
            try:
                if head[:1] != "{":
                    raise ValueError("not an object")
                while at < len(head):
                    key, at = decoder.raw_decode(head, at)
                    if not isinstance(key, str) or head[at : at + 1] != ":":
                        raise ValueError("not a member")
                    if key >= "regions":
                        complete = True
                        break
                    members[key], at = decoder.raw_decode(head, at + 1)
                    if head[at : at + 1] != ",":
                        raise ValueError("not followed by another member")
                    at += 1
            except ValueError:
                if len(head) < total and size < total:
                    size *= 4
                    continue
                complete = False
            if complete and "contests" in members:
                return members
            break
        got = self._db.execute(
            "SELECT json_extract(payload, '$.election', '$.name', '$.issued', '$.expires',"
            " '$.contests') FROM records WHERE hash = ?",
            [hash_],
        ).fetchone()
        try:
            values = json.loads(got[0])
        except (TypeError, ValueError) as exc:
            raise TamperedStore(f"the stored election package is damaged: {exc}") from exc
        return dict(zip(("election", "name", "issued", "expires", "contests"), values, strict=True))
