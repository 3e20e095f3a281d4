from __future__ import annotations

import base64
import json
import multiprocessing
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Canary
from veil.crypto import (
    Aead,
    Ed25519Signer,
    EnvKeyProvider,
    InMemoryKeyProvider,
    KeyProvider,
    LocalKeyring,
    derive_key,
    generate_env_key,
    new_key,
    verify_signature,
)
from veil.errors import ConfigError, DecryptionFailed, IntegrityError, InvalidInput, NotFound

AD = b"subject/42"


class FakeRoot:
    """A root-key wrapper doing real AES-GCM locally, counting its decryptions."""

    def __init__(self, name: str = "fake-root") -> None:
        self.name = name
        self._aead = Aead(new_key())
        self.decrypts = 0

    def encrypt(self, plaintext: bytes, context: bytes) -> bytes:
        return self._aead.seal(plaintext, context)

    def decrypt(self, ciphertext: bytes, context: bytes) -> bytes:
        self.decrypts += 1
        return self._aead.open(ciphertext, context)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


ProviderFactory = Callable[[Path], KeyProvider]
ROTATING: dict[str, ProviderFactory] = {
    "memory": lambda _: InMemoryKeyProvider(),
    "keyring": lambda tmp: LocalKeyring.create(tmp / "keyring.json"),
    "keyring-with-root": lambda tmp: LocalKeyring.create(tmp / "keyring.json", root=FakeRoot()),
}


@pytest.fixture(params=sorted(ROTATING))
def provider(request: pytest.FixtureRequest, tmp_path: Path) -> KeyProvider:
    return ROTATING[request.param](tmp_path)


def test_a_provider_starts_at_version_one_and_rotation_keeps_old_versions_readable(
    provider: KeyProvider,
) -> None:
    assert (provider.current_version(), provider.versions()) == (1, [1])
    sealed = provider.kek(1).seal(b"data key", AD)
    assert provider.create_version() == 2
    assert (provider.current_version(), provider.versions()) == (2, [1, 2])
    assert provider.kek(1).open(sealed, AD) == b"data key"
    with pytest.raises(DecryptionFailed):
        provider.kek(2).open(sealed, AD)


def test_destroying_an_old_version_makes_it_unavailable(provider: KeyProvider) -> None:
    provider.create_version()
    provider.destroy_version(1)
    assert provider.versions() == [2]
    with pytest.raises(NotFound, match="key-encryption key version 1 is not available"):
        provider.kek(1)
    with pytest.raises(NotFound):
        provider.destroy_version(1)
    assert provider.create_version() == 3


def test_the_current_version_cannot_be_destroyed(provider: KeyProvider) -> None:
    with pytest.raises(IntegrityError):
        provider.destroy_version(1)
    assert provider.kek(1).open(provider.kek(1).seal(b"k", AD), AD) == b"k"


def test_unknown_versions_are_not_found(provider: KeyProvider) -> None:
    with pytest.raises(NotFound, match="version 9 is not available"):
        provider.kek(9)
    with pytest.raises(NotFound):
        provider.destroy_version(9)


def test_the_signer_signs_and_stays_the_same(provider: KeyProvider) -> None:
    signer = provider.signer()
    assert verify_signature(signer.public_key(), b"head", signer.sign(b"head"))
    provider.create_version()
    assert provider.signer().public_key() == signer.public_key()


def test_in_memory_provider_repr_shows_versions_only() -> None:
    assert repr(InMemoryKeyProvider()) == "InMemoryKeyProvider(current=1, versions=[1])"


# LocalKeyring


