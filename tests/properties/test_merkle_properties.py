"""Merkle invariants: the frontier agrees with the RFC's definition, and every planned proof verifies."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veil.audit._merkle import (
    Frontier,
    assemble,
    consistency_plan,
    inclusion_plan,
    leaf_hash,
    naive_root,
    needed_nodes,
    verify_consistency,
    verify_inclusion,
)
from veil.errors import IntegrityError

SETTINGS = settings(max_examples=100, deadline=None)
leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=300).map(
    lambda data: [leaf_hash(item) for item in data]
)


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1, written as the recursion: the oracle for the plans."""
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*rfc_path(m, leaves[:k]), naive_root(leaves[k:])]
    return [*rfc_path(m - k, leaves[k:]), naive_root(leaves[:k])]


def rfc_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*rfc_subproof(m, leaves[:k], complete), naive_root(leaves[k:])]
    return [*rfc_subproof(m - k, leaves[k:], False), naive_root(leaves[:k])]


def _assembled(leaves: list[bytes], plan: list[list[tuple[int, int]]]) -> list[bytes]:
    nodes = {(lv, i): naive_root(leaves[i << lv : (i + 1) << lv]) for lv, i in needed_nodes(plan)}
    return assemble(plan, nodes)


@SETTINGS
@given(leaf_lists)
def test_frontier_root_is_the_rfc_root_at_every_size(leaves: list[bytes]) -> None:
    frontier = Frontier.empty()
    for n, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        if n % 17 == 0 or n == len(leaves):
            assert frontier.root() == naive_root(leaves[:n])
    assert Frontier.from_bytes(frontier.size, frontier.to_bytes()) == frontier


@SETTINGS
@given(leaf_lists)
def test_frontier_append_returns_each_completed_subtree_once_with_its_hash(leaves: list[bytes]) -> None:
    frontier, seen = Frontier.empty(), set()
    for leaf in leaves:
        for level, index, digest in frontier.append(leaf):
            assert level >= 1
            assert (index + 1) << level <= frontier.size
            assert digest == naive_root(leaves[index << level : (index + 1) << level])
            seen.add((level, index))
    n = len(leaves)
    assert seen == {(lv, i) for lv in range(1, n.bit_length()) for i in range(n >> lv)}


@SETTINGS
@given(leaf_lists, st.data())
def test_every_inclusion_proof_verifies_and_no_other_leaf_does(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size, root = len(leaves), naive_root(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = _assembled(leaves, inclusion_plan(index, size))
    assert proof == rfc_path(index, leaves)
    verify_inclusion(leaves[index], index, size, proof, root)
    with pytest.raises(IntegrityError):
        verify_inclusion(leaf_hash(b"not logged"), index, size, proof, root)
    with pytest.raises(IntegrityError):
        verify_inclusion(leaves[index], index, size, proof, leaf_hash(b"another root"))


@SETTINGS
@given(leaf_lists, st.data())
def test_every_consistency_proof_verifies_and_a_rewritten_history_does_not(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size, root = len(leaves), naive_root(leaves)
    old = data.draw(st.integers(0, size))
    proof = _assembled(leaves, consistency_plan(old, size))
    if old in (0, size):
        assert proof == []
        return
    assert proof == rfc_subproof(old, leaves, True)
    old_root = naive_root(leaves[:old])
    verify_consistency(old, size, proof, old_root, root)
    rewritten = [*leaves[: old - 1], leaf_hash(b"rewritten")]
    with pytest.raises(IntegrityError):
        verify_consistency(old, size, proof, naive_root(rewritten), root)
    with pytest.raises(IntegrityError):
        verify_consistency(old, size, proof, old_root, leaf_hash(b"another root"))
