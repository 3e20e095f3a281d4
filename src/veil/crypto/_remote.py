"""Root-key wrappers: a KMS holds the root key and wraps the keyring's KEKs.

KEK material is sent to the KMS only to be wrapped or unwrapped; it is never
stored unwrapped. Errors never carry the upstream's message, which may echo input.
"""

from __future__ import annotations

import base64
import binascii
import importlib
from types import ModuleType
from typing import Any, Protocol

from veil.errors import DecryptionFailed, DependencyMissing, UpstreamError

_VAULT_REFUSED = "HashiCorp Vault transit refused the request"
_KMS_REFUSED = "AWS KMS refused the request"
# KMS codes that mean "this ciphertext does not open under this key and context".
_KMS_REJECTIONS = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


class RootKeyWrapper(Protocol):
    name: str

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes: ...

    def decrypt(self, ciphertext: bytes, context: bytes) -> bytes: ...


def _optional(module: str, extra: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DependencyMissing(extra, what) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _is_vault_rejection(error: Exception) -> bool:
    """Vault answers 400 (hvac's InvalidRequest) when ciphertext or context do not match."""
    try:
        exceptions = importlib.import_module("hvac.exceptions")
    except ImportError:
        return False
    return isinstance(error, exceptions.InvalidRequest)


class VaultTransitWrapper:
    """Wraps with a HashiCorp Vault transit key; ``client`` is an ``hvac.Client``."""

    __slots__ = ("_client", "_key_name", "_mount_point", "name")

    def __init__(self, client: Any, key_name: str, *, mount_point: str = "transit") -> None:
        self._client = client
        self._key_name = key_name
        self._mount_point = mount_point
        self.name = f"vault-transit:{mount_point}/{key_name}"

    @classmethod
    def from_url(cls, url: str, token: str, key_name: str) -> VaultTransitWrapper:
        hvac = _optional("hvac", "hashicorp", "HashiCorp Vault transit")
        return cls(hvac.Client(url=url, token=token), key_name)

    def __repr__(self) -> str:
        return f"VaultTransitWrapper(name={self.name!r})"

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        try:
            response = self._client.secrets.transit.encrypt_data(
                name=self._key_name, plaintext=_b64(plaintext),
                mount_point=self._mount_point, associated_data=_b64(context),
            )
            ciphertext = response["data"]["ciphertext"]
        except Exception:
            raise UpstreamError(_VAULT_REFUSED) from None
        if not isinstance(ciphertext, str):
            raise UpstreamError(_VAULT_REFUSED)
        return ciphertext.encode("utf-8")

    def decrypt(self, ciphertext: bytes, context: bytes) -> bytes:
        try:
            text = ciphertext.decode("utf-8")
        except (AttributeError, UnicodeDecodeError):
            raise DecryptionFailed() from None
        try:
            response = self._client.secrets.transit.decrypt_data(
                name=self._key_name, ciphertext=text,
                mount_point=self._mount_point, associated_data=_b64(context),
            )
            plaintext = response["data"]["plaintext"]
        except Exception as error:
            if _is_vault_rejection(error):
                raise DecryptionFailed() from None
            raise UpstreamError(_VAULT_REFUSED) from None
        try:
            return base64.b64decode(plaintext, validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise UpstreamError(_VAULT_REFUSED) from None


def _kms_error_code(error: Exception) -> object:
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


class AwsKmsWrapper:
    """Wraps with an AWS KMS key; ``client`` is ``boto3.client("kms")``."""

    __slots__ = ("_client", "_key_id", "name")

    def __init__(self, client: Any, key_id: str) -> None:
        self._client = client
        self._key_id = key_id
        self.name = f"aws-kms:{key_id}"

    @classmethod
    def from_region(cls, key_id: str, region: str) -> AwsKmsWrapper:
        boto3 = _optional("boto3", "kms", "AWS KMS")
        return cls(boto3.client("kms", region_name=region), key_id)

    def __repr__(self) -> str:
        return f"AwsKmsWrapper(name={self.name!r})"

    @staticmethod
    def _context(context: bytes) -> dict[str, str]:
        # KMS binds the encryption context as associated data; hex keeps it a plain string.
        return {"veil-context": context.hex()}

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        try:
            response = self._client.encrypt(
                KeyId=self._key_id, Plaintext=plaintext, EncryptionContext=self._context(context),
            )
            blob = response["CiphertextBlob"]
        except Exception:
            raise UpstreamError(_KMS_REFUSED) from None
        if not isinstance(blob, bytes):
            raise UpstreamError(_KMS_REFUSED)
        return blob

    def decrypt(self, ciphertext: bytes, context: bytes) -> bytes:
        try:
            response = self._client.decrypt(
                CiphertextBlob=ciphertext, KeyId=self._key_id, EncryptionContext=self._context(context),
            )
            plaintext = response["Plaintext"]
        except Exception as error:
            if _kms_error_code(error) in _KMS_REJECTIONS:
                raise DecryptionFailed() from None
            raise UpstreamError(_KMS_REFUSED) from None
        if not isinstance(plaintext, bytes):
            raise UpstreamError(_KMS_REFUSED)
        return plaintext
