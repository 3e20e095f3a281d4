"""Fingerprints of sensitive datasets: keyed row hashes, and the files that share rows with them.

``veil scan fingerprint add FILE`` records, for each row, 8 bytes of HMAC-SHA256 over the
row's normalized cells taken as a sorted multiset: column order, column names and the
format (CSV, JSONL, Parquet, SQLite) do not change a row's hash, and numbers, booleans and
ISO timestamps are written one way. A later scan hashes a sample of each dataset it meets
and reports those that share rows with a registered one, reordered or a subset.

The store is ``<project>/.veil/fingerprints/``: a random key (``key``, mode 0600) and one
JSON file per dataset. Without the key the hashes say nothing about the rows; whoever
holds both can confirm a guessed row, so the folder is as sensitive as a salted hash list.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import re
import secrets
import sys
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from veil.errors import ConfigError, InvalidInput, NotFound
from veil.scan._dataset_readers import iter_rows, read_samples
from veil.scan._finding import Kind, ScanFinding, Severity, file_fingerprint

KEY_FILE = "key"
KEY_BYTES = 32
HASH_BYTES = 8
#: Rows whose normalized cells hold fewer characters than this ("1,true") are too common to count.
MIN_ROW_CHARS = 8
_FORMAT = "veil-fingerprints"
_VERSION = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?")
_ISO_T = re.compile(r"^(\d{4}-\d{2}-\d{2})T(?=\d{2}:)")
_BOOLEANS = frozenset({"true", "false"})
_NUMBER_START = frozenset("+-.0123456789")


def normalize_cell(value: str) -> str:
    """One cell as every format writes it: ``" 1.0 "`` -> ``"1"``, ``"TRUE"`` -> ``"true"``."""
    text = value.strip()
    if not text:
        return ""
    if text[0] in _NUMBER_START and _NUMBER.fullmatch(text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if number == number.to_integral_value() and number.adjusted() < 40:
            return str(int(number))
        return format(number.normalize(), "f") if abs(number.adjusted()) < 40 else str(number.normalize())
    if len(text) in (4, 5) and text.lower() in _BOOLEANS:
        return text.lower()
    if len(text) > 13 and text[10] == "T":  # cheap test before the regex: most cells are no timestamp
        return _ISO_T.sub(r"\1 ", text)
    return text


def normalized_row(cells: Iterable[str]) -> list[str] | None:
    """The row's non-empty normalized cells, sorted; None for a row too common to count."""
    values = sorted(filter(None, map(normalize_cell, cells)))
    return values if sum(map(len, values)) >= MIN_ROW_CHARS else None


@dataclass(frozen=True, slots=True)
class FingerprintSet:
    """One registered dataset: ``rows`` read, and the sorted distinct row hashes."""

    name: str
    created: str
    rows: int
    columns: list[str]
    source: str
    hashes: array[int] = field(repr=False, compare=False)

    def shared(self, candidate: Iterable[int]) -> int:
        """How many of ``candidate`` (distinct hashes) are rows of this dataset."""
        found, size = 0, len(self.hashes)
        for value in candidate:
            index = bisect_left(self.hashes, value)
            found += index < size and self.hashes[index] == value
        return found

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "created": self.created, "rows": self.rows,
                "hashed_rows": len(self.hashes), "columns": list(self.columns), "source": self.source}


@dataclass(frozen=True, slots=True)
class FingerprintMatch:
    """A candidate file that shares rows with the registered dataset ``name``."""

    name: str
    shared_rows: int
    sampled_rows: int  # distinct hashed rows of the candidate's sample
    share: float
    registered_rows: int
    complete: bool  # the candidate was read whole


