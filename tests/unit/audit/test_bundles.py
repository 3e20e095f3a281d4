from __future__ import annotations

import base64
from typing import Any

import pytest

from veil.audit._bundles import verify_consistency_bundle, verify_inclusion_bundle
from veil.audit._checkpoint import Checkpoint, cosign, sign_note, verifier_key
from veil.audit._merkle import (
    Frontier,
    assemble,
    consistency_plan,
    inclusion_plan,
    leaf_hash,
    naive_root,
    needed_nodes,
)
from veil.crypto import Ed25519Signer
from veil.errors import IntegrityError, InvalidInput

ORIGIN = "veil.example/audit"
SIGNER = Ed25519Signer(bytes(range(32)))
VKEY = verifier_key(ORIGIN, SIGNER.public_key())
ENTRIES = [f"veil-audit/1 entry {i}".encode() for i in range(21)]
LEAVES = [leaf_hash(entry) for entry in ENTRIES]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _proof(plan: list[list[tuple[int, int]]]) -> list[str]:
    nodes = {(lv, i): naive_root(LEAVES[i << lv : (i + 1) << lv]) for lv, i in needed_nodes(plan)}
    return [_b64(h) for h in assemble(plan, nodes)]


def _head(size: int, signer: Ed25519Signer = SIGNER) -> str:
    frontier = Frontier.empty()
    for leaf in LEAVES[:size]:
        frontier.append(leaf)
    return sign_note(Checkpoint(ORIGIN, size, frontier.root()).text(), ORIGIN, signer)


def _inclusion(index: int = 5, size: int = 21) -> dict[str, Any]:
    return {
        "leaf_index": index,
        "leaf_hash": _b64(LEAVES[index]),
        "proof": _proof(inclusion_plan(index, size)),
        "checkpoint": _head(size),
    }


def _consistency(old: int = 6, new: int = 21) -> dict[str, Any]:
    return {"old": _head(old), "new": _head(new), "proof": _proof(consistency_plan(old, new))}


def test_an_inclusion_bundle_verifies_with_the_public_key_alone() -> None:
    checkpoint = verify_inclusion_bundle(_inclusion(), VKEY, origin=ORIGIN)
    assert (checkpoint.origin, checkpoint.size) == (ORIGIN, 21)


def test_an_inclusion_bundle_may_carry_the_entry_instead_of_its_hash() -> None:
    bundle = _inclusion()
    del bundle["leaf_hash"]
    bundle["entry"] = _b64(ENTRIES[5])
    assert verify_inclusion_bundle(bundle, VKEY).size == 21
    bundle["entry"] = _b64(ENTRIES[6])
    with pytest.raises(IntegrityError, match="inclusion proof does not verify"):
        verify_inclusion_bundle(bundle, VKEY)


def test_a_cosigned_head_still_verifies() -> None:
    bundle = _inclusion()
    bundle["checkpoint"] = cosign(bundle["checkpoint"], "witness.example", Ed25519Signer(bytes(32)))
    verify_inclusion_bundle(bundle, VKEY)


@pytest.mark.parametrize(
    "change",
    [
        {"leaf_index": 6},
        {"leaf_hash": _b64(LEAVES[6])},
        {"proof": []},
        {"checkpoint": _head(20)},
    ],
)
def test_an_inclusion_bundle_that_does_not_add_up_fails(change: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError, match="inclusion proof does not verify"):
        verify_inclusion_bundle({**_inclusion(), **change}, VKEY)


