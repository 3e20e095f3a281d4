"""Key-encryption keys (KEKs) by version, and the deployment's signing key.

KEKs wrap per-subject data keys (``wrap_key``); rotating creates a new current
version, and destroying an old one makes every data key wrapped under it unreadable.
"""

from __future__ import annotations

import base64
from typing import Protocol

from veil.crypto._aead import KEY_SIZE, Aead, derive_key, new_key
from veil.crypto._signing import Ed25519Signer
from veil.errors import ConfigError, IntegrityError, InvalidInput, NotFound

_ENV_ROTATION = "environment keys rotate by setting a new version in VEIL_KEK"


class KeyProvider(Protocol):
    """Versioned KEKs plus the deployment's signing key (receipts, tree heads)."""

    def current_version(self) -> int: ...

    def versions(self) -> list[int]:
        """Live versions, ascending."""
        ...

    def kek(self, version: int) -> Aead:
        """The KEK of ``version``; ``NotFound`` when absent or destroyed."""
        ...

    def create_version(self) -> int:
        """Make a new version current and return it."""
        ...

    def destroy_version(self, version: int) -> None:
        """Forget ``version`` for good; ``IntegrityError`` if current, ``NotFound`` if unknown."""
        ...

    def signer(self) -> Ed25519Signer: ...


def _unavailable(version: int) -> NotFound:
    return NotFound(f"key-encryption key version {version} is not available")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("not a base64 string")
    return base64.b64decode(text, validate=True)


class _KekTable:
    """KEKs held in memory by version, the highest current, and a signing key."""

    _keks: dict[int, Aead]
    _current: int
    _signer: Ed25519Signer

    def __repr__(self) -> str:
        return f"{type(self).__name__}(current={self._current}, versions={self.versions()})"

    def current_version(self) -> int:
        return self._current

    def versions(self) -> list[int]:
        return sorted(self._keks)

    def kek(self, version: int) -> Aead:
        if version not in self._keks:
            raise _unavailable(version)
        return self._keks[version]

    def signer(self) -> Ed25519Signer:
        return self._signer


class InMemoryKeyProvider(_KekTable):
    """KEKs that live and die with the process: for tests and throwaway vaults."""

    def __init__(self) -> None:
        self._keks = {1: Aead(new_key())}
        self._current = 1
        self._signer = Ed25519Signer.generate()

    def create_version(self) -> int:
        self._current += 1
        self._keks[self._current] = Aead(new_key())
        return self._current

    def destroy_version(self, version: int) -> None:
        if version == self._current:
            raise IntegrityError(f"key-encryption key version {version} is current: rotate first")
        if self._keks.pop(version, None) is None:
            raise _unavailable(version)


def _env_keys(value: str) -> dict[int, bytes]:
    """Parse ``"1:<base64>,2:<base64>"``; errors name the entry, never its value."""
    keys: dict[int, bytes] = {}
    entries = value.split(",") if isinstance(value, str) and value.strip() else []
    if not entries:
        raise ConfigError("VEIL_KEK is empty: set it to '1:<base64 of 32 random bytes>'")
    for position, entry in enumerate(entries, start=1):
        version, _, material = entry.strip().partition(":")
        try:
            number, key = int(version), _unb64(material.strip())
        except ValueError:
            number, key = 0, b""
        if number < 1 or len(key) != KEY_SIZE or number in keys:
            raise ConfigError(f"VEIL_KEK entry {position} must be '<version>:<base64 of 32 bytes>', "
                              "with versions unique and positive")
        keys[number] = key
    return keys


class EnvKeyProvider(_KekTable):
    """KEKs given by the environment (``VEIL_KEK``), as parsed by config; the highest version is current.

    Without ``signing_seed`` the signing key is derived from the current KEK, so it
    changes when a new version is added: set a seed where signatures must outlive rotation.
    """

    def __init__(self, value: str, *, signing_seed: str | None = None) -> None:
        keys = _env_keys(value)
        self._current = max(keys)
        self._keks = {version: Aead(key) for version, key in keys.items()}
        if signing_seed is None:
            seed = derive_key(keys[self._current], "signing")
        else:
            try:
                seed = _unb64(signing_seed.strip())
            except (AttributeError, ValueError):
                seed = b""
            if len(seed) != KEY_SIZE:
                raise ConfigError("VEIL_SIGNING_SEED must be the base64 of 32 bytes")
        self._signer = Ed25519Signer(seed)

    def create_version(self) -> int:
        raise ConfigError(_ENV_ROTATION)

    def destroy_version(self, version: int) -> None:
        raise ConfigError(_ENV_ROTATION)


def generate_env_key(version: int = 1) -> str:
    """A fresh ``VEIL_KEK`` entry, ``"<version>:<base64>"``; join entries with commas."""
    if not isinstance(version, int) or version < 1:
        raise InvalidInput("version must be a positive integer")
    return f"{version}:{_b64(new_key())}"
