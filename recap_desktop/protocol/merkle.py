"""The transparency log's Merkle tree (RFC 9162 §2.1): hashing, proofs, and what to store.

Pure: no I/O. Laptops verify inclusion and consistency proofs; the server generates them. The
server keeps the tree as the hashes of its perfect subtrees, each addressed by (level, index):
level 0 holds the leaf hashes, and the node at level L, index i covers the leaves
[i * 2**L, (i + 1) * 2**L). A node is stored once, when its last leaf is appended, and never
changes, so the table is append-only like the log itself. The hash of an incomplete right edge
is never stored: it is folded from the perfect subtrees that make it up when a proof needs it.
The `addresses_for_*` functions name the O(log n) nodes a proof reads, so that a database
answers one query per proof (or per page of proofs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, TypeAlias

HASH_SIZE = 32

Address: TypeAlias = tuple[int, int]
"""(level, index) of a perfect subtree: leaves [index * 2**level, (index + 1) * 2**level)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) of RFC 9162 §2.1.1: the root of the empty tree."""


class ProofError(ValueError):
    """A hash, size or proof a verifier must refuse; the message says which check failed."""


class MissingNodeError(LookupError):
    """The storage lacks a node a tree of that size must have: a size beyond the log, or a bug."""


class NodeReader(Protocol):
    """Where the perfect-subtree hashes live: a dict in tests, a table on the server."""

    def read_node(self, level: int, index: int) -> bytes | None:
        """The hash at (level, index), or None if it is not stored."""
        ...

    def read_nodes(self, addresses: Sequence[Address]) -> Mapping[Address, bytes]:
        """The stored hashes of these addresses (absent ones left out): one query, not n."""
        ...


NodeSource: TypeAlias = NodeReader | Mapping[Address, bytes]
"""A reader, or the mapping a storage already fetched for the addresses a proof needs."""


# --- Hashing: RFC 9162 §2.1.1 (the 0x00 / 0x01 prefixes keep a leaf from posing as a node) ---


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one log entry."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of RFC 9162 §2.1.1 over these leaf hashes, in O(n) time and O(log n) memory."""
    stack: list[bytes] = []
    for count, value in enumerate(leaf_hashes):
        _check_hash_arg("leaf hash", value)
        stack.append(_push(stack, count, value, None))
    return _fold(stack) if stack else EMPTY_ROOT


def _push(
    stack: list[bytes], position: int, value: bytes, out: list[tuple[Address, bytes]] | None
) -> bytes:
    """Append the leaf at `position` to a stack of perfect-subtree hashes (largest first).

    Each odd index on the way up is a right child whose left sibling is the top of the stack:
    their parent just became complete. Returns the hash to push; records every completed node.
    """
    level, index = 0, position
    if out is not None:
        out.append(((0, position), value))
    while index & 1:
        value = node_hash(stack.pop(), value)
        level, index = level + 1, index >> 1
        if out is not None:
            out.append(((level, index), value))
    return value


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from its perfect pieces, largest first (see `_pieces`)."""
    value = hashes[-1]
    for left in reversed(hashes[:-1]):
        value = node_hash(left, value)
    return value


# --- Which nodes a proof reads ---


def _pieces(begin: int, end: int) -> list[Address]:
    """The perfect subtrees that make up the leaves [begin, end), largest first.

    RFC 9162 §2.1.1 splits n leaves at the largest power of two below n. Every range a proof
    names starts at a multiple of that power, so the splits fall on the set bits of its size:
    its hash is `_fold` of these pieces, and a perfect range is a single piece.
    """
    pieces: list[Address] = []
    while begin < end:
        level = (end - begin).bit_length() - 1
        pieces.append((level, begin >> level))
        begin += 1 << level
    return pieces


def _path_ranges(level: int, index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes prove node (level, index) in a tree of `size`, bottom up.

    RFC 9162 §2.1.3.1 (PATH) unrolled. Below the level where the paths to this node and to the
    last leaf part, every sibling is complete; at that level the sibling on the right is the
    tree's edge and may be incomplete; above it only left siblings are named, since the RFC's
    unbalanced split carries a right-edge subtree up without a sibling.
    """
    last = (size - 1) >> level
    inner = (index ^ last).bit_length()
    ranges: list[tuple[int, int]] = []
    for step in range(inner):
        sibling, width = (index >> step) ^ 1, level + step
        ranges.append((sibling << width, min(size, (sibling + 1) << width)))
    step = inner
    while index >> step:
        if (index >> step) & 1:
            sibling, width = (index >> step) ^ 1, level + step
            ranges.append((sibling << width, (sibling + 1) << width))
        step += 1
    return ranges


