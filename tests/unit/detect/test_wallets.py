from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from veil.detect import Detector
from veil.detect.recognizers import _wallets

from ._table import assert_linear_time, found

DETECTORS = {
    "hyperscan": Detector(recognizers=_wallets.RECOGNIZERS),
    "re": Detector(recognizers=_wallets.RECOGNIZERS, use_hyperscan=False),
}

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check(version: int, payload: bytes) -> str:
    """Independent encoder for test addresses: version, payload, 4-byte double SHA-256."""
    raw = bytes([version]) + payload
    raw += hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, digit = divmod(number, 58)
        out = B58[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def flip_last(address: str) -> str:
    return address[:-1] + ("2" if address[-1] != "2" else "3")


GENESIS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"  # the first block's reward address
P2SH = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"  # BIP-13 era example
BUILT_P2PKH = base58check(0x00, bytes(range(20)))
LITECOIN = base58check(0x30, bytes(range(1, 21)))
WRONG_VERSION = base58check(0x1E, bytes(range(20)))  # Dogecoin: not recognised
P2WPKH = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173 test vector
TAPROOT = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"  # BIP-350
ETH_LOWER = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"

TABLE = [
    (f"send to {GENESIS} please", [(GENESIS, "CRYPTO")]),
    (P2SH, [(P2SH, "CRYPTO")]),
    (f"addr {BUILT_P2PKH}.", [(BUILT_P2PKH, "CRYPTO")]),
    (f"ltc {LITECOIN}", [(LITECOIN, "CRYPTO")]),
    (f"btc {flip_last(GENESIS)}", []),
    (f"btc {WRONG_VERSION}", []),
    (f"segwit {P2WPKH}", [(P2WPKH, "CRYPTO")]),
    (P2WPKH.upper(), [(P2WPKH.upper(), "CRYPTO")]),
    (f"taproot: {TAPROOT}", [(TAPROOT, "CRYPTO")]),
    (f"bad {P2WPKH[:-1]}5", []),
    ("mixed case bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", []),
    # Ethereum: hex without case carries no checksum, reported at a modest score
    (f"pay {ETH_LOWER}", [(ETH_LOWER, "CRYPTO")]),
    (f"tx hash {ETH_LOWER}", []),
    ("0x" + "0" * 40, []),
    (f"key {ETH_LOWER}00", []),
    ("0x" + "ab" * 32, []),
]


@pytest.mark.parametrize("backend", sorted(DETECTORS))
@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_wallet_table(text: str, expected: list[tuple[str, str]], backend: str) -> None:
    assert found(DETECTORS[backend], text) == expected


BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def segwit(version: int, program: bytes, const: int) -> str:
    """Encode a segwit address with a chosen checksum constant (bech32 or bech32m)."""
    bits = "".join(f"{byte:08b}" for byte in program)
    bits += "0" * (-len(bits) % 5)
    data = [version] + [int(bits[i:i + 5], 2) for i in range(0, len(bits), 5)]
    hrp = [ord(c) >> 5 for c in "bc"] + [0] + [ord(c) & 31 for c in "bc"]
    residue = _wallets._polymod(hrp + data + [0] * 6) ^ const
    checksum = [(residue >> 5 * (5 - i)) & 31 for i in range(6)]
    return "bc1" + "".join(BECH32_CHARSET[v] for v in data + checksum)


BECH32, BECH32M = 1, 0x2BC830A3


@pytest.mark.parametrize(
    ("version", "size", "const", "accepted"),
    [
        (0, 20, BECH32, True),
        (0, 32, BECH32, True),
        (0, 20, BECH32M, False),  # v0 must use bech32
        (1, 32, BECH32M, True),
        (1, 32, BECH32, False),  # v1+ must use bech32m (BIP-350)
        (0, 25, BECH32, False),  # v0 programs are 20 or 32 bytes
    ],
)
def test_segwit_checksum_follows_witness_version(
    version: int, size: int, const: int, accepted: bool,
) -> None:
    address = segwit(version, bytes(range(7, 7 + size)), const)
    assert _wallets.segwit_address(address) is accepted
    assert bool(DETECTORS["re"].detect(f"btc {address}")) is accepted


def test_lowercase_ethereum_address_rises_with_context() -> None:
    plain = DETECTORS["re"].detect(ETH_LOWER)
    with_context = DETECTORS["re"].detect(f"my ethereum wallet {ETH_LOWER}")
    assert plain[0].score == pytest.approx(0.6)
    assert with_context[0].score > 0.9


def checksum_case(hex_digits: str, keccak: Callable[[bytes], bytes]) -> str:
    """EIP-55 casing computed the test's own way, for a given hash function."""
    nibbles = keccak(hex_digits.encode()).hex()
    return "".join(c.upper() if int(n, 16) >= 8 else c for c, n in zip(hex_digits, nibbles,
                                                                           strict=False))


def _stand_in_hash(data: bytes) -> bytes:
    # SHA3-256 is not Keccak-256, but it exercises the casing rule deterministically.
    return hashlib.sha3_256(data).digest()


def test_mixed_case_ethereum_address_is_checked_when_keccak_is_available(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_wallets, "_keccak256", _stand_in_hash)
    good = "0x" + checksum_case(ETH_LOWER[2:], _stand_in_hash)
    bad = "0x" + good[2:].swapcase()
    assert good[2:] not in (good[2:].lower(), good[2:].upper())
    assert [f.score for f in DETECTORS["re"].detect(good)] == [0.95]
    assert DETECTORS["hyperscan"].detect(bad) == []


def test_mixed_case_ethereum_address_scores_plain_without_keccak(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_wallets, "_keccak256", None)
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert [f.score for f in DETECTORS["re"].detect(address)] == [0.6]


def test_eip55_vectors_with_real_keccak() -> None:
    pytest.importorskip("Crypto.Hash.keccak")
    assert _wallets._keccak256 is not None
    for address in ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"):
        assert _wallets.eip55_checksum_ok(address[2:], _wallets._keccak256)
        assert not _wallets.eip55_checksum_ok(address[2:].swapcase(), _wallets._keccak256)


ADVERSARIAL_UNITS = {
    "digits": "1",
    "letters": "a",
    "hex_prefix": "0x",
    "base58": "1A",
    "bech32": "bc1q",
}
@pytest.mark.slow
@pytest.mark.parametrize("backend", sorted(DETECTORS))
@pytest.mark.parametrize("name", sorted(ADVERSARIAL_UNITS))
def test_two_megabyte_single_line_takes_linear_time(name: str, backend: str) -> None:
    assert_linear_time(DETECTORS[backend], ADVERSARIAL_UNITS[name])
