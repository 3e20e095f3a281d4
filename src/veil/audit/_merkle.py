"""RFC 6962 / RFC 9162 Merkle trees over SHA-256: hashing, the compact frontier, proof plans, verifiers.

Nothing here touches storage. A proof element is the hash of a range of leaves; every such range
is a run of perfect subtrees ``(level, index)`` (covering leaves ``[index * 2**level, (index + 1) *
2**level)``), so a proof is first *planned* as lists of nodes, which storage fetches in one query,
then *assembled* by folding each list from the right.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from veil.crypto import constant_time_equal
from veil.errors import IntegrityError, InvalidInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Node = tuple[int, int]
Plan = list[list[Node]]

_sha256 = hashlib.sha256
_INCLUSION_FAILED = "inclusion proof does not verify"
_CONSISTENCY_FAILED = "consistency proof does not verify"


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2): where the RFC splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def naive_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[0:n]) over leaf hashes, by the RFC's recursive definition."""

    def mth(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = _split(hi - lo)
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    return mth(0, len(leaves)) if leaves else EMPTY_ROOT


def _fold(hashes: Sequence[bytes]) -> bytes:
    """The hash of a range from its perfect subtrees, largest first: the RFC's right-leaning shape."""
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


@dataclass(slots=True)
class Frontier:
    """The compact range [0, size): one perfect-subtree root per set bit of ``size``, tallest first."""

    size: int = 0
    hashes: list[bytes] = field(default_factory=list)

    @classmethod
    def empty(cls) -> Frontier:
        return cls(0, [])

    @classmethod
    def from_bytes(cls, size: int, blob: bytes) -> Frontier:
        if size < 0 or len(blob) != size.bit_count() * HASH_SIZE:
            raise IntegrityError("audit tree state is corrupt")
        return cls(size, [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)])

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    def copy(self) -> Frontier:
        return Frontier(self.size, list(self.hashes))

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add one leaf hash; returns the (level, index, hash) of each subtree it completed, level >= 1."""
        if len(leaf) != HASH_SIZE:
            raise InvalidInput(f"a leaf hash is {HASH_SIZE} bytes")
        completed: list[tuple[int, int, bytes]] = []
        h, level, index, carry = leaf, 0, self.size, self.size
        while carry & 1:  # each trailing one bit of the old size is a subtree the new leaf completes
            h = node_hash(self.hashes.pop(), h)
            level, index, carry = level + 1, index >> 1, carry >> 1
            completed.append((level, index, h))
        self.hashes.append(h)
        self.size += 1
        return completed

    def root(self) -> bytes:
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT


def range_nodes(start: int, end: int) -> list[Node]:
    """The perfect nodes whose right fold is MTH(D[start:end]), left to right, largest first."""
    if not 0 <= start < end:
        raise InvalidInput(f"leaf range [{start}, {end}) is empty or negative")
    width = 1 << ((end - start).bit_length() - 1)
    if start % width:  # only ranges the RFC's recursion produces line up with stored nodes
        raise InvalidInput(f"leaf range [{start}, {end}) is not aligned to the tree")
    nodes: list[Node] = []
    while start < end:
        while start + width > end:
            width >>= 1
        level = width.bit_length() - 1
        nodes.append((level, start >> level))
        start += width
    return nodes


def inclusion_plan(index: int, size: int) -> Plan:
    """PATH(index, D[0:size]) of RFC 9162 2.1.3.1, each element as its perfect nodes, bottom up."""
    if not 0 <= index < size:
        raise InvalidInput(f"leaf index {index} is not in a tree of size {size}")
    plan: Plan = []
    lo, hi = 0, size
    while hi - lo > 1:  # descend from the root; the siblings come out top down
        k = _split(hi - lo)
        if index < lo + k:
            plan.append(range_nodes(lo + k, hi))
            hi = lo + k
        else:
            plan.append(range_nodes(lo, lo + k))
            lo += k
    plan.reverse()
    return plan


def consistency_plan(old_size: int, new_size: int) -> Plan:
    """PROOF(old_size, D[0:new_size]) = SUBPROOF(m, D[n], true) of RFC 9162 2.1.4.1."""
    if not 0 <= old_size <= new_size:
        raise InvalidInput(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    plan: Plan = []
    lo, hi, complete = 0, new_size, True
    while old_size != hi:  # SUBPROOF(m, D[lo:hi], complete) with m = old_size - lo < hi - lo
        k = _split(hi - lo)
        if old_size <= lo + k:
            plan.append(range_nodes(lo + k, hi))
            hi = lo + k
        else:
            plan.append(range_nodes(lo, lo + k))
            lo, complete = lo + k, False
    if not complete:  # m == n inside a right branch: the old tree's own subtree is an element
        plan.append(range_nodes(lo, hi))
    plan.reverse()
    return plan


def needed_nodes(plan: Iterable[Iterable[Node]]) -> set[Node]:
    return {node for element in plan for node in element}


def assemble(plan: Iterable[Sequence[Node]], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The proof's hashes, given the hash of every node in ``needed_nodes(plan)``."""
    try:
        return [_fold([nodes[node] for node in element]) for element in plan]
    except KeyError as missing:
        raise InvalidInput(f"proof node {missing.args[0]} was not supplied") from None


def _check_hashes(hashes: Iterable[bytes], message: str) -> None:
    if any(not isinstance(h, bytes) or len(h) != HASH_SIZE for h in hashes):
        raise IntegrityError(message)


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` implies for ``leaf`` at ``index`` (RFC 9162 2.1.3.2, steps 1 to 4)."""
    if not 0 <= index < size:
        raise IntegrityError(_INCLUSION_FAILED)
    _check_hashes([leaf, *proof], _INCLUSION_FAILED)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:  # the proof is longer than the path
            raise IntegrityError(_INCLUSION_FAILED)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:  # on the right edge: skip the levels where it has no sibling
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:  # the proof is shorter than the path
        raise IntegrityError(_INCLUSION_FAILED)
    return r


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Raise IntegrityError unless ``proof`` shows ``leaf`` at ``index`` in the tree ``(size, root)``."""
    if not constant_time_equal(root_from_inclusion(leaf, index, size, proof), root):
        raise IntegrityError(_INCLUSION_FAILED)


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise IntegrityError unless ``proof`` shows the tree ``old`` is a prefix of the tree ``new``."""
    if old_size < 0 or old_size > new_size:
        raise IntegrityError(_CONSISTENCY_FAILED)
    if old_size == new_size:  # the same tree: nothing to prove beyond equal roots
        if proof or not constant_time_equal(old_root, new_root):
            raise IntegrityError(_CONSISTENCY_FAILED)
        if old_size == 0 and not constant_time_equal(new_root, EMPTY_ROOT):
            raise IntegrityError(_CONSISTENCY_FAILED)
        return
    if old_size == 0 or not proof:  # RFC 9162 defines proofs for 0 < old < new only, never empty
        raise IntegrityError(_CONSISTENCY_FAILED)
    _check_hashes([old_root, new_root, *proof], _CONSISTENCY_FAILED)
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a perfect old tree is its own first element
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise IntegrityError(_CONSISTENCY_FAILED)
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    # both checks always run, so timing says nothing about which root failed
    old_ok = constant_time_equal(fr, old_root)
    new_ok = constant_time_equal(sr, new_root)
    if sn != 0 or not (old_ok and new_ok):
        raise IntegrityError(_CONSISTENCY_FAILED)