def _consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges of a consistency proof from size1 to size2 (RFC 9162 §2.1.4.1).

    SUBPROOF unrolled: the old tree's smallest perfect subtree (its last one), unless it is the
    whole old tree, whose root the verifier holds; then that subtree's inclusion path in the new
    tree. Requires 0 < size1 <= size2.
    """
    if size1 == size2:
        return []
    level = (size1 & -size1).bit_length() - 1
    index = (size1 - 1) >> level
    head = [] if index == 0 else [(index << level, size1)]
    return head + _path_ranges(level, index, size2)


def _addresses(ranges: Sequence[tuple[int, int]]) -> list[Address]:
    return [address for begin, end in ranges for address in _pieces(begin, end)]


def _check_index(index: int, tree_size: int) -> None:
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf {index} is not in a tree of {tree_size} leaves")


def _check_sizes(size1: int, size2: int) -> None:
    if not 0 < size1 <= size2:
        raise ValueError(
            f"no consistency proof from {size1} to {size2} leaves: needs 0 < size1 <= size2"
        )


def addresses_for_inclusion(index: int, tree_size: int) -> list[Address]:
    """The nodes `inclusion_proof(nodes, index, tree_size)` reads: at most 2 * log2(n)."""
    _check_index(index, tree_size)
    return _addresses(_path_ranges(0, index, tree_size))


def addresses_for_consistency(size1: int, size2: int) -> list[Address]:
    """The nodes `consistency_proof(nodes, size1, size2)` reads: at most 2 * log2(n) + 1."""
    _check_sizes(size1, size2)
    return _addresses(_consistency_ranges(size1, size2))


def addresses_for_root(tree_size: int) -> list[Address]:
    """The nodes `tree_root(nodes, tree_size)` reads: one per set bit of the size."""
    if tree_size < 0:
        raise ValueError(f"a tree cannot have {tree_size} leaves")
    return _pieces(0, tree_size)


# --- Generating proofs ---


def _fetch(nodes: NodeSource, addresses: list[Address]) -> Mapping[Address, bytes]:
    if not addresses:
        return {}  # a one-leaf tree's proof, or a proof between equal sizes: no query at all
    found = nodes if isinstance(nodes, Mapping) else nodes.read_nodes(addresses)
    for address in addresses:
        value = found.get(address)
        if value is None:
            raise MissingNodeError(f"node (level, index) = {address} is not stored")
        if len(value) != HASH_SIZE:
            raise MissingNodeError(f"node {address} holds {len(value)} bytes, not a hash")
    return found


def _hashes(nodes: NodeSource, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    pieces = [_pieces(begin, end) for begin, end in ranges]
    found = _fetch(nodes, [address for group in pieces for address in group])
    return [_fold([found[address] for address in group]) for group in pieces]


def inclusion_proof(nodes: NodeSource, index: int, tree_size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `tree_size` leaves (RFC 9162 §2.1.3.1).

    Reads only `addresses_for_inclusion(index, tree_size)`, in one `read_nodes` call.
    """
    _check_index(index, tree_size)
    return _hashes(nodes, _path_ranges(0, index, tree_size))


def consistency_proof(nodes: NodeSource, size1: int, size2: int) -> list[bytes]:
    """The proof that the tree of size2 extends the tree of size1 (RFC 9162 §2.1.4.1).

    Reads only `addresses_for_consistency(size1, size2)`, in one `read_nodes` call.
    """
    _check_sizes(size1, size2)
    return _hashes(nodes, _consistency_ranges(size1, size2))


