from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from veil.crypto import Aead, AwsKmsWrapper, LocalKeyring, VaultTransitWrapper, new_key
from veil.errors import DecryptionFailed, DependencyMissing, UpstreamError

CONTEXT = b"veil/keyring/kek/1"
LEAK = "upstream said: secret-token-abc and plaintext 4539148803436467"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class FakeTransit:
    """The two hvac transit calls, doing real AES-GCM so a wrong context fails like Vault does."""

    def __init__(self) -> None:
        self._keys: dict[str, Aead] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_with: Exception | None = None

    def encrypt_data(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("encrypt", params))
        if self.fail_with:
            raise self.fail_with
        aead = self._keys.setdefault(f"{params['mount_point']}/{params['name']}", Aead(new_key()))
        sealed = aead.seal(base64.b64decode(params["plaintext"]), base64.b64decode(params["associated_data"]))
        return {"data": {"ciphertext": "vault:v1:" + _b64(sealed), "key_version": 1}}

    def decrypt_data(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("decrypt", params))
        if self.fail_with:
            raise self.fail_with
        hvac_exceptions = pytest.importorskip("hvac.exceptions")
        aead = self._keys[f"{params['mount_point']}/{params['name']}"]
        try:
            plaintext = aead.open(base64.b64decode(params["ciphertext"].removeprefix("vault:v1:")),
                                  base64.b64decode(params["associated_data"]))
        except DecryptionFailed:
            raise hvac_exceptions.InvalidRequest("cipher: message authentication failed " + LEAK) from None
        return {"data": {"plaintext": _b64(plaintext)}}


@pytest.fixture
def transit() -> FakeTransit:
    pytest.importorskip("hvac")
    return FakeTransit()


def _vault(transit: FakeTransit, **options: Any) -> VaultTransitWrapper:
    return VaultTransitWrapper(SimpleNamespace(secrets=SimpleNamespace(transit=transit)), "veil-root", **options)


def _assert_clean(error: BaseException, expected: str) -> None:
    assert str(error) == expected
    assert LEAK not in str(error)
    assert error.__cause__ is None
    assert error.__suppress_context__


# HashiCorp Vault transit


def test_vault_wrapper_round_trips_and_sends_base64_plaintext_and_context(transit: FakeTransit) -> None:
    wrapper, key = _vault(transit), new_key()
    wrapped = wrapper.encrypt(key, CONTEXT)
    assert wrapped.startswith(b"vault:v1:")
    assert wrapper.decrypt(wrapped, CONTEXT) == key
    (_, encrypt), (_, decrypt) = transit.calls
    assert encrypt == {"name": "veil-root", "plaintext": _b64(key), "mount_point": "transit",
                       "associated_data": _b64(CONTEXT)}
    assert decrypt == {"name": "veil-root", "ciphertext": wrapped.decode(), "mount_point": "transit",
                       "associated_data": _b64(CONTEXT)}


def test_vault_wrapper_uses_the_given_mount_point(transit: FakeTransit) -> None:
    wrapper = _vault(transit, mount_point="veil-transit")
    assert wrapper.decrypt(wrapper.encrypt(b"k" * 32, CONTEXT), CONTEXT) == b"k" * 32
    assert {params["mount_point"] for _, params in transit.calls} == {"veil-transit"}
    assert wrapper.name == "vault-transit:veil-transit/veil-root"


def test_vault_ciphertext_under_another_context_fails_to_decrypt(transit: FakeTransit) -> None:
    wrapper = _vault(transit)
    wrapped = wrapper.encrypt(b"k" * 32, CONTEXT)
    with pytest.raises(DecryptionFailed) as caught:
        wrapper.decrypt(wrapped, b"veil/keyring/kek/2")
    _assert_clean(caught.value, "decryption failed")


def test_vault_ciphertext_that_is_not_text_fails_to_decrypt(transit: FakeTransit) -> None:
    with pytest.raises(DecryptionFailed):
        _vault(transit).decrypt(b"\xff\xfe", CONTEXT)
    assert transit.calls == []


@pytest.mark.parametrize("operation", ["encrypt", "decrypt"])
def test_vault_client_errors_become_upstream_errors_without_their_message(
    transit: FakeTransit, operation: str
) -> None:
    hvac_exceptions = pytest.importorskip("hvac.exceptions")
    wrapper = _vault(transit)
    wrapped = wrapper.encrypt(b"k" * 32, CONTEXT)
    for failure in [ConnectionError(LEAK), hvac_exceptions.Forbidden(LEAK), KeyError(LEAK)]:
        transit.fail_with = failure
        with pytest.raises(UpstreamError) as caught:
            getattr(wrapper, operation)(wrapped if operation == "decrypt" else b"k" * 32, CONTEXT)
        _assert_clean(caught.value, "HashiCorp Vault transit refused the request")


def test_vault_malformed_responses_are_upstream_errors() -> None:
    class Broken:
        def encrypt_data(self, **params: Any) -> dict[str, Any]:
            return {"data": {"ciphertext": 42}}

        def decrypt_data(self, **params: Any) -> dict[str, Any]:
            return {"data": {"plaintext": "not*base64"}}

    wrapper = VaultTransitWrapper(SimpleNamespace(secrets=SimpleNamespace(transit=Broken())), "k")
    with pytest.raises(UpstreamError):
        wrapper.encrypt(b"k" * 32, CONTEXT)
    with pytest.raises(UpstreamError):
        wrapper.decrypt(b"vault:v1:abc", CONTEXT)