class FingerprintStore:
    """The fingerprinted datasets of a project, kept in ``folder`` (``.veil/fingerprints``).

    A dataset is reported when it shares at least ``min_rows`` rows, or ``min_share`` of
    its sampled rows, with a registered one. The datasets are loaded once, on first use.
    """

    def __init__(self, folder: Path, *, min_rows: int = 3, min_share: float = 0.01,
                 now: Callable[[], datetime] | None = None) -> None:
        self.folder = folder
        self.min_rows = min_rows
        self.min_share = min_share
        self._now = now
        self._key: bytes | None = None
        self._sets: list[FingerprintSet] | None = None

    def names(self) -> list[str]:
        """The registered datasets' names, sorted; [] when there is no store yet."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.json") if _NAME.fullmatch(p.stem))

    def add(self, path: Path, name: str | None = None, *, max_rows: int = 5_000_000,
            replace: bool = False) -> FingerprintSet:
        """Fingerprint every row of ``path`` (up to ``max_rows``) as ``name`` (default: the file's stem)."""
        chosen = _valid_name(name if name is not None else _default_name(path))
        target = self.folder / f"{chosen}.json"
        if target.exists() and not replace:
            raise InvalidInput(f"a fingerprinted dataset named {chosen!r} exists: remove it first")
        key = self._writing_key()
        hasher = RowHasher(key)
        hashes: set[int] = set()
        columns: dict[str, None] = {}
        rows = 0
        for row in iter_rows(path, max_rows=max_rows):
            rows += 1
            columns.update(dict.fromkeys(row))
            value = hasher(row.values())
            if value is not None:
                hashes.add(value)
        if not hashes:
            raise InvalidInput(f"{path}: no row to fingerprint")
        now = self._now() if self._now is not None else datetime.now(UTC)
        made = FingerprintSet(chosen, now.isoformat(timespec="seconds"), rows, list(columns), path.name,
                              array("Q", sorted(hashes)))
        _write_atomic(target, json.dumps(_document(made, key)).encode())
        self._sets = None
        return made

    def remove(self, name: str) -> None:
        target = self.folder / f"{_valid_name(name)}.json"
        if not target.is_file():
            raise NotFound(f"no fingerprinted dataset named {name!r}")
        target.unlink()
        self._sets = None

    def load(self) -> list[FingerprintSet]:
        """Every registered dataset (read once, then kept in memory)."""
        if self._sets is None:
            names = self.names()
            key = self._existing_key() if names else None
            if names and key is None:
                raise ConfigError(f"{self.folder / KEY_FILE}: missing; the fingerprints cannot be matched")
            self._sets = [_read_set(self.folder / f"{n}.json", key) for n in names] if key else []
        return self._sets

    def match(self, path: Path, *, max_rows: int = 20_000,
              max_bytes: int = 16 << 20) -> list[FingerprintMatch]:
        """The registered datasets that a sample of ``path`` shares rows with, most shared first."""
        sets = self.load()
        if not sets:
            return []
        hasher = RowHasher(self._writing_key())  # load() found the key
        samples = read_samples(path, max_rows=max_rows, max_bytes=max_bytes)
        hashes = {h for s in samples for row in s.rows if (h := hasher(row.values())) is not None}
        complete = all(s.complete for s in samples)
        matches = []
        for registered in sets:
            shared = registered.shared(hashes)
            share = shared / len(hashes) if hashes else 0.0
            if shared and (shared >= self.min_rows or share >= self.min_share):
                matches.append(FingerprintMatch(registered.name, shared, len(hashes), share,
                                                registered.rows, complete))
        return sorted(matches, key=lambda m: (-m.shared_rows, m.name))

    def _existing_key(self) -> bytes | None:
        if self._key is None:
            self._key = _read_key(self.folder / KEY_FILE, create=False)
        return self._key

    def _writing_key(self) -> bytes:
        """The key, made on first use."""
        if self._key is None:
            self._key = _read_key(self.folder / KEY_FILE, create=True)
        assert self._key is not None
        return self._key


class RowHasher:
    """8 bytes of HMAC-SHA256 over a row's normalized cells, as an integer (None: not counted)."""

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod="sha256")  # copied per row: the key is padded once

    def __call__(self, cells: Iterable[str]) -> int | None:
        values = normalized_row(cells)
        if values is None:
            return None
        mac = self._keyed.copy()
        mac.update("".join(f"{len(v)}:{v}" for v in values).encode("utf-8", "surrogatepass"))
        return int.from_bytes(mac.digest()[:HASH_BYTES], "big")