def tree_root(nodes: NodeSource, tree_size: int) -> bytes:
    """The root of the first `tree_size` leaves: `root()` without reading every leaf."""
    addresses = addresses_for_root(tree_size)
    if not addresses:
        return EMPTY_ROOT
    found = _fetch(nodes, addresses)
    return _fold([found[address] for address in addresses])


# --- Appending ---


def nodes_to_store(
    tree_size_before: int, new_leaf_hashes: Sequence[bytes], nodes: NodeSource
) -> list[tuple[Address, bytes]]:
    """Every node completed by appending these leaves: each leaf, and each parent it completes.

    A server writes them in the transaction that stores the records, so the tree never lags
    the log. It reads only the old tree's perfect subtrees that gain a parent (none for half of
    all single appends, at most log2(n)), in one `read_nodes` call; at most 2k + log2(n) nodes
    come back, in the order they were completed.
    """
    if tree_size_before < 0:
        raise ValueError(f"a tree cannot have {tree_size_before} leaves")
    for value in new_leaf_hashes:
        _check_hash_arg("new leaf hash", value)
    size_after = tree_size_before + len(new_leaf_hashes)
    # The old tree's pieces are all left children (each starts at a multiple of twice its
    # width); one gains a parent once the tree reaches the end of its right sibling. Those that
    # do are the smallest ones, the top of the stack `_push` pops from.
    frontier = addresses_for_root(tree_size_before)
    needed = [(level, index) for level, index in frontier if (index + 2) << level <= size_after]
    found = _fetch(nodes, needed)
    stack = [found[address] for address in needed]
    out: list[tuple[Address, bytes]] = []
    for offset, value in enumerate(new_leaf_hashes):
        stack.append(_push(stack, tree_size_before + offset, value, out))
    return out


def frontier(nodes: NodeSource, tree_size: int) -> list[bytes]:
    """The hashes of the perfect subtrees a tree of `tree_size` is made of, largest first:
    what a verifier needs to append leaves and reach the new root (`root_after_append`)."""
    addresses = addresses_for_root(tree_size)
    found = _fetch(nodes, addresses)
    return [found[address] for address in addresses]


def extend(size: int, pieces: Sequence[bytes], leaf_hashes: Iterable[bytes]) -> list[bytes]:
    """The frontier of the tree of `size` leaves (`pieces`, largest first) after appending
    `leaf_hashes`: how a receipt's new leaves or a partition's next leaves are checked
    without the leaves before them."""
    _check_size("tree size", size)
    if len(pieces) != size.bit_count():
        raise ProofError(
            f"a tree of {size} leaves is made of {size.bit_count()} perfect subtrees,"
            f" not {len(pieces)}"
        )
    for position, value in enumerate(pieces):
        _check_hash(f"frontier hash {position}", value)
    stack = list(pieces)
    for offset, value in enumerate(leaf_hashes):
        _check_hash("leaf hash", value)
        stack.append(_push(stack, size + offset, value, None))
    return stack


def frontier_root(pieces: Sequence[bytes]) -> bytes:
    """The root of the tree a frontier describes (the empty tree's for none)."""
    return _fold(pieces) if pieces else EMPTY_ROOT


class InMemoryNodes:
    """A `NodeReader` over a dict, with its own size: for tests, tools and small logs."""

    def __init__(self) -> None:
        self.nodes: dict[Address, bytes] = {}
        self.tree_size = 0

    def read_node(self, level: int, index: int) -> bytes | None:
        return self.nodes.get((level, index))

    def read_nodes(self, addresses: Sequence[Address]) -> dict[Address, bytes]:
        return {address: self.nodes[address] for address in addresses if address in self.nodes}

    def append(self, leaf_hashes: Sequence[bytes]) -> list[tuple[Address, bytes]]:
        """Append leaves as a server would: `nodes_to_store`, then write what it returned."""
        stored = nodes_to_store(self.tree_size, leaf_hashes, self)
        self.nodes.update(stored)
        self.tree_size += len(leaf_hashes)
        return stored


