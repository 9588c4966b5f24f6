"""The server's transparency log in its database: one RFC 9162 tree over every record stored,
one per partition, and the signed heads (docs/PROTOCOL.md §10).

Every node is written once, in the transaction that stores the records it covers
(``protocol.merkle.nodes_to_store``), so the trees never lag the records; like the records,
the node tables refuse updates and deletes. Proofs read O(log n) nodes in one query.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from recap_desktop.protocol import merkle
from recap_desktop.protocol.log import summary_leaf_hash
from recap_server import bulk

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS log_nodes (
        level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS partition_nodes (
        partition TEXT NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL,
        hash BLOB NOT NULL, PRIMARY KEY (partition, level, idx)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS partitions (
        partition TEXT PRIMARY KEY, size INTEGER NOT NULL, root BLOB NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS heads (
        size INTEGER NOT NULL, hash TEXT PRIMARY KEY, record TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS heads_size ON heads(size)",
    *(
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{verb} BEFORE {verb.upper()} ON {table}
        BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END"""
        for table in ("log_nodes", "partition_nodes", "heads")
        for verb in ("update", "delete")
    ),
]


class _Nodes:
    """A ``merkle.NodeReader`` over one tree's table, inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection, partition: str | None = None) -> None:
        self._conn = conn
        self._partition = partition

    def read_node(self, level: int, index: int) -> bytes | None:
        return self.read_nodes([(level, index)]).get((level, index))

    def read_nodes(self, addresses: Sequence[merkle.Address]) -> dict[merkle.Address, bytes]:
        return _taken(self.ask(addresses))

    def ask(self, addresses: Sequence[merkle.Address]) -> list[Any]:
        """The reads of ``addresses``, sent and not yet read: in a pipelined transaction on
        PostgreSQL, reads asked together wait for one round trip (``_taken``)."""
        # The whole key in each term: written ``partition = ? AND (pairs)``, SQLite chose
        # from three pairs on to walk every node of the partition (a district's thousands,
        # at each push) rather than look each one up.
        fixed: tuple[str, ...] = ()
        if self._partition is None:
            table, term = "log_nodes", "(level = ? AND idx = ?)"
        else:
            table, term = "partition_nodes", "(partition = ? AND level = ? AND idx = ?)"
            fixed = (self._partition,)
        cursors = []
        wanted = list(dict.fromkeys(addresses))
        for at in range(0, len(wanted), 200):
            chunk = wanted[at : at + 200]
            where = " OR ".join(term for _ in chunk)
            keys = [x for address in chunk for x in (*fixed, *address)]
            cursors.append(
                self._conn.execute(f"SELECT level, idx, hash FROM {table} WHERE {where}", keys)
            )
        return cursors


def _taken(cursors: Sequence[Any]) -> dict[merkle.Address, bytes]:
    out: dict[merkle.Address, bytes] = {}
    for rows in cursors:
        out.update(((int(lv), int(ix)), bytes(h)) for lv, ix, h in rows.fetchall())
    return out


class _Kept:
    """A tree's nodes as one append reads and writes them: each read once. The frontier is
    read first; what the append then reads (the pieces that gain a parent) is in it, and the
    new root is made of its pieces and the nodes just stored. Three queries of a push's
    log (each a round trip under the writers' lock on PostgreSQL) become one."""

    def __init__(self, nodes: _Nodes) -> None:
        self._nodes = nodes
        self.known: dict[merkle.Address, bytes] = {}
        self._asked: list[Any] = []

    def ask(self, addresses: Sequence[merkle.Address]) -> None:
        """Send the reads of ``addresses`` now; ``take`` reads their answers."""
        self._asked += self._nodes.ask(addresses)

    def take(self) -> None:
        self.known.update(_taken(self._asked))
        self._asked = []

    def read_node(self, level: int, index: int) -> bytes | None:
        return self.read_nodes([(level, index)]).get((level, index))

    def read_nodes(self, addresses: Sequence[merkle.Address]) -> dict[merkle.Address, bytes]:
        missing = [a for a in addresses if a not in self.known]
        if missing:
            self.known.update(self._nodes.read_nodes(missing))
        return {a: self.known[a] for a in addresses if a in self.known}


@dataclass(frozen=True)
class Appended:
    """What one commit did to the log: the size before (and that tree's frontier, which
    with the new leaves proves them to a holder), the size and root after."""

    size_before: int
    frontier: list[bytes]
    size: int
    root: bytes
    partitions: dict[str, tuple[int, bytes]]  # the partitions it grew: name -> (size, root)


def append(
    conn: sqlite3.Connection,
    size: int,
    leaves: Sequence[tuple[str, bytes]],
    sizes: Mapping[str, int] | None = None,
) -> Appended:
    """Append ``leaves`` ((partition, leaf hash), in log order) to the log of ``size``
    entries and to their partitions' trees; inside the caller's transaction."""
    return Appending(conn, size, leaves, sizes).done()


class Appending:
    """An append in two steps: made, it sends every read the append needs (the log's
    frontier, each partition's) without waiting for an answer; ``done`` reads them, writes
    the nodes and returns what the append did. Between the two the caller may send reads
    of its own that do not touch the log's tables: in a pipelined transaction on PostgreSQL
    they all wait for one round trip under the writers' lock, where the log's nodes, each
    partition's size and its frontier each waited for their own. ``sizes``: the
    partitions' sizes now, where the caller read them ahead (``partition_sizes``)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        size: int,
        leaves: Sequence[tuple[str, bytes]],
        sizes: Mapping[str, int] | None = None,
    ) -> None:
        self._conn, self._size, self._leaves = conn, size, leaves
        self._grown: dict[str, list[bytes]] = {}
        for name, value in leaves:
            self._grown.setdefault(name, []).append(value)
        self._sizes = sizes if sizes is not None else partition_sizes(conn, list(self._grown))
        self._log = _Kept(_Nodes(conn))
        self._log.ask(merkle.addresses_for_root(size))
        self._trees = {name: _Kept(_Nodes(conn, name)) for name in self._grown}
        for name, nodes in self._trees.items():
            nodes.ask(merkle.addresses_for_root(self._sizes.get(name, 0)))

    def done(self) -> Appended:
        conn, size, log = self._conn, self._size, self._log
        for kept in [log, *self._trees.values()]:
            kept.take()
        frontier = merkle.frontier(log, size)
        stored = merkle.nodes_to_store(size, [h for _, h in self._leaves], log)
        log.known.update(stored)
        bulk.insert(
            conn, "log_nodes", ("level", "idx", "hash"), [(lv, ix, h) for (lv, ix), h in stored]
        )
        states: dict[str, tuple[int, bytes]] = {}
        for name, values in self._grown.items():
            before = self._sizes.get(name, 0)
            nodes = self._trees[name]
            added = merkle.nodes_to_store(before, values, nodes)
            nodes.known.update(added)
            bulk.insert(
                conn,
                "partition_nodes",
                ("partition", "level", "idx", "hash"),
                [(name, lv, ix, h) for (lv, ix), h in added],
            )
            after = before + len(values)
            root = merkle.tree_root(nodes, after)
            conn.execute(
                "INSERT INTO partitions (partition, size, root) VALUES (?, ?, ?)"
                " ON CONFLICT(partition) DO UPDATE SET size = excluded.size,"
                " root = excluded.root",
                [name, after, root],
            )
            states[name] = (after, root)
        new_size = size + len(self._leaves)
        root = merkle.tree_root(log, new_size) if new_size else merkle.EMPTY_ROOT
        return Appended(size, frontier, new_size, root, states)


def ask_partition_sizes(conn: sqlite3.Connection, names: Sequence[str]) -> list[Any]:
    """The read of these partitions' sizes, sent, not yet read (``sizes_taken``)."""
    cursors = []
    for at in range(0, len(names), 500):
        chunk = names[at : at + 500]
        marks = ", ".join("?" for _ in chunk)
        cursors.append(
            conn.execute(
                f"SELECT partition, size FROM partitions WHERE partition IN ({marks})", chunk
            )
        )
    return cursors


def sizes_taken(cursors: Sequence[Any]) -> dict[str, int]:
    """What ``ask_partition_sizes`` asked; a partition not yet grown is not in it (0)."""
    return {str(name): int(n) for rows in cursors for name, n in rows.fetchall()}


def partition_sizes(conn: sqlite3.Connection, names: Sequence[str]) -> dict[str, int]:
    return sizes_taken(ask_partition_sizes(conn, names))


def consistency(conn: sqlite3.Connection, first: int, second: int) -> list[bytes]:
    return merkle.consistency_proof(_Nodes(conn), first, second)


def inclusion(conn: sqlite3.Connection, index: int, size: int) -> list[bytes]:
    return merkle.inclusion_proof(_Nodes(conn), index, size)


def frontier(conn: sqlite3.Connection, size: int) -> list[bytes]:
    return merkle.frontier(_Nodes(conn), size)


def root(conn: sqlite3.Connection, size: int) -> bytes:
    return merkle.tree_root(_Nodes(conn), size) if size else merkle.EMPTY_ROOT


def partition_states(conn: sqlite3.Connection) -> dict[str, tuple[int, bytes]]:
    return {
        str(name): (int(size), bytes(value))
        for name, size, value in conn.execute("SELECT partition, size, root FROM partitions")
    }


class _Levels(Mapping[merkle.Address, bytes]):
    """A tree kept as lists, one a level (level 0 the leaves), as a ``merkle`` node source:
    node (level, i) exists once its last leaf does, as in the database's trees."""

    def __init__(self, levels: list[list[bytes]]) -> None:
        self.levels = levels

    def __getitem__(self, address: merkle.Address) -> bytes:
        level, index = address
        if 0 <= level < len(self.levels) and 0 <= index < len(self.levels[level]):
            return self.levels[level][index]
        raise KeyError(address)

    def __iter__(self) -> Iterator[merkle.Address]:
        return ((lv, i) for lv, row in enumerate(self.levels) for i in range(len(row)))

    def __len__(self) -> int:
        return sum(len(row) for row in self.levels)


class Summary:
    """Every partition's (size, root), as the newest head commits to them: what a pull's
    proofs are made from, replaced whole after each commit (readers never wait on pushes).

    A national log has some 7,000 partitions and a push grows one or two: a new Summary
    shares the names and their places, copies the lists of the (size, root) and of each
    level of the tree (a list's copy is a copy of pointers), and recomputes only the paths
    of the leaves that changed (O(log n) hashes each), unless a new partition appeared (its
    name moves the others' places): then the tree is built again, once. Dicts of the states
    and the nodes, copied and freed at every push, were ~10 % of a national steady phase's
    time holding Python's lock (docs/PERFORMANCE.md, stop 26).
    """

    def __init__(self, states: Mapping[str, tuple[int, bytes]] | None = None) -> None:
        states = states or {}
        self.names: list[str] = sorted(states)
        self._place = {name: i for i, name in enumerate(self.names)}
        self._entries: list[tuple[int, bytes]] = [states[n] for n in self.names]
        leaves = [summary_leaf_hash(n, *states[n]) for n in self.names]
        levels = [leaves]
        while len(levels[-1]) > 1:
            below = levels[-1]
            levels.append(
                [merkle.node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)]
            )
        self._tree = _Levels(levels)

    @property
    def states(self) -> dict[str, tuple[int, bytes]]:
        """name -> (size, root): made on each call (tools, tests, and a push that brings a
        partition the summary lacks, which builds the tree again anyway)."""
        return dict(zip(self.names, self._entries, strict=True))

    @property
    def count(self) -> int:
        return len(self._entries)

    @cached_property
    def root(self) -> bytes:
        return merkle.tree_root(self._tree, self.count) if self.count else merkle.EMPTY_ROOT

    def grown(self, changes: Mapping[str, tuple[int, bytes]]) -> Summary:
        if not changes:
            return self  # replaced whole, never changed: the same summary serves
        if any(name not in self._place for name in changes):
            return Summary({**self.states, **changes})
        entries = list(self._entries)
        levels = list(self._tree.levels)
        copied: set[int] = set()

        def own(level: int) -> list[bytes]:
            """This summary's list of ``level``, copied from the old one's on first write:
            the old summary, which readers may hold, never changes."""
            if level not in copied:
                levels[level] = list(levels[level])
                copied.add(level)
            return levels[level]

        for name, state in changes.items():
            index = self._place[name]
            entries[index] = state
            own(0)[index] = summary_leaf_hash(name, *state)
            level = 0
            # Up through the perfect subtrees that hold this leaf: each parent from its two
            # children, while the parent exists (its subtree's last leaf does).
            while level + 1 < len(levels) and index >> 1 < len(levels[level + 1]):
                index >>= 1
                below = levels[level]
                own(level + 1)[index] = merkle.node_hash(below[2 * index], below[2 * index + 1])
                level += 1
        grown = Summary.__new__(Summary)
        # The same names in the same places: sorting 7,000 names again and placing them
        # cost a national push more than the rest of its summary.
        grown.names, grown._place, grown._entries = self.names, self._place, entries
        grown._tree = _Levels(levels)
        return grown

    def within(self, ranges: Sequence[tuple[str, str]]) -> list[str]:
        """The partitions in the half-open ``ranges``, in order, each once: those the head
        commits to, which are all that hold entries below its size (what a pull reads). The
        names compare by code point, as in the database (COLLATE "C") and ``prove``."""
        names = self.names
        found: dict[str, None] = {}
        for lo, hi in ranges:
            found.update(dict.fromkeys(names[bisect_left(names, lo) : bisect_left(names, hi)]))
        return list(found)

    def prove(self, lo: str, hi: str) -> list[dict[str, object]]:
        """The leaves inside [lo, hi) with their neighbours, each with its inclusion proof."""
        names = self.names
        first = bisect_left(names, lo)
        last = bisect_left(names, hi)  # the first name at or after hi
        begin, end = max(first - 1, 0), min(last + 1, len(names))
        out: list[dict[str, object]] = []
        for position in range(begin, end):
            name = names[position]
            size, value = self._entries[position]
            out.append(
                {
                    "partition": name,
                    "position": position,
                    "size": size,
                    "root": value.hex(),
                    "proof": [
                        h.hex() for h in merkle.inclusion_proof(self._tree, position, self.count)
                    ],
                }
            )
        return out
