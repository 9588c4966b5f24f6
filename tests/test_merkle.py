"""The transparency log's Merkle tree: transparency-dev vectors, RFC 9162 by the letter, scale.

Three independent checks of `recap_desktop.protocol.merkle`: the 196 vectors of the Go library
behind Trillian and Tessera (accept or refuse); a reference written from RFC 9162's recursive
definitions (MTH, PATH, SUBPROOF) that the iterative, node-addressed code must agree with;
and counts of the nodes a proof reads, which back the "O(log n) per proof" claim.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recap_desktop.protocol.merkle import (
    EMPTY_ROOT,
    Address,
    InMemoryNodes,
    MissingNodeError,
    ProofError,
    addresses_for_consistency,
    addresses_for_inclusion,
    addresses_for_root,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    nodes_to_store,
    root,
    root_from_inclusion,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from tests.conftest import VECTORS

MERKLE = VECTORS / "merkle"
VECTOR_COUNT = 196

# The vectors' verdicts, every one. (One vector has two equal 12-byte "roots" at equal sizes
# and expects them accepted: for equal sizes only the roots' equality is asked, as the Go
# verifier does; a tree head's root is checked to be 32 bytes where the head is parsed.)
STRICTER: set[str] = set()

# RFC 6962's test entries, from which the vectors' happy paths are built.
RFC6962_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
RFC6962_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _vector_files() -> list[Path]:
    return sorted(
        path for kind in ("inclusion", "consistency") for path in (MERKLE / kind).rglob("*.json")
    )


def _vector_params() -> list[Any]:
    if not MERKLE.is_dir():
        return [
            pytest.param(
                None,
                marks=pytest.mark.skip(
                    reason=f"{MERKLE} is absent: the shared vectors folder beside the checkout "
                    "holds transparency-dev/merkle's testdata"
                ),
            )
        ]
    return [pytest.param(path, id=path.relative_to(MERKLE).as_posix()) for path in _vector_files()]


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _verify_vector(case: dict[str, Any]) -> None:
    proof = [_b64(item) for item in case["proof"] or []]
    if "leafIdx" in case:
        verify_inclusion(
            _b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"])
        )
    else:
        verify_consistency(
            case["size1"], case["size2"], _b64(case["root1"]), _b64(case["root2"]), proof
        )


@pytest.mark.parametrize("path", _vector_params())
def test_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    refuse = case["wantErr"] or path.relative_to(MERKLE).as_posix() in STRICTER
    if refuse:
        with pytest.raises(ProofError):
            _verify_vector(case)
    else:
        _verify_vector(case)


def test_every_vector_ran() -> None:
    if not MERKLE.is_dir():
        pytest.skip(f"{MERKLE} is absent")
    files = _vector_files()
    assert len(files) == VECTOR_COUNT, "the vector folder changed: review the new cases"
    assert len(_vector_params()) == VECTOR_COUNT
    assert all((MERKLE / name).exists() for name in STRICTER)


def test_equal_sizes_and_an_empty_proof_accept_equal_roots() -> None:
    """Equal sizes: the roots must be the same bytes, and the proof empty."""
    head = root([leaf_hash(b"a")])
    verify_consistency(1, 1, head, head, [])
    with pytest.raises(ProofError, match="different roots"):
        verify_consistency(1, 1, head, root([leaf_hash(b"b")]), [])
    with pytest.raises(ProofError, match="empty"):
        verify_consistency(1, 1, head, head, [head])


def test_vector_happy_paths_are_what_we_generate() -> None:
    """Generation, not just verification, agrees with the Go library byte for byte."""
    if not MERKLE.is_dir():
        pytest.skip(f"{MERKLE} is absent")
    leaves = [leaf_hash(entry) for entry in RFC6962_ENTRIES]
    store = InMemoryNodes()
    store.append(leaves)
    matched = 0
    for path in _vector_files():
        case = json.loads(path.read_text())
        if case["wantErr"] or path.relative_to(MERKLE).as_posix() in STRICTER:
            continue
        proof = [_b64(item) for item in case["proof"] or []]
        if "leafIdx" in case:
            size, index = case["treeSize"], case["leafIdx"]
            if root(leaves[:size]) != _b64(case["root"]) or leaves[index] != _b64(case["leafHash"]):
                continue  # a hand-made case, not from the RFC 6962 tree
            assert inclusion_proof(store, index, size) == proof, path
        else:
            size1, size2 = case["size1"], case["size2"]
            if root(leaves[:size1]) != _b64(case["root1"]):
                continue  # a hand-made case ("don't care" roots)
            assert root(leaves[:size1]) == _b64(case["root1"]), path
            assert root(leaves[:size2]) == _b64(case["root2"]), path
            assert consistency_proof(store, size1, size2) == proof, path
        matched += 1
    assert matched == 10


# --- Known answers ---


def test_rfc6962_roots() -> None:
    leaves = [leaf_hash(entry) for entry in RFC6962_ENTRIES]
    store = InMemoryNodes()
    for size, want in enumerate(RFC6962_ROOTS, start=1):
        store.append(leaves[size - 1 : size])
        assert root(leaves[:size]).hex() == want
        assert tree_root(store, size).hex() == want


def test_hashing_is_rfc9162() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"l" * 32, b"r" * 32) == hashlib.sha256(b"\x01" + b"l" * 32 + b"r" * 32).digest()
    )
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert tree_root({}, 0) == EMPTY_ROOT
    assert addresses_for_root(0) == []


# --- A reference from RFC 9162 §2.1, recursive and by the letter ---


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def ref_mth(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return node_hash(ref_mth(leaves[:k]), ref_mth(leaves[k:]))


def ref_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return [*ref_path(m, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(m - k, leaves[k:]), ref_mth(leaves[:k])]


def ref_subproof(m: int, leaves: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [ref_mth(leaves)]
    k = _split(n)
    if m <= k:
        return [*ref_subproof(m, leaves[:k], whole), ref_mth(leaves[k:])]
    return [*ref_subproof(m - k, leaves[k:], False), ref_mth(leaves[:k])]


# --- One tree of a few thousand leaves, read as any of its prefixes ---

BIG = 4100  # past 2**12, so sizes cross a power of two


@cache
def _leaves() -> tuple[bytes, ...]:
    return tuple(leaf_hash(i.to_bytes(4, "big")) for i in range(BIG))


@cache
def _store() -> InMemoryNodes:
    store = InMemoryNodes()
    store.append(_leaves())
    return store


@cache
def _root(size: int) -> bytes:
    return root(_leaves()[:size])


class PrefixReader:
    """The big store as a server holding only `size` leaves would see it; counts reads.

    Nodes that end past `size` are hidden, so a proof that reads outside its tree fails.
    """

    def __init__(self, store: InMemoryNodes, size: int) -> None:
        self.store, self.size = store, size
        self.calls = self.nodes_read = 0

    def read_node(self, level: int, index: int) -> bytes | None:
        return self.read_nodes([(level, index)]).get((level, index))

    def read_nodes(self, addresses: Sequence[Address]) -> dict[Address, bytes]:
        self.calls += 1
        self.nodes_read += len(addresses)
        inside = [(level, index) for level, index in addresses if (index + 1) << level <= self.size]
        return self.store.read_nodes(inside)


def _ceil_log2(n: int) -> int:
    return (n - 1).bit_length()


@st.composite
def tree_and_leaf(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, BIG))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(1, BIG))
    return draw(st.integers(1, size2)), size2


@given(tree_and_leaf())
def test_inclusion_proofs_verify(case: tuple[int, int]) -> None:
    size, index = case
    reader = PrefixReader(_store(), size)
    proof = inclusion_proof(reader, index, size)
    verify_inclusion(_leaves()[index], index, size, proof, _root(size))
    assert root_from_inclusion(_leaves()[index], index, size, proof) == _root(size)
    assert len(proof) <= _ceil_log2(size)
    assert reader.calls == (1 if size > 1 else 0)
    assert reader.nodes_read == len(addresses_for_inclusion(index, size)) <= 2 * _ceil_log2(size)
    if size <= 300:
        assert proof == ref_path(index, _leaves()[:size])


@given(two_sizes())
def test_consistency_proofs_verify(case: tuple[int, int]) -> None:
    size1, size2 = case
    reader = PrefixReader(_store(), size2)
    proof = consistency_proof(reader, size1, size2)
    verify_consistency(size1, size2, _root(size1), _root(size2), proof)
    assert len(proof) <= _ceil_log2(size2) + 1
    assert reader.calls == (1 if size1 < size2 else 0)
    assert reader.nodes_read == len(addresses_for_consistency(size1, size2))
    assert reader.nodes_read <= 2 * _ceil_log2(size2) + 1
    if size2 <= 300:
        assert proof == ref_subproof(size1, _leaves()[:size2], True)


@given(st.integers(0, BIG))
def test_tree_root_reads_one_node_per_set_bit(size: int) -> None:
    reader = PrefixReader(_store(), size)
    assert tree_root(reader, size) == _root(size)
    assert reader.nodes_read == size.bit_count()
    if size <= 300:
        assert _root(size) == ref_mth(_leaves()[:size])


def test_proof_lengths_at_every_small_size() -> None:
    """Exhaustively, the bound the property tests sample: ceil(log2 n) (+1 for consistency)."""
    leaves = _leaves()
    for size in range(1, 65):
        for index in range(size):
            proof = inclusion_proof(_store(), index, size)
            assert proof == ref_path(index, leaves[:size])
            assert len(proof) <= _ceil_log2(size)
        for size1 in range(1, size + 1):
            proof = consistency_proof(_store(), size1, size)
            assert proof == ref_subproof(size1, leaves[:size], True)
            assert len(proof) <= _ceil_log2(size) + 1


class Anything(Mapping[Address, bytes]):
    """Every node exists (as zeros): lets a test ask for proofs of a log too big to build."""

    def __getitem__(self, address: Address) -> bytes:
        return bytes(32)

    def __iter__(self) -> Iterator[Address]:
        return iter(())

    def __len__(self) -> int:
        return 0


@pytest.mark.parametrize("size", [4_100_000, 2**32 + 12345, 2**40 - 1])
def test_proof_sizes_grow_as_log2_of_the_log(size: int) -> None:
    """At national size (4.1 million records) a proof is 22 hashes at most, 704 bytes."""
    for index in (0, 1, size // 3, size - 2, size - 1):
        assert len(inclusion_proof(Anything(), index, size)) <= _ceil_log2(size)
        assert len(addresses_for_inclusion(index, size)) <= 2 * _ceil_log2(size)
    for size1 in (1, 2, 3, size // 3, size - 1, size):
        assert len(consistency_proof(Anything(), size1, size)) <= _ceil_log2(size) + 1
    assert _ceil_log2(4_100_000) == 22


# --- Appending ---


@given(st.lists(st.integers(0, 300), max_size=25))
def test_appending_in_chunks_is_building_at_once(chunks: list[int]) -> None:
    leaves = _leaves()
    store = InMemoryNodes()
    for chunk in chunks:
        start = store.tree_size
        reader = PrefixReader(store, start)
        stored = nodes_to_store(start, leaves[start : start + chunk], reader)
        assert reader.calls <= 1 and reader.nodes_read <= start.bit_length()
        store.nodes.update(stored)
        store.tree_size += len(leaves[start : start + chunk])
        assert len(stored) <= 2 * chunk + start.bit_length()
        assert tree_root(store, store.tree_size) == _root(store.tree_size)
    size = store.tree_size
    whole = {
        (level, index): value
        for (level, index), value in _store().nodes.items()
        if (index + 1) << level <= size
    }
    assert store.nodes == whole
    if size:
        assert inclusion_proof(store, size // 2, size) == inclusion_proof(_store(), size // 2, size)


def test_appending_returns_each_completed_node_once() -> None:
    store = InMemoryNodes()
    stored = store.append(_leaves()[:5])
    assert [address for address, _ in stored] == [
        (0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4)
    ]  # fmt: skip
    assert store.append([]) == []
    # A single leaf after 7 (0b111) completes three parents and reads their three left halves.
    store.append(_leaves()[5:7])
    reader = PrefixReader(store, 7)
    assert [address for address, _ in nodes_to_store(7, [_leaves()[7]], reader)] == [
        (0, 7), (1, 3), (2, 1), (3, 0)
    ]  # fmt: skip
    assert reader.nodes_read == 3
    # After 8, nothing gains a parent: no read at all.
    reader = PrefixReader(_store(), 8)
    nodes_to_store(8, [_leaves()[8]], reader)
    assert reader.nodes_read == 0


# --- Refusals ---


def _flip(proof: list[bytes], item: int, bit: int) -> list[bytes]:
    changed = bytearray(proof[item])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:item], bytes(changed), *proof[item + 1 :]]


@given(tree_and_leaf(), st.data())
def test_a_changed_inclusion_proof_is_refused(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    leaf = _leaves()[index]
    proof = inclusion_proof(_store(), index, size)
    kinds = ["added", "index", "root", "size"] + (["flipped", "dropped"] if proof else [])
    kinds += ["leaf"] if size > 1 else []
    kind = data.draw(st.sampled_from(kinds), label="mutation")
    args: tuple[bytes, int, int, list[bytes], bytes] = (leaf, index, size, proof, _root(size))
    if kind == "flipped":
        item = data.draw(st.integers(0, len(proof) - 1))
        args = (leaf, index, size, _flip(proof, item, data.draw(st.integers(0, 255))), _root(size))
    elif kind == "dropped":
        item = data.draw(st.integers(0, len(proof) - 1))
        args = (leaf, index, size, proof[:item] + proof[item + 1 :], _root(size))
    elif kind == "added":
        item = data.draw(st.integers(0, len(proof)))
        extra = data.draw(st.sampled_from([*proof, leaf, bytes(32)]))
        args = (leaf, index, size, [*proof[:item], extra, *proof[item:]], _root(size))
    elif kind == "index":
        other = data.draw(st.integers(0, size).filter(lambda i: i != index))
        args = (leaf, other, size, proof, _root(size))
    elif kind == "leaf":
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
        args = (_leaves()[other], index, size, proof, _root(size))
    elif kind == "root":
        args = (
            leaf,
            index,
            size,
            proof,
            _flip([_root(size)], 0, data.draw(st.integers(0, 255)))[0],
        )
    else:  # another tree size, checked against that tree's real root
        other = data.draw(st.integers(1, BIG).filter(lambda n: n != size))
        args = (leaf, index, other, proof, _root(other))
    with pytest.raises(ProofError):
        verify_inclusion(*args)


@given(two_sizes(), st.data())
def test_a_changed_consistency_proof_is_refused(case: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = case
    proof = consistency_proof(_store(), size1, size2)
    kinds = ["added", "size1", "size2", "root1", "root2"]
    kinds += ["flipped", "dropped"] if proof else []
    kinds += ["swapped"] if size1 != size2 else []
    kind = data.draw(st.sampled_from(kinds), label="mutation")
    root1, root2 = _root(size1), _root(size2)
    args: tuple[int, int, bytes, bytes, list[bytes]] = (size1, size2, root1, root2, proof)
    if kind == "flipped":
        item = data.draw(st.integers(0, len(proof) - 1))
        args = (size1, size2, root1, root2, _flip(proof, item, data.draw(st.integers(0, 255))))
    elif kind == "dropped":
        item = data.draw(st.integers(0, len(proof) - 1))
        args = (size1, size2, root1, root2, proof[:item] + proof[item + 1 :])
    elif kind == "added":
        item = data.draw(st.integers(0, len(proof)))
        extra = data.draw(st.sampled_from([*proof, root1, root2, bytes(32)]))
        args = (size1, size2, root1, root2, [*proof[:item], extra, *proof[item:]])
    elif kind == "size1":
        other = data.draw(st.integers(0, BIG).filter(lambda n: n != size1))
        args = (other, size2, _root(other), root2, proof)
    elif kind == "size2":
        other = data.draw(st.integers(0, BIG).filter(lambda n: n != size2))
        args = (size1, other, root1, _root(other), proof)
    elif kind == "root1":
        args = (size1, size2, _flip([root1], 0, data.draw(st.integers(0, 255)))[0], root2, proof)
    elif kind == "root2":
        args = (size1, size2, root1, _flip([root2], 0, data.draw(st.integers(0, 255)))[0], proof)
    else:
        args = (size1, size2, root2, root1, proof)
    with pytest.raises(ProofError):
        verify_consistency(*args)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: verify_inclusion(bytes(32), 1, 1, [], bytes(32)), "not below"),
        (lambda: verify_inclusion(bytes(31), 0, 1, [], bytes(32)), "leaf hash is 31 bytes"),
        (lambda: verify_inclusion(bytes(32), 0, 2, [b""], bytes(32)), "proof hash 0 is 0 bytes"),
        (lambda: verify_inclusion(bytes(32), 0, 2, [], bytes(32)), "has 1 hashes, this one 0"),
        (lambda: verify_inclusion(bytes(32), -1, 2, [], bytes(32)), "not a count"),
        (lambda: verify_inclusion(bytes(32), True, 2, [], bytes(32)), "not a count"),
        (lambda: verify_inclusion(bytes(32), 0, 1, [], bytes(33)), "root is 33 bytes"),
        (lambda: verify_inclusion("00" * 32, 0, 1, [], bytes(32)), "str, not bytes"),
        (lambda: verify_inclusion(bytes(32), 0, 1, [], bytes([1] * 32)), "another root"),
        (lambda: verify_consistency(2, 1, bytes(32), bytes(32), []), "larger"),
        (lambda: verify_consistency(0, 1, EMPTY_ROOT, bytes(32), []), "empty tree"),
        (lambda: verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, []), "empty tree"),
        (lambda: verify_consistency(1, 2, bytes(32), bytes(32), []), "has 1 hashes, this one 0"),
        (lambda: verify_consistency(1, 1, bytes(32), bytes(32), [bytes(32)]), "empty consistency"),
        (lambda: verify_consistency(3, 3, bytes(32), bytes([1] * 32), []), "different roots"),
    ],
)
def test_refusals_say_why(call: Any, message: str) -> None:
    with pytest.raises(ProofError, match=message):
        call()


def test_generation_refuses_what_has_no_proof() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(_store(), 5, 5)
    with pytest.raises(ValueError, match="0 < size1 <= size2"):
        consistency_proof(_store(), 0, 5)
    with pytest.raises(ValueError, match="0 < size1 <= size2"):
        addresses_for_consistency(6, 5)
    with pytest.raises(MissingNodeError):
        inclusion_proof(_store(), 0, BIG + 1)  # a size beyond the log
    with pytest.raises(ValueError, match="32-byte"):
        nodes_to_store(0, [b"short"], InMemoryNodes())
    with pytest.raises(MissingNodeError, match="not a hash"):
        tree_root({(0, 0): b"short"}, 1)


# --- Scale: what a proof costs in a log past 2**17 leaves ---


class CountingNodes(InMemoryNodes):
    def __init__(self) -> None:
        super().__init__()
        self.calls = self.nodes_read = 0

    def read_nodes(self, addresses: Sequence[Address]) -> dict[Address, bytes]:
        self.calls += 1
        self.nodes_read += len(addresses)
        return super().read_nodes(addresses)


def test_proofs_read_log_n_nodes_in_a_large_log() -> None:
    """2**17 + 12,345 leaves appended in uneven chunks; 1M takes ~5 s, see the report."""
    size = 2**17 + 12_345
    store = CountingNodes()
    chunk_sizes = [1, 2, 3, 1000, 4096, 7, 333]
    appends = reads = 0
    counter = 0
    while store.tree_size < size:
        chunk = min(chunk_sizes[appends % len(chunk_sizes)], size - store.tree_size)
        before = store.nodes_read
        store.append([leaf_hash(i.to_bytes(4, "big")) for i in range(counter, counter + chunk)])
        counter += chunk
        reads = max(reads, store.nodes_read - before)
        appends += 1
    assert reads <= _ceil_log2(size)
    assert len(store.nodes) == 2 * size - size.bit_count()  # every perfect subtree, once
    bound = 2 * _ceil_log2(size)  # 36 node reads, for proofs of at most 18 hashes
    for index in (0, 1, 2**16, 2**17 - 1, 2**17, size - 2, size - 1, 99_999):
        store.calls = store.nodes_read = 0
        proof = inclusion_proof(store, index, size)
        assert store.calls == 1 and store.nodes_read <= bound
        verify_inclusion(
            leaf_hash(index.to_bytes(4, "big")), index, size, proof, tree_root(store, size)
        )
    for size1 in (1, 2**16 + 1, 2**17, 2**17 + 1, size - 1):
        store.calls = store.nodes_read = 0
        proof = consistency_proof(store, size1, size)
        assert store.calls == 1 and store.nodes_read <= bound + 1
        verify_consistency(size1, size, tree_root(store, size1), tree_root(store, size), proof)