# --- Verifying: what a laptop runs on a receipt, a pull page or a newer tree head ---


def _check_hash_arg(name: str, value: bytes) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"{name} is not a {HASH_SIZE}-byte SHA-256 hash")


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, bytes):
        raise ProofError(f"{name} is {type(value).__name__}, not bytes")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, a SHA-256 hash is {HASH_SIZE}")


def _check_size(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProofError(f"{name} {value!r} is not a count of leaves")


def root_from_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root an inclusion proof leads to; raises ProofError if the proof is malformed."""
    _check_size("leaf index", index)
    _check_size("tree size", tree_size)
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is not below the tree size {tree_size}")
    _check_hash("leaf hash", leaf_hash)
    for position, value in enumerate(proof):
        _check_hash(f"proof hash {position}", value)
    want = len(_path_ranges(0, index, tree_size))
    if len(proof) != want:
        raise ProofError(
            f"an inclusion proof of leaf {index} in {tree_size} leaves has {want} hashes,"
            f" this one {len(proof)}"
        )
    # RFC 9162 §2.1.3.2, steps 2 to 5: fn walks up from the leaf, sn from the last leaf; where
    # fn is a right child or on the right edge, the proof hash goes on the left. The RFC's own
    # length checks (sn reaching 0 early or late) cannot fire after the exact one above; they
    # stay, as written, in case that one is ever wrong.
    fn, sn, result = index, tree_size - 1, leaf_hash
    for value in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            result = node_hash(value, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, value)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof stops below the root")
    return result


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf `index` of the tree of `tree_size` is
    `leaf_hash`, under `root` (RFC 9162 §2.1.3.2)."""
    _check_hash("root", root)
    if root_from_inclusion(leaf_hash, index, tree_size, proof) != root:
        raise ProofError(f"the inclusion proof of leaf {index} leads to another root")


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless `proof` shows the tree (size2, root2) extends (size1, root1)
    (RFC 9162 §2.1.4.2): the log rewrote nothing a laptop saw before."""
    _check_size("first size", size1)
    _check_size("second size", size2)
    if size1 > size2:
        raise ProofError(f"the first tree ({size1} leaves) is larger than the second ({size2})")
    if size1 == 0:
        # Every tree extends the empty one, so such a proof shows nothing; the shared vectors
        # (transparency-dev/merkle) refuse it, as does its Go verifier.
        raise ProofError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        # RFC 9162 §2.1.4.1: SUBPROOF(m, D[m], true) is empty; the roots must be the same
        # bytes. As the Go verifier behind the shared vectors does, no more is asked here: a
        # tree head's root is checked to be 32 bytes where the head is parsed.
        if proof:
            raise ProofError("trees of the same size need an empty consistency proof")
        if root1 != root2:
            raise ProofError(f"two different roots for the same size {size1}")
        return
    _check_hash("first root", root1)
    _check_hash("second root", root2)
    for position, value in enumerate(proof):
        _check_hash(f"proof hash {position}", value)
    # RFC 9162 §2.1.4.2 step 1 (an empty proof) is covered by this exact length check.
    want = len(_consistency_ranges(size1, size2))
    if len(proof) != want:
        raise ProofError(
            f"a consistency proof from {size1} to {size2} leaves has {want} hashes,"
            f" this one {len(proof)}"
        )
    # Step 2: when the old tree is perfect, its root is the proof's implicit first hash.
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    # Steps 3 and 4: start from the old tree's last perfect subtree.
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # Steps 5 and 6: fr rebuilds the old root (left siblings only), sr the new one.
    fr = sr = path[0]
    for value in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(value, fr), node_hash(value, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, value)
        fn, sn = fn >> 1, sn >> 1
    # Step 7.
    if sn != 0:
        raise ProofError("the consistency proof stops below the root")
    if fr != root1:
        raise ProofError(f"the consistency proof does not lead to the first root ({size1} leaves)")
    if sr != root2:
        raise ProofError(f"the consistency proof does not lead to the second root ({size2} leaves)")
