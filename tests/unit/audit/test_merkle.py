from __future__ import annotations

import hashlib

import pytest

from veil.audit._merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Frontier,
    assemble,
    consistency_plan,
    inclusion_plan,
    leaf_hash,
    naive_root,
    needed_nodes,
    node_hash,
    range_nodes,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)
from veil.errors import IntegrityError, InvalidInput

LEAVES = [leaf_hash(f"entry {i}".encode()) for i in range(70)]


def _nodes(leaves: list[bytes], plan: list[list[tuple[int, int]]]) -> dict[tuple[int, int], bytes]:
    return {(lv, i): naive_root(leaves[i << lv : (i + 1) << lv]) for lv, i in needed_nodes(plan)}


def _inclusion(leaves: list[bytes], index: int) -> list[bytes]:
    plan = inclusion_plan(index, len(leaves))
    return assemble(plan, _nodes(leaves, plan))


def _consistency(leaves: list[bytes], old: int) -> list[bytes]:
    plan = consistency_plan(old, len(leaves))
    return assemble(plan, _nodes(leaves, plan))


def _flip(data: bytes, bit: int) -> bytes:
    return bytes(b ^ (1 << (bit % 8)) if i == bit // 8 else b for i, b in enumerate(data))


def test_hashes_are_domain_separated_sha256() -> None:
    assert HASH_SIZE == 32
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_naive_root_follows_the_rfc_split() -> None:
    a, b, c = LEAVES[:3]
    assert naive_root([]) == EMPTY_ROOT
    assert naive_root([a]) == a
    assert naive_root([a, b, c]) == node_hash(node_hash(a, b), c)


def test_frontier_root_matches_naive_root_at_every_size() -> None:
    frontier = Frontier.empty()
    assert frontier.root() == EMPTY_ROOT
    for n, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.size == n
        assert len(frontier.hashes) == n.bit_count()
        assert frontier.root() == naive_root(LEAVES[:n])


def test_frontier_append_reports_the_subtrees_it_completes() -> None:
    frontier = Frontier.empty()
    assert frontier.append(LEAVES[0]) == []
    assert frontier.append(LEAVES[1]) == [(1, 0, node_hash(LEAVES[0], LEAVES[1]))]
    assert frontier.append(LEAVES[2]) == []
    done = frontier.append(LEAVES[3])
    assert [(level, index) for level, index, _ in done] == [(1, 1), (2, 0)]
    assert done[-1][2] == naive_root(LEAVES[:4])


def test_frontier_bytes_round_trip_and_copy_is_independent() -> None:
    frontier = Frontier.empty()
    for leaf in LEAVES[:13]:
        frontier.append(leaf)
    again = Frontier.from_bytes(13, frontier.to_bytes())
    assert again == frontier
    copy = frontier.copy()
    copy.append(LEAVES[13])
    assert frontier.size == 13
    assert Frontier.from_bytes(0, b"") == Frontier.empty()


@pytest.mark.parametrize(("size", "blob"), [(-1, b""), (1, b""), (3, b"\0" * 32), (2, b"\0" * 33)])
def test_frontier_from_corrupt_bytes_is_refused(size: int, blob: bytes) -> None:
    with pytest.raises(IntegrityError, match="audit tree state is corrupt"):
        Frontier.from_bytes(size, blob)


def test_range_nodes_decompose_into_aligned_perfect_subtrees() -> None:
    assert range_nodes(0, 1) == [(0, 0)]
    assert range_nodes(0, 8) == [(3, 0)]
    assert range_nodes(8, 15) == [(2, 2), (1, 6), (0, 14)]
    assert range_nodes(4, 6) == [(1, 2)]


@pytest.mark.parametrize(("start", "end"), [(3, 3), (5, 4), (-1, 2), (2, 6), (1, 3)])
def test_range_nodes_refuse_empty_or_unaligned_ranges(start: int, end: int) -> None:
    with pytest.raises(InvalidInput):
        range_nodes(start, end)


def test_inclusion_plan_is_the_bottom_up_path() -> None:
    assert inclusion_plan(0, 1) == []
    assert inclusion_plan(0, 8) == [[(0, 1)], [(1, 1)], [(2, 1)]]
    # leaf 6 of 7: its sibling is missing, so the path is [4, 6) then [0, 4)
    assert inclusion_plan(6, 7) == [[(1, 2)], [(2, 0)]]
    assert inclusion_plan(0, 7) == [[(0, 1)], [(1, 1)], [(1, 2), (0, 6)]]


def test_plans_match_the_worked_examples_of_rfc_9162_section_2_1_5() -> None:
    # the seven-leaf tree of RFC 9162 2.1.5: a..d are leaves 0..3, f leaf 5, j leaf 6,
    # g = [0, 2), h = [2, 4), i = [4, 6), k = [0, 4), l = [4, 7)
    b, c, d, f, j = [(0, 1)], [(0, 2)], [(0, 3)], [(0, 5)], [(0, 6)]
    g, h, i, k = [(1, 0)], [(1, 1)], [(1, 2)], [(2, 0)]
    l = [(1, 2), (0, 6)]  # noqa: E741  (the RFC's name) not a perfect subtree: [4, 6), then leaf 6
    assert inclusion_plan(0, 7) == [b, h, l]
    assert inclusion_plan(3, 7) == [c, g, l]
    assert inclusion_plan(4, 7) == [f, j, k]
    assert inclusion_plan(6, 7) == [i, k]
    assert consistency_plan(3, 7) == [c, d, g, l]
    assert consistency_plan(4, 7) == [l]
    assert consistency_plan(6, 7) == [i, j, k]


def test_consistency_plan_follows_subproof() -> None:
    assert consistency_plan(0, 5) == []
    assert consistency_plan(5, 5) == []
    assert consistency_plan(4, 8) == [[(2, 1)]]  # the old tree is perfect: it is not repeated
    assert consistency_plan(3, 7) == [[(0, 2)], [(0, 3)], [(1, 0)], [(1, 2), (0, 6)]]
    assert consistency_plan(6, 8) == [[(1, 2)], [(1, 3)], [(2, 0)]]


@pytest.mark.parametrize(("index", "size"), [(0, 0), (5, 5), (-1, 3), (7, 2)])
def test_inclusion_plan_refuses_a_leaf_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(InvalidInput, match=f"{index}.*{size}"):
        inclusion_plan(index, size)


@pytest.mark.parametrize(("old", "new"), [(5, 4), (-1, 3), (1, -1)])
def test_consistency_plan_refuses_shrinking_or_negative_sizes(old: int, new: int) -> None:
    with pytest.raises(InvalidInput, match=f"{old}.*{new}"):
        consistency_plan(old, new)


def test_assemble_needs_every_planned_node() -> None:
    plan = inclusion_plan(3, 10)
    nodes = _nodes(LEAVES[:10], plan)
    nodes.pop(next(iter(nodes)))
    with pytest.raises(InvalidInput, match="was not supplied"):
        assemble(plan, nodes)


@pytest.mark.parametrize("size", range(1, 71))
def test_every_inclusion_proof_verifies_and_any_change_fails(size: int) -> None:
    leaves, root = LEAVES[:size], naive_root(LEAVES[:size])
    for index in range(size):
        proof = _inclusion(leaves, index)
        verify_inclusion(leaves[index], index, size, proof, root)
        assert root_from_inclusion(leaves[index], index, size, proof) == root
        for other in {index - 1, index + 1, index ^ 1} - {index}:
            with pytest.raises(IntegrityError):
                verify_inclusion(leaves[index], other, size, proof, root)
    index = size // 2
    proof = _inclusion(leaves, index)
    # size +- 1 may keep the path's shape: the signed checkpoint, not the proof, binds the size
    for other_size in {size * 2, size // 2} - {size}:
        if index < other_size:
            with pytest.raises(IntegrityError):
                verify_inclusion(leaves[index], index, other_size, proof, root)
    for bit in range(0, 256, 37):
        with pytest.raises(IntegrityError):
            verify_inclusion(_flip(leaves[index], bit), index, size, proof, root)
        with pytest.raises(IntegrityError):
            verify_inclusion(leaves[index], index, size, proof, _flip(root, bit))
        for position in range(len(proof)):
            changed = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
            with pytest.raises(IntegrityError):
                verify_inclusion(leaves[index], index, size, changed, root)
    for wrong in ([*proof, proof[0] if proof else EMPTY_ROOT], proof[:-1] if proof else None):
        if wrong is not None:
            with pytest.raises(IntegrityError):
                verify_inclusion(leaves[index], index, size, wrong, root)


@pytest.mark.parametrize("size", range(2, 71))
def test_every_consistency_proof_verifies_and_any_change_fails(size: int) -> None:
    leaves, root = LEAVES[:size], naive_root(LEAVES[:size])
    for old in range(1, size):
        old_root, proof = naive_root(leaves[:old]), _consistency(leaves, old)
        verify_consistency(old, size, proof, old_root, root)
        with pytest.raises(IntegrityError):
            verify_consistency(old, size, proof, root, old_root)
        for bit in (0, 101, 255):
            with pytest.raises(IntegrityError):
                verify_consistency(old, size, proof, _flip(old_root, bit), root)
            with pytest.raises(IntegrityError):
                verify_consistency(old, size, proof, old_root, _flip(root, bit))
            for position in range(len(proof)):
                changed = [*proof[:position], _flip(proof[position], bit), *proof[position + 1 :]]
                with pytest.raises(IntegrityError):
                    verify_consistency(old, size, changed, old_root, root)
        # new_size +- 1 can keep the proof's shape: the signed checkpoint, not the proof, binds it
        for other_old, other_new in ((old - 1, size), (old + 1, size), (old ^ 2, size), (old, size * 2)):
            if 0 < other_old < other_new and (other_old, other_new) != (old, size):
                with pytest.raises(IntegrityError):
                    verify_consistency(other_old, other_new, proof, old_root, root)
        with pytest.raises(IntegrityError):
            verify_consistency(old, size, proof[:-1], old_root, root)
        with pytest.raises(IntegrityError):
            verify_consistency(old, size, [*proof, root], old_root, root)


def test_equal_sizes_need_equal_roots_and_no_proof() -> None:
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(3, 3, [], LEAVES[0], LEAVES[0])
    with pytest.raises(IntegrityError):
        verify_consistency(3, 3, [], LEAVES[0], LEAVES[1])
    with pytest.raises(IntegrityError):
        verify_consistency(3, 3, [LEAVES[0]], LEAVES[0], LEAVES[0])
    with pytest.raises(IntegrityError):
        verify_consistency(0, 0, [], LEAVES[0], LEAVES[0])  # an empty tree has one root


def test_a_proof_from_the_empty_tree_is_refused() -> None:
    # RFC 9162 defines consistency proofs for 0 < old < new only (and the vectors agree)
    with pytest.raises(IntegrityError):
        verify_consistency(0, 1, [], EMPTY_ROOT, LEAVES[0])


@pytest.mark.parametrize(
    "args",
    [
        (LEAVES[0], 0, 0, [], EMPTY_ROOT),
        (LEAVES[0], -1, 1, [], LEAVES[0]),
        (LEAVES[0], 1, 1, [], LEAVES[0]),
        (LEAVES[0][:31], 0, 1, [], LEAVES[0][:31]),  # hashes are 32 bytes
        (LEAVES[0], 0, 2, [LEAVES[1][:31]], node_hash(LEAVES[0], LEAVES[1][:31])),
    ],
)
def test_malformed_inclusion_arguments_fail_with_one_message(
    args: tuple[bytes, int, int, list[bytes], bytes],
) -> None:
    with pytest.raises(IntegrityError, match=r"^inclusion proof does not verify$"):
        verify_inclusion(*args)


@pytest.mark.parametrize(
    "args",
    [
        (2, 1, [], LEAVES[0], LEAVES[0]),
        (-1, 1, [LEAVES[0]], LEAVES[0], LEAVES[0]),
        (1, 2, [], LEAVES[0], LEAVES[1]),
        (1, 2, [LEAVES[1][:31]], LEAVES[0], node_hash(LEAVES[0], LEAVES[1][:31])),
        (3, 4, [LEAVES[2], LEAVES[3], LEAVES[0]], LEAVES[0][:16], LEAVES[1]),
    ],
)
def test_malformed_consistency_arguments_fail_with_one_message(
    args: tuple[int, int, list[bytes], bytes, bytes],
) -> None:
    with pytest.raises(IntegrityError, match=r"^consistency proof does not verify$"):
        verify_consistency(*args)
