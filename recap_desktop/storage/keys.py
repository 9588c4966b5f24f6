"""Who may sign, as this laptop knows it: public keys held outside certificates (its own,
the trusted authority's), and the certificates and revocations projected from the records."""

from __future__ import annotations

from typing import Any

from recap_desktop.storage.connection import Connection
from recap_desktop.storage.errors import TamperedStore
from recap_desktop.storage.standing import revocation_position


class Keys:
    """The ``keys`` table (truth, like the records) and the ``certificates`` and ``revoked``
    projections."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._db = connection.db

    def add(self, key_id: str, public_key: bytes, origin: str) -> None:
        with self._connection.write():
            self._db.execute(
                "INSERT OR IGNORE INTO keys (key_id, public_key, origin) VALUES (?, ?, ?)",
                [key_id, public_key.hex(), origin],
            )

    def known(self, origin: str | None = None) -> dict[str, bytes]:
        """Public keys this laptop knows outside certificates: its own, the authority's."""
        out = {}
        query = "SELECT key_id, public_key FROM keys"
        params: list[str] = []
        if origin is not None:
            query += " WHERE origin = ?"
            params.append(origin)
        for key_id, public_key in self._db.execute(query, params):
            try:
                out[key_id] = bytes.fromhex(public_key)
            except ValueError as exc:
                raise TamperedStore(f"the key {key_id[:16]}… in the store is damaged") from exc
        return out

    def certificates(self) -> list[dict[str, Any]]:
        return list(self._db.query("SELECT * FROM certificates ORDER BY officer_id, record"))

    def revoked(self) -> dict[str, str]:
        return {k: r for k, r in self._db.execute("SELECT key_id, reason FROM revoked")}

    def revocation_position(self, key_id: str) -> int | None:
        """Where the server's log first holds the key's revocation, if known."""
        return revocation_position(self._db, key_id)

    # -- the folder's kind ----------------------------------------------------------------
    # A DEMO folder trusts only the DEMO authority (whose seed is published); a real folder
    # pins its authority at the first import and never trusts the DEMO one. Fixed once.

    def folder(self) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'folder'").fetchone()
        return None if row is None else str(row[0])

    def set_folder(self, kind: str) -> None:
        with self._connection.write():
            self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('folder', ?)", [kind])
