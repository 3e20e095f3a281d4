"""Signed tree heads: a C2SP tlog-checkpoint inside a C2SP signed note, signed with Ed25519.

A note is its text, a blank line and signature lines ``— <name> <base64(key id || signature)>``;
the format is the one of ``golang.org/x/mod/sumdb/note``, so a head can be checked with any
transparency-log tooling, and a witness cosigns it by appending its own line.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from veil.crypto import Ed25519Signer, constant_time_equal, verify_signature
from veil.errors import IntegrityError, InvalidInput

ALG_ED25519 = 0x01
KEY_ID_SIZE = 4
MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100
_SIGNATURE_SIZE = 64
_PUBLIC_KEY_SIZE = 32
_ROOT_SIZE = 32
_SIG_PREFIX = "— "  # U+2014 EM DASH, then a space
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")  # a note holds no ASCII control character but newline
_MALFORMED_NOTE = "malformed note"
_MALFORMED_CHECKPOINT = "malformed checkpoint"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Strict standard base64 (padded, canonical), or None."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        return None
    return data if _b64(data) == text else None


def _is_word(text: object) -> bool:
    """Non-empty text without whitespace or control characters (an origin, a key name)."""
    return (
        isinstance(text, str)
        and bool(text)
        and not any(c.isspace() for c in text)
        and not _CONTROL.search(text)
    )


def _valid_name(name: object) -> bool:
    return _is_word(name) and "+" not in str(name)  # "+" separates a verifier key's parts


def _check_name(name: str) -> None:
    if not _valid_name(name):
        raise InvalidInput("key name must be non-empty, without '+' or whitespace")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log's origin, its size and its root hash (C2SP tlog-checkpoint)."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _is_word(self.origin):
            raise InvalidInput("checkpoint origin must be non-empty, without whitespace")
        if not isinstance(self.size, int) or isinstance(self.size, bool) or not 0 <= self.size < 1 << 64:
            raise InvalidInput("checkpoint size must be an integer from 0 to 2**64 - 1")
        if not isinstance(self.root, bytes) or len(self.root) != _ROOT_SIZE:
            raise InvalidInput(f"checkpoint root must be {_ROOT_SIZE} bytes")
        for line in self.extensions:
            if not isinstance(line, str) or not line or "\n" in line or _CONTROL.search(line):
                raise InvalidInput("checkpoint extensions must be non-empty single lines")

    def text(self) -> str:
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """The checkpoint in a note's text; IntegrityError on anything that is not exactly one."""
        if not isinstance(text, str) or not text.endswith("\n"):
            raise IntegrityError(_MALFORMED_CHECKPOINT)
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not _SIZE.fullmatch(lines[1]):
            raise IntegrityError(_MALFORMED_CHECKPOINT)
        root = _unb64(lines[2])
        if root is None:
            raise IntegrityError(_MALFORMED_CHECKPOINT)
        try:
            return cls(lines[0], int(lines[1]), root, tuple(lines[3:]))
        except InvalidInput:
            raise IntegrityError(_MALFORMED_CHECKPOINT) from None


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte id of an Ed25519 key: SHA-256(name || "\\n" || 0x01 || key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()[:KEY_ID_SIZE]


def verifier_key(name: str, public_key: bytes) -> str:
    """The public ``<name>+<key id hex>+<base64(0x01 || key)>`` string that verifiers are given."""
    _check_name(name)
    if not isinstance(public_key, bytes) or len(public_key) != _PUBLIC_KEY_SIZE:
        raise InvalidInput(f"public key must be {_PUBLIC_KEY_SIZE} bytes")
    return f"{name}+{key_id(name, public_key).hex()}+{_b64(bytes([ALG_ED25519]) + public_key)}"


def parse_verifier_key(vkey: str) -> tuple[str, bytes]:
    """(name, raw Ed25519 public key) of a verifier key whose id matches its key."""
    parts = vkey.split("+", 2) if isinstance(vkey, str) else []  # base64 may hold "+" too
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
        raise InvalidInput("verifier key must be <name>+<8 hex digits>+<base64 key>")
    name, hex_id, encoded = parts
    _check_name(name)
    key = _unb64(encoded)
    if key is None or len(key) != 1 + _PUBLIC_KEY_SIZE or key[0] != ALG_ED25519:
        raise InvalidInput("verifier key must hold a base64 Ed25519 public key")
    if not constant_time_equal(key_id(name, key[1:]), bytes.fromhex(hex_id)):
        raise IntegrityError("verifier key id does not match its key")
    return name, key[1:]


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise InvalidInput("note text must end with a newline and hold no blank line")
    if _CONTROL.search(text) or len(text.encode()) > MAX_NOTE_BYTES // 2:
        raise InvalidInput("note text must be printable and under 512 KiB")


def _signature_line(text: str, name: str, signer: Ed25519Signer) -> str:
    blob = key_id(name, signer.public_key()) + signer.sign(text.encode())
    return f"{_SIG_PREFIX}{name} {_b64(blob)}\n"


def sign_note(text: str, name: str, signer: Ed25519Signer) -> str:
    """``text`` signed by ``name``'s key: the text, a blank line and one signature line."""
    _check_text(text)
    _check_name(name)
    return text + "\n" + _signature_line(text, name, signer)


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """(text, [(name, key id, signature)]) of a well-formed note; nothing is verified yet."""
    if not isinstance(note, str) or len(note) > MAX_NOTE_BYTES or _CONTROL.search(note):
        raise IntegrityError(_MALFORMED_NOTE)
    try:
        size = len(note.encode())
    except UnicodeEncodeError:  # a lone surrogate: not UTF-8 text
        raise IntegrityError(_MALFORMED_NOTE) from None
    if size > MAX_NOTE_BYTES:
        raise IntegrityError(_MALFORMED_NOTE)
    split = note.rfind("\n\n")
    text, block = note[: split + 1], note[split + 2 :]
    if split < 0 or not block.endswith("\n") or not text.strip("\n"):
        raise IntegrityError(_MALFORMED_NOTE)
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:  # bounds the work an untrusted note can ask for
        raise IntegrityError(_MALFORMED_NOTE)
    signatures = []
    for line in lines:
        name, _, encoded = line.removeprefix(_SIG_PREFIX).partition(" ")
        blob = _unb64(encoded)
        if not line.startswith(_SIG_PREFIX) or not _valid_name(name) or blob is None or len(blob) <= 4:
            raise IntegrityError(_MALFORMED_NOTE)
        signatures.append((name, blob[:KEY_ID_SIZE], blob[KEY_ID_SIZE:]))
    return text, signatures


def open_note(note: str, vkey: str) -> str:
    """The text of ``note`` once ``vkey``'s signature on it verifies; lines of other keys are ignored."""
    name, public_key = parse_verifier_key(vkey)
    text, signatures = _split_note(note)
    wanted = key_id(name, public_key)
    found = False
    for signer_name, signer_id, signature in signatures:
        if signer_name != name or signer_id != wanted:
            continue  # another key's line (a witness, an older key): not ours to judge
        if len(signature) != _SIGNATURE_SIZE or not verify_signature(public_key, text.encode(), signature):
            raise IntegrityError("signature does not verify")
        found = True
    if not found:
        raise IntegrityError(f"note is not signed by {name}")
    return text


def cosign(note: str, name: str, signer: Ed25519Signer) -> str:
    """``note`` with one more signature line, by ``name``'s key (what a witness adds).

    It checks no other signature: a witness opens the note with the log's key first.
    """
    _check_name(name)
    text, signatures = _split_note(note)
    ours, signature = key_id(name, signer.public_key()), signer.sign(text.encode())
    mine = [sig for signer_name, signer_id, sig in signatures if (signer_name, signer_id) == (name, ours)]
    if mine:  # Ed25519 is deterministic: an honest earlier line by this key holds this very signature
        if any(sig != signature for sig in mine):
            raise IntegrityError("signature does not verify")
        return note
    if len(signatures) >= MAX_SIGNATURES:
        raise InvalidInput(f"a note holds at most {MAX_SIGNATURES} signatures")
    return f"{note}{_SIG_PREFIX}{name} {_b64(ours + signature)}\n"


def open_checkpoint(note: str, vkey: str, *, origin: str | None = None) -> Checkpoint:
    """The checkpoint a note signed by ``vkey`` carries; IntegrityError if it is for another log."""
    checkpoint = Checkpoint.parse(open_note(note, vkey))
    if origin is not None and checkpoint.origin != origin:
        raise IntegrityError("checkpoint origin does not match")
    return checkpoint