def test_vault_from_url_builds_an_hvac_client_for_that_server(monkeypatch: pytest.MonkeyPatch) -> None:
    hvac = pytest.importorskip("hvac")
    made: list[dict[str, str]] = []

    def fake_client(**kwargs: str) -> object:
        made.append(kwargs)
        return object()

    monkeypatch.setattr(hvac, "Client", fake_client)
    wrapper = VaultTransitWrapper.from_url("https://vault.internal:8200", "s.token-value", "veil-root")
    assert made == [{"url": "https://vault.internal:8200", "token": "s.token-value"}]
    assert wrapper.name == "vault-transit:transit/veil-root"
    assert "s.token-value" not in repr(wrapper)


def test_vault_from_url_without_hvac_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hvac", None)
    with pytest.raises(DependencyMissing) as caught:
        VaultTransitWrapper.from_url("http://127.0.0.1:1", "token", "veil-root")
    assert caught.value.extra == "hashicorp"
    assert "pip install 'veil[hashicorp]'" in str(caught.value)


def test_a_keyring_wrapped_by_vault_transit_reopens_through_it(transit: FakeTransit, tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    sealed = LocalKeyring.create(path, root=_vault(transit)).kek(1).seal(b"data key", b"ad")
    document = json.loads(path.read_bytes())
    assert base64.b64decode(document["keys"]["1"]["material"]).startswith(b"vault:v1:")
    assert document["root"] == "vault-transit:transit/veil-root"
    assert LocalKeyring.open(path, root=_vault(transit)).kek(1).open(sealed, b"ad") == b"data key"
    contexts = {base64.b64decode(params["associated_data"]) for _, params in transit.calls}
    assert contexts == {b"veil/keyring/kek/1", b"veil/keyring/signing"}


# AWS KMS

KEY_ID = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_CONTEXT = {"veil-context": CONTEXT.hex()}


@pytest.fixture
def kms() -> Any:
    boto3 = pytest.importorskip("boto3")
    stub = pytest.importorskip("botocore.stub")
    client = boto3.client("kms", region_name="eu-west-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    with stub.Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_kms_encrypt_sends_the_key_plaintext_and_hex_context(kms: Any) -> None:
    client, stubber = kms
    stubber.add_response("encrypt", {"CiphertextBlob": b"wrapped-blob", "KeyId": KEY_ID},
                         {"KeyId": KEY_ID, "Plaintext": b"k" * 32, "EncryptionContext": KMS_CONTEXT})
    assert AwsKmsWrapper(client, KEY_ID).encrypt(b"k" * 32, CONTEXT) == b"wrapped-blob"


def test_kms_decrypt_sends_the_blob_key_and_hex_context(kms: Any) -> None:
    client, stubber = kms
    stubber.add_response("decrypt", {"Plaintext": b"k" * 32, "KeyId": KEY_ID},
                         {"CiphertextBlob": b"wrapped-blob", "KeyId": KEY_ID, "EncryptionContext": KMS_CONTEXT})
    assert AwsKmsWrapper(client, KEY_ID).decrypt(b"wrapped-blob", CONTEXT) == b"k" * 32


@pytest.mark.parametrize("code", ["InvalidCiphertextException", "IncorrectKeyException"])
def test_kms_rejected_ciphertext_is_decryption_failed(kms: Any, code: str) -> None:
    client, stubber = kms
    stubber.add_client_error("decrypt", service_error_code=code, service_message=LEAK, http_status_code=400)
    with pytest.raises(DecryptionFailed) as caught:
        AwsKmsWrapper(client, KEY_ID).decrypt(b"wrapped-blob", CONTEXT)
    _assert_clean(caught.value, "decryption failed")


@pytest.mark.parametrize(("operation", "code"), [("encrypt", "AccessDeniedException"),
                                                 ("encrypt", "KMSInternalException"),
                                                 ("decrypt", "KMSInvalidStateException"),
                                                 ("decrypt", "ThrottlingException")])
def test_kms_other_errors_are_upstream_errors_without_their_message(kms: Any, operation: str, code: str) -> None:
    client, stubber = kms
    stubber.add_client_error(operation, service_error_code=code, service_message=LEAK, http_status_code=500)
    with pytest.raises(UpstreamError) as caught:
        getattr(AwsKmsWrapper(client, KEY_ID), operation)(b"k" * 32, CONTEXT)
    _assert_clean(caught.value, "AWS KMS refused the request")


def test_kms_from_region_builds_a_client_for_that_region() -> None:
    pytest.importorskip("boto3")
    wrapper = AwsKmsWrapper.from_region(KEY_ID, "eu-central-1")
    assert wrapper._client.meta.region_name == "eu-central-1"
    assert repr(wrapper) == f"AwsKmsWrapper(name='aws-kms:{KEY_ID}')"


def test_kms_from_region_without_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(DependencyMissing) as caught:
        AwsKmsWrapper.from_region(KEY_ID, "eu-west-1")
    assert caught.value.extra == "kms"