def row_hash(key: bytes, cells: Iterable[str]) -> int | None:
    """One row's hash under ``key`` (``RowHasher`` for many rows)."""
    return RowHasher(key)(cells)


def _key_id(key: bytes) -> str:
    """Names the key a file was made with, so a replaced key is an error instead of silence."""
    return hmac.digest(key, b"veil-fingerprint-key-id", "sha256")[:8].hex()


def _read_key(path: Path, *, create: bool) -> bytes | None:
    try:
        text = path.read_text("ascii")
    except FileNotFoundError:
        if not create:
            return None
        text = _create_key(path)
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"{path}: the fingerprint key cannot be read") from None
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise ConfigError(f"{path}: not a fingerprint key ({KEY_BYTES} bytes as hex)")
    return key


def _create_key(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = secrets.token_hex(KEY_BYTES) + "\n"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text("ascii")
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(text)
    return text


def _default_name(path: Path) -> str:
    stem = path.name.split(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._") or "dataset"


def _valid_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidInput("a fingerprint name is 1-64 letters, digits, '.', '_' or '-', starting with a "
                           "letter or digit")
    return name


def _document(made: FingerprintSet, key: bytes) -> dict[str, object]:
    packed = array("Q", made.hashes)
    if sys.byteorder == "little":
        packed.byteswap()  # stored big-endian, whatever machine wrote it
    return {"format": _FORMAT, "version": _VERSION, **made.to_dict(), "key_id": _key_id(key),
            "hash_bytes": HASH_BYTES, "hashes": base64.b64encode(packed.tobytes()).decode("ascii")}


def _read_set(path: Path, key: bytes) -> FingerprintSet:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        raise ConfigError(f"{path}: not a valid fingerprint file (unreadable or not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT or data.get("version") != _VERSION:
        raise ConfigError(f"{path}: not a veil fingerprint file (version {_VERSION})")
    if data.get("key_id") != _key_id(key):
        raise ConfigError(f"{path}: made with another key than {path.parent / KEY_FILE}")
    try:
        raw = base64.b64decode(data["hashes"], validate=True)
        if data["hash_bytes"] != HASH_BYTES or len(raw) % HASH_BYTES:
            raise ValueError("hash size")
        hashes = array("Q", raw)
        if sys.byteorder == "little":
            hashes.byteswap()
        return FingerprintSet(str(data["name"]), str(data["created"]), int(data["rows"]),
                              [str(c) for c in data["columns"]], str(data.get("source", "")), hashes)
    except (KeyError, TypeError, ValueError, binascii.Error):
        raise ConfigError(f"{path}: not a valid fingerprint file (a field is missing or malformed)") from None


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


_REMEDIATION = (
    "This file holds rows of a dataset registered as sensitive. Remove it (and purge it from the git history "
    "if it was committed), keep the data in the Veil vault, and tell the dataset's owner. If the overlap is "
    "expected, remove the fingerprint (veil scan fingerprint remove NAME) or add the file to .veilignore.")


def fingerprint_findings(matches: Iterable[FingerprintMatch], relative_path: str) -> list[ScanFinding]:
    """One critical finding per registered dataset that ``relative_path`` shares rows with."""
    rule = "known_sensitive_dataset"
    findings = []
    for match in matches:
        sampled = f"all {match.sampled_rows:,}" if match.complete else f"{match.sampled_rows:,} sampled"
        message = (f"{match.shared_rows:,} of {sampled} rows ({match.share:.0%}) are rows of the sensitive "
                   f'dataset "{match.name}" ({match.registered_rows:,} rows fingerprinted)')
        extra: dict[str, object] = {"dataset": match.name, "shared_rows": match.shared_rows,
                                    "sampled_rows": match.sampled_rows, "share": round(match.share, 4),
                                    "registered_rows": match.registered_rows, "complete": match.complete}
        findings.append(ScanFinding(
            rule=rule, kind=Kind.FINGERPRINT, severity=Severity.CRITICAL, path=relative_path, line=0,
            column=0, message=message, remediation=_REMEDIATION.replace("NAME", match.name),
            fingerprint=file_fingerprint(rule, relative_path, match.name), extra=extra))
    return findings
