"""``LocalKeyring``: KEKs in a 0600 JSON file, optionally wrapped by a KMS root key."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from veil.crypto._aead import KEY_SIZE, Aead, new_key
from veil.crypto._providers import _b64, _unavailable, _unb64
from veil.crypto._remote import RootKeyWrapper
from veil.crypto._signing import Ed25519Signer
from veil.errors import ConfigError, IntegrityError

_FORMAT = "veil-keyring/1"


@dataclass
class _Document:
    """The keyring file: stored (possibly root-wrapped) material, never decrypted here."""

    current: int
    keys: dict[int, dict[str, str]]
    signing: str
    root: str | None
    destroyed: list[int] = field(default_factory=list)

    @classmethod
    def parse(cls, raw: Any) -> _Document:
        keys = {int(v): {"material": str(k["material"]), "created": str(k["created"])}
                for v, k in raw["keys"].items()}
        document = cls(int(raw["current"]), keys, raw["signing"], raw["root"],
                       sorted(int(v) for v in raw["destroyed"]))
        if raw["format"] != _FORMAT or document.current not in keys or not isinstance(document.signing, str) \
                or not isinstance(document.root, str | None):
            raise ValueError("inconsistent keyring")
        return document

    def dump(self) -> bytes:
        return json.dumps({
            "format": _FORMAT, "current": self.current,
            "keys": {str(v): self.keys[v] for v in sorted(self.keys)},
            "destroyed": self.destroyed, "signing": self.signing, "root": self.root,
        }, indent=2).encode("utf-8")


def _kek_context(version: int) -> bytes:
    return f"veil/keyring/kek/{version}".encode()


_SIGNING_CONTEXT = b"veil/keyring/signing"


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalKeyring:
    """KEKs in a 0600 JSON file, optionally wrapped by a KMS root key; safe for several processes.

    Every change takes ``<path>.lock``, re-reads the file and replaces it atomically.
    A destroyed version's bytes may linger in freed disk blocks: wrap with a ``root``
    key where destruction must be final at the storage level too.
    """

    def __init__(self, path: Path, *, root: RootKeyWrapper | None = None) -> None:
        self._path = Path(path)
        self._root = root
        self._keks: dict[int, Aead] = {}
        self._signer: Ed25519Signer | None = None
        self._stamp: tuple[int, ...] = ()
        with _locked(self._path):
            self._document = self._reload()

    @classmethod
    def open(cls, path: Path, *, root: RootKeyWrapper | None = None) -> LocalKeyring:
        return cls(path, root=root)

    @classmethod
    def create(cls, path: Path, *, root: RootKeyWrapper | None = None) -> LocalKeyring:
        path = Path(path)
        if not path.parent.is_dir():
            raise ConfigError(f"keyring folder {path.parent} does not exist: create it first")
        material, seed = new_key(), Ed25519Signer.generate().seed()
        document = _Document(1, {1: {"material": _seal(root, material, _kek_context(1)), "created": _now()}},
                             _seal(root, seed, _SIGNING_CONTEXT), root.name if root else None)
        with _locked(path):
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise ConfigError(f"keyring {path} already exists: open it instead") from None
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(document.dump())
                handle.flush()
                os.fsync(handle.fileno())
            _fsync_dir(path.parent)
        return cls(path, root=root)

    def __repr__(self) -> str:
        return f"LocalKeyring(path={str(self._path)!r}, root={self._document.root!r})"

    def current_version(self) -> int:
        return self._fresh().current

    def versions(self) -> list[int]:
        return sorted(self._fresh().keys)

    def kek(self, version: int) -> Aead:
        if version not in self._fresh().keys:
            with _locked(self._path):  # another process may have rotated within one timestamp tick
                self._reload()
            if version not in self._document.keys:
                raise _unavailable(version)
        return self._keks[version]

    def signer(self) -> Ed25519Signer:
        assert self._signer is not None  # set by the first load
        return self._signer

    def create_version(self) -> int:
        with _locked(self._path):
            document = self._reload()
            version = max([*document.keys, *document.destroyed]) + 1
            material = new_key()
            document.keys[version] = {"material": _seal(self._root, material, _kek_context(version)),
                                      "created": _now()}
            document.current = version
            self._write(document)
            self._keks[version] = Aead(material)
        return version

    def destroy_version(self, version: int) -> None:
        with _locked(self._path):
            document = self._reload()
            if version == document.current:
                raise IntegrityError(f"key-encryption key version {version} is current: rotate first")
            if version not in document.keys:
                raise _unavailable(version)
            del document.keys[version]
            document.destroyed = sorted({*document.destroyed, version})
            self._write(document)
            self._keks.pop(version, None)

    def _fresh(self) -> _Document:
        """The document, re-read when another process has replaced the file since our last look."""
        try:
            changed = _stamp(os.stat(self._path)) != self._stamp
        except OSError:
            changed = True
        if changed:
            with _locked(self._path):
                self._document = self._reload()
        return self._document

    def _reload(self) -> _Document:
        raw, self._stamp = self._read()
        try:
            document = _Document.parse(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ConfigError(f"keyring {self._path} is not a valid {_FORMAT} file") from None
        wanted = self._root.name if self._root else None
        if document.root != wanted:
            raise ConfigError(f"keyring {self._path} is wrapped by root key {document.root!r}, "
                              f"not {wanted!r}: open it with the root key it was created with")
        self._keks = {v: self._keks.get(v) or Aead(self._unseal(k["material"], _kek_context(v)))
                      for v, k in document.keys.items()}
        if self._signer is None:
            self._signer = Ed25519Signer(self._unseal(document.signing, _SIGNING_CONTEXT))
        self._document = document
        return document

    def _read(self) -> tuple[Any, tuple[int, ...]]:
        try:
            descriptor = os.open(self._path, os.O_RDONLY)
        except FileNotFoundError:
            missing = f"keyring {self._path} does not exist: run `veil init` in the project folder"
            raise ConfigError(missing) from None
        with os.fdopen(descriptor, "rb") as handle:
            status = os.fstat(handle.fileno())
            if status.st_mode & 0o077:
                raise ConfigError(f"keyring {self._path} is readable by group or others: "
                                  f"chmod 600 {self._path}")
            try:
                return json.loads(handle.read()), _stamp(status)
            except (UnicodeDecodeError, ValueError):
                raise ConfigError(f"keyring {self._path} is not valid JSON") from None

    def _unseal(self, stored: str, context: bytes) -> bytes:
        try:
            material = _unb64(stored)
        except ValueError:
            raise ConfigError(f"keyring {self._path} is not a valid {_FORMAT} file") from None
        material = self._root.decrypt(material, context) if self._root else material
        if len(material) != KEY_SIZE:
            raise ConfigError(f"keyring {self._path} holds a key that is not {KEY_SIZE} bytes")
        return material

    def _write(self, document: _Document) -> None:
        """Write a 0600 temp file beside the keyring, fsync it, then swap it in atomically."""
        descriptor, temporary = tempfile.mkstemp(dir=self._path.parent, prefix=f".{self._path.name}.")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(document.dump())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self._path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _fsync_dir(self._path.parent)
        self._document, self._stamp = document, _stamp(os.stat(self._path))


def _seal(root: RootKeyWrapper | None, material: bytes, context: bytes) -> str:
    return _b64(root.encrypt(material, context) if root else material)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stamp(status: os.stat_result) -> tuple[int, ...]:
    # os.replace gives the keyring a new inode, so any writer's change shows here.
    return (status.st_ino, status.st_mtime_ns, status.st_size)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on ``<path>.lock``; the lock file is never removed, or flock would not hold."""
    descriptor = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