def test_keyring_file_is_0600_and_holds_the_documented_format(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    LocalKeyring.create(path)
    assert _mode(path) == 0o600
    document = json.loads(path.read_bytes())
    assert document["format"] == "veil-keyring/1"
    assert (document["current"], document["destroyed"], document["root"]) == (1, [], None)
    assert len(base64.b64decode(document["keys"]["1"]["material"])) == 32
    assert document["keys"]["1"]["created"].startswith("20")
    assert len(base64.b64decode(document["signing"])) == 32


def test_reopening_a_keyring_gives_the_same_keys(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    first = LocalKeyring.create(path)
    sealed = first.kek(1).seal(b"data key", AD)
    again = LocalKeyring.open(path)
    assert again.kek(1).open(sealed, AD) == b"data key"
    assert again.signer().public_key() == first.signer().public_key()


def test_keyring_stays_0600_after_rotate_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring.create(path)
    keyring.create_version()
    keyring.destroy_version(1)
    assert _mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json", "keyring.json.lock"]
    assert _mode(tmp_path / "keyring.json.lock") == 0o600


def test_create_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    path.write_text("{}")
    with pytest.raises(ConfigError, match="already exists"):
        LocalKeyring.create(path)
    assert path.read_text() == "{}"


def test_create_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        LocalKeyring.create(tmp_path / "nowhere" / "keyring.json")


def test_open_of_a_missing_keyring_says_how_to_create_one(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    with pytest.raises(ConfigError) as caught:
        LocalKeyring.open(path)
    assert str(path) in str(caught.value)
    assert "veil init" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_a_keyring_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keyring.json"
    LocalKeyring.create(path)
    os.chmod(path, mode)
    with pytest.raises(ConfigError) as caught:
        LocalKeyring.open(path)
    assert str(caught.value) == f"keyring {path} is readable by group or others: chmod 600 {path}"


MALFORMED = [
    b"not json CANARY",
    b'{"format": "veil-keyring/1", "note": "CANARY"}',
    b'{"format": "other/1", "current": 1, "keys": {"1": {"material": "CANARY", "created": "x"}},'
    b' "destroyed": [], "signing": "", "root": null}',
    b'{"format": "veil-keyring/1", "current": 2, "keys": {"1": {"material": "CANARY", "created": "x"}},'
    b' "destroyed": [], "signing": "", "root": null}',
    b'{"format": "veil-keyring/1", "current": 1, "keys": {"1": {"material": "CANARY", "created": "x"}},'
    b' "destroyed": [], "signing": "", "root": null}',
    b"[1, 2, 3]",
    b"\xff\xfe CANARY",
]


@pytest.mark.parametrize("content", MALFORMED)
def test_a_malformed_keyring_names_the_file_not_the_content(
    tmp_path: Path, content: bytes, canary_pii: Canary
) -> None:
    path = tmp_path / "keyring.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(descriptor, content.replace(b"CANARY", canary_pii.email.encode()))
    os.close(descriptor)
    with pytest.raises(ConfigError) as caught:
        LocalKeyring.open(path)
    assert str(path) in str(caught.value)
    canary_pii.assert_absent(str(caught.value))


def test_destroy_removes_the_material_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring.create(path)
    old_material = json.loads(path.read_bytes())["keys"]["1"]["material"]
    keyring.create_version()
    keyring.destroy_version(1)
    raw = path.read_bytes()
    assert old_material.encode() not in raw
    assert base64.b64decode(old_material) not in raw
    assert json.loads(raw)["destroyed"] == [1]
    with pytest.raises(NotFound):
        keyring.kek(1)
    with pytest.raises(NotFound):
        LocalKeyring.open(path).kek(1)


def test_two_keyrings_on_one_file_see_each_others_changes(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    first = LocalKeyring.create(path)
    second = LocalKeyring.open(path)
    assert first.create_version() == 2
    assert second.current_version() == 2
    assert second.versions() == [1, 2]
    assert second.kek(2).open(first.kek(2).seal(b"k", AD), AD) == b"k"
    second.destroy_version(1)
    with pytest.raises(NotFound):
        first.kek(1)
    assert second.create_version() == 3
    assert first.create_version() == 4


def _rotate(path: str, times: int) -> list[int]:
    keyring = LocalKeyring.open(Path(path))
    return [keyring.create_version() for _ in range(times)]


def test_concurrent_rotations_from_several_processes_lose_no_version(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    LocalKeyring.create(path)
    with multiprocessing.get_context("fork").Pool(4) as pool:
        made = pool.starmap(_rotate, [(str(path), 5)] * 4)
    assert sorted(v for versions in made for v in versions) == list(range(2, 22))
    assert LocalKeyring.open(path).versions() == list(range(1, 22))


def test_keyring_repr_shows_no_key_material(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    keyring = LocalKeyring.create(path)
    document = json.loads(path.read_bytes())
    text = repr(keyring)
    assert document["keys"]["1"]["material"] not in text
    assert document["signing"] not in text
    assert str(path) in text


def test_a_root_wrapped_keyring_stores_only_wrapped_material(tmp_path: Path) -> None:
    path, root = tmp_path / "keyring.json", FakeRoot()
    keyring = LocalKeyring.create(path, root=root)
    sealed = keyring.kek(1).seal(b"data key", AD)
    document = json.loads(path.read_bytes())
    assert document["root"] == "fake-root"
    # 12-byte nonce + 32 bytes + 16-byte tag: wrapped, not raw.
    assert len(base64.b64decode(document["keys"]["1"]["material"])) == 60
    assert len(base64.b64decode(document["signing"])) == 60
    assert LocalKeyring.open(path, root=root).kek(1).open(sealed, AD) == b"data key"


def test_a_root_wrapped_keyring_decrypts_each_key_once(tmp_path: Path) -> None:
    path, root = tmp_path / "keyring.json", FakeRoot()
    writer = LocalKeyring.create(path, root=root)
    root.decrypts = 0
    reader = LocalKeyring.open(path, root=root)
    assert root.decrypts == 2  # KEK version 1 and the signing seed
    for _ in range(5):
        reader.kek(1)
    writer.create_version()
    reader.kek(2)
    assert root.decrypts == 3


def test_a_wrapped_material_is_bound_to_its_version(tmp_path: Path) -> None:
    path, root = tmp_path / "keyring.json", FakeRoot()
    LocalKeyring.create(path, root=root).create_version()
    document = json.loads(path.read_bytes())
    document["keys"]["2"]["material"] = document["keys"]["1"]["material"]
    path.write_text(json.dumps(document))
    with pytest.raises(DecryptionFailed):
        LocalKeyring.open(path, root=root)


@pytest.mark.parametrize(("created_with", "opened_with"), [(None, "fake-root"), ("fake-root", None),
                                                           ("fake-root", "other-root")])
def test_a_keyring_opens_only_with_the_root_it_was_created_with(
    tmp_path: Path, created_with: str | None, opened_with: str | None
) -> None:
    path = tmp_path / "keyring.json"
    LocalKeyring.create(path, root=FakeRoot(created_with) if created_with else None)
    with pytest.raises(ConfigError, match="root key"):
        LocalKeyring.open(path, root=FakeRoot(opened_with) if opened_with else None)


def test_a_keyring_with_another_root_key_of_the_same_name_fails_to_decrypt(tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    LocalKeyring.create(path, root=FakeRoot())
    with pytest.raises(DecryptionFailed):
        LocalKeyring.open(path, root=FakeRoot())


# EnvKeyProvider


def test_env_provider_parses_versions_and_makes_the_highest_current() -> None:
    one, two = new_key(), new_key()
    provider = EnvKeyProvider(f" 2:{_b64(two)} , 1:{_b64(one)}")
    assert (provider.current_version(), provider.versions()) == (2, [1, 2])
    assert provider.kek(1).open(Aead(one).seal(b"k", AD), AD) == b"k"
    assert provider.kek(2).open(Aead(two).seal(b"k", AD), AD) == b"k"
    with pytest.raises(NotFound):
        provider.kek(3)


def test_env_provider_derives_the_signer_from_the_current_kek_unless_given_a_seed() -> None:
    one, two, seed = new_key(), new_key(), new_key()
    value = f"1:{_b64(one)},2:{_b64(two)}"
    derived = EnvKeyProvider(value).signer().public_key()
    assert derived == Ed25519Signer(derive_key(two, "signing")).public_key()
    assert EnvKeyProvider(value).signer().public_key() == derived
    given = EnvKeyProvider(value, signing_seed=_b64(seed)).signer()
    assert given.public_key() == Ed25519Signer(seed).public_key()


def test_env_provider_does_not_rotate() -> None:
    provider = EnvKeyProvider(generate_env_key())
    with pytest.raises(ConfigError, match="VEIL_KEK"):
        provider.create_version()
    with pytest.raises(ConfigError, match="VEIL_KEK"):
        provider.destroy_version(1)
    assert provider.versions() == [1]


SECRET = _b64(b"s" * 32)


@pytest.mark.parametrize(
    "value",
    ["", "   ", "garbage-value-xyz", f"1:{SECRET}x", "1:not*base64*at*all", f"1:{_b64(b's' * 16)}",
     f"0:{SECRET}", f"-1:{SECRET}", f"one:{SECRET}", f"1:{SECRET},1:{SECRET}", f"1:{SECRET},", SECRET],
)
def test_a_bad_env_value_names_veil_kek_and_never_echoes_the_value(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EnvKeyProvider(value)
    message = str(caught.value)
    assert "VEIL_KEK" in message
    assert SECRET not in message
    assert not value.strip() or value.strip() not in message


@pytest.mark.parametrize("seed", ["", "not*base64", _b64(b"s" * 16), SECRET + "x"])
def test_a_bad_signing_seed_is_refused_without_echo(seed: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EnvKeyProvider(generate_env_key(), signing_seed=seed)
    assert not seed or seed not in str(caught.value)


def test_generate_env_key_makes_a_value_the_provider_accepts() -> None:
    value = generate_env_key(3)
    version, _, material = value.partition(":")
    assert version == "3"
    assert len(base64.b64decode(material, validate=True)) == 32
    assert generate_env_key() != generate_env_key()
    assert EnvKeyProvider(f"{generate_env_key()},{value}").current_version() == 3
    with pytest.raises(InvalidInput):
        generate_env_key(0)


def test_env_provider_repr_shows_no_key_material() -> None:
    value = generate_env_key()
    text = repr(EnvKeyProvider(value))
    assert value.partition(":")[2] not in text
    assert text == "EnvKeyProvider(current=1, versions=[1])"
