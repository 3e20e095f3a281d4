"""The standalone verifier: a proof bundle, the log's public verifier key, and nothing else.

An inclusion bundle is ``{"leaf_index", "leaf_hash" or "entry", "proof", "checkpoint"}`` and a
consistency bundle ``{"old", "new", "proof"}``; hashes are standard base64, checkpoints are
signed notes. Anyone holding the verifier key can check them without the database.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from veil.audit._checkpoint import Checkpoint, open_checkpoint
from veil.audit._merkle import EMPTY_ROOT, leaf_hash, verify_consistency, verify_inclusion
from veil.crypto import constant_time_equal
from veil.errors import IntegrityError, InvalidInput

#: Longer than any proof in a tree of 2**64 leaves: bounds the decoding an untrusted bundle can ask for.
MAX_PROOF_HASHES = 130


def _field(bundle: Mapping[str, object], key: str, kind: type) -> object:
    value = bundle.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise InvalidInput(f"bundle {key} must be a {kind.__name__}")
    return value


def _unb64(text: object, key: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidInput(f"bundle {key} must be base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InvalidInput(f"bundle {key} is not valid base64") from None


def _proof(bundle: Mapping[str, object]) -> list[bytes]:
    proof = _field(bundle, "proof", list)
    assert isinstance(proof, list)  # narrowed for mypy; _field checked it
    if len(proof) > MAX_PROOF_HASHES:
        raise InvalidInput(f"bundle proof holds more than {MAX_PROOF_HASHES} hashes")
    return [_unb64(item, "proof") for item in proof]


def _note(bundle: Mapping[str, object], key: str) -> str:
    note = _field(bundle, key, str)
    assert isinstance(note, str)
    return note


def _leaf(bundle: Mapping[str, object]) -> bytes:
    if ("entry" in bundle) == ("leaf_hash" in bundle):
        raise InvalidInput("bundle must hold exactly one of entry and leaf_hash")
    if "entry" in bundle:
        return leaf_hash(_unb64(bundle["entry"], "entry"))
    return _unb64(bundle["leaf_hash"], "leaf_hash")


def _object(bundle: object) -> Mapping[str, object]:
    if not isinstance(bundle, Mapping):
        raise InvalidInput("bundle must be a JSON object")
    return bundle


def verify_inclusion_bundle(
    bundle: Mapping[str, object], vkey: str, *, origin: str | None = None
) -> Checkpoint:
    """The signed head the entry is included in; IntegrityError if the signature or proof fails."""
    bundle = _object(bundle)
    index = _field(bundle, "leaf_index", int)
    assert isinstance(index, int)
    leaf, proof, note = _leaf(bundle), _proof(bundle), _note(bundle, "checkpoint")
    checkpoint = open_checkpoint(note, vkey, origin=origin)
    verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root)
    return checkpoint


def verify_consistency_bundle(
    bundle: Mapping[str, object], vkey: str, *, origin: str | None = None
) -> tuple[Checkpoint, Checkpoint]:
    """(old, new) signed heads once the proof shows ``old`` is a prefix of ``new``."""
    bundle = _object(bundle)
    old_note, new_note, proof = _note(bundle, "old"), _note(bundle, "new"), _proof(bundle)
    old = open_checkpoint(old_note, vkey, origin=origin)
    new = open_checkpoint(new_note, vkey, origin=origin)
    if old.origin != new.origin:  # one key may sign for several logs: both heads must be of one
        raise IntegrityError("checkpoint origin does not match")
    if old.size == 0 < new.size:  # RFC 9162 has no proof from the empty tree: it is everyone's prefix
        if proof or not constant_time_equal(old.root, EMPTY_ROOT):
            raise IntegrityError("consistency proof does not verify")
        return old, new
    verify_consistency(old.size, new.size, proof, old.root, new.root)
    return old, new
