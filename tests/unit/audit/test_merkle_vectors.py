"""Known answers from transparency-dev/merkle's testdata (tests/vectors/merkle/README.md).

Each file says whether it must verify (``wantErr``): the ``happy-path.json`` files and two edge
cases (a one-leaf tree whose leaf is its root, equal sizes with an empty proof) verify; every
corrupted variant is rejected with IntegrityError.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from veil.audit._merkle import verify_consistency, verify_inclusion
from veil.errors import IntegrityError

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "merkle"
FILES = sorted(VECTORS.rglob("*.json"))
MUST_VERIFY = {
    "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json",
    "inclusion/single-entry/matching-root-and-leaf.json",
}


def _id(path: Path) -> str:
    return path.relative_to(VECTORS).as_posix()


def _hashes(items: list[str] | None) -> list[bytes]:
    return [base64.b64decode(item) for item in items or []]


def _check(case: dict[str, Any]) -> None:
    unb64 = base64.b64decode
    if "leafIdx" in case:
        verify_inclusion(
            unb64(case["leafHash"]),
            case["leafIdx"],
            case["treeSize"],
            _hashes(case["proof"]),
            unb64(case["root"]),
        )
    else:
        verify_consistency(
            case["size1"], case["size2"], _hashes(case["proof"]), unb64(case["root1"]), unb64(case["root2"])
        )


def test_vectors_are_present_and_labelled_as_expected() -> None:
    assert len(FILES) > 150
    for path in FILES:
        expected_ok = path.name == "happy-path.json" or _id(path) in MUST_VERIFY
        assert json.loads(path.read_text())["wantErr"] is not expected_ok, _id(path)


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    if case["wantErr"]:
        with pytest.raises(IntegrityError):
            _check(case)
    else:
        _check(case)


def test_leaf_index_is_zero_based() -> None:
    # inclusion/0 is leaf 0 of a one-leaf tree, so indexes start at 0; neighbours of leaf 5 fail
    case = json.loads((VECTORS / "inclusion" / "2" / "happy-path.json").read_text())
    assert case["leafIdx"] == 5
    _check(case)
    with pytest.raises(IntegrityError):
        _check({**case, "leafIdx": case["leafIdx"] + 1})
    with pytest.raises(IntegrityError):
        _check({**case, "leafIdx": case["leafIdx"] - 1})