def test_an_inclusion_bundle_under_another_key_or_origin_fails() -> None:
    other = Ed25519Signer(bytes(32))
    with pytest.raises(IntegrityError, match="not signed by"):
        verify_inclusion_bundle({**_inclusion(), "checkpoint": _head(21, signer=other)}, VKEY)
    with pytest.raises(IntegrityError, match="origin"):
        verify_inclusion_bundle(_inclusion(), VKEY, origin="another.example/log")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"leaf_index": "5"}, "leaf_index"),
        ({"leaf_index": True}, "leaf_index"),
        ({"leaf_hash": "***"}, "leaf_hash"),
        ({"leaf_hash": 5}, "leaf_hash"),
        ({"proof": "AAAA"}, "proof"),
        ({"proof": ["not base64!"]}, "proof"),
        ({"proof": [_b64(LEAVES[0])] * 131}, "proof"),
        ({"checkpoint": None}, "checkpoint"),
        ({"entry": _b64(ENTRIES[5])}, "entry"),  # both entry and leaf_hash
    ],
)
def test_a_malformed_inclusion_bundle_names_its_bad_key(change: dict[str, Any], key: str) -> None:
    with pytest.raises(InvalidInput, match=key):
        verify_inclusion_bundle({**_inclusion(), **change}, VKEY)


@pytest.mark.parametrize("key", ["leaf_index", "leaf_hash", "proof", "checkpoint"])
def test_an_inclusion_bundle_missing_a_key_names_it(key: str) -> None:
    bundle = _inclusion()
    del bundle[key]
    with pytest.raises(InvalidInput, match="leaf_hash" if key == "leaf_hash" else key):
        verify_inclusion_bundle(bundle, VKEY)


def test_a_bundle_must_be_an_object() -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        verify_inclusion_bundle([], VKEY)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="JSON object"):
        verify_consistency_bundle("{}", VKEY)  # type: ignore[arg-type]


def test_a_consistency_bundle_verifies_and_returns_both_heads() -> None:
    old, new = verify_consistency_bundle(_consistency(), VKEY, origin=ORIGIN)
    assert (old.size, new.size) == (6, 21)
    assert new.root == naive_root(LEAVES)


def test_a_consistency_bundle_between_equal_heads_needs_no_proof() -> None:
    old, new = verify_consistency_bundle({"old": _head(8), "new": _head(8), "proof": []}, VKEY)
    assert old == new


def test_every_head_extends_the_signed_empty_head_without_a_proof() -> None:
    old, new = verify_consistency_bundle({"old": _head(0), "new": _head(21), "proof": []}, VKEY)
    assert (old.size, new.size) == (0, 21)
    with pytest.raises(IntegrityError):
        verify_consistency_bundle({"old": _head(0), "new": _head(21), "proof": [_b64(LEAVES[0])]}, VKEY)
    fake_empty = sign_note(Checkpoint(ORIGIN, 0, LEAVES[0]).text(), ORIGIN, SIGNER)
    with pytest.raises(IntegrityError):
        verify_consistency_bundle({"old": fake_empty, "new": _head(21), "proof": []}, VKEY)


def test_a_forked_history_fails_consistency() -> None:
    frontier = Frontier.empty()
    for leaf in [*LEAVES[:5], leaf_hash(b"rewritten")]:
        frontier.append(leaf)
    forked = sign_note(Checkpoint(ORIGIN, 6, frontier.root()).text(), ORIGIN, SIGNER)
    with pytest.raises(IntegrityError, match="consistency proof does not verify"):
        verify_consistency_bundle({**_consistency(), "old": forked}, VKEY)
    with pytest.raises(IntegrityError, match="consistency proof does not verify"):
        verify_consistency_bundle({**_consistency(), "old": _head(21), "new": _head(6)}, VKEY)


def test_heads_of_two_logs_under_one_key_are_not_consistent() -> None:
    other_log = sign_note(Checkpoint("veil.example/other", 21, naive_root(LEAVES)).text(), ORIGIN, SIGNER)
    with pytest.raises(IntegrityError, match="origin"):
        verify_consistency_bundle({**_consistency(), "new": other_log}, VKEY)


@pytest.mark.parametrize("key", ["old", "new", "proof"])
def test_a_malformed_consistency_bundle_names_its_bad_key(key: str) -> None:
    bundle = _consistency()
    del bundle[key]
    with pytest.raises(InvalidInput, match=key):
        verify_consistency_bundle(bundle, VKEY)
    with pytest.raises(InvalidInput, match=key):
        verify_consistency_bundle({**_consistency(), key: 7}, VKEY)
