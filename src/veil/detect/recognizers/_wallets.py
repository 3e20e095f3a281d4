"""Cryptocurrency wallet addresses: Bitcoin, Litecoin and Ethereum.

Base58check and bech32 addresses carry strong checksums, so a valid one is
reported alone. Ethereum addresses are 40 hex digits; only their mixed-case
form (EIP-55) has a checksum, and checking it needs Keccak-256, which the
standard library lacks: it is used when pycryptodome happens to be installed.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable, Sequence

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: index for index, char in enumerate(_B58_ALPHABET)}

#: Version bytes of pay-to-pubkey-hash and pay-to-script-hash addresses:
#: Bitcoin 0x00 ("1") and 0x05 ("3"), Litecoin 0x30 ("L") and 0x32 ("M").
_B58_VERSIONS = frozenset({0x00, 0x05, 0x30, 0x32})

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {char: index for index, char in enumerate(_BECH32_CHARSET)}
_BECH32_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32_CONST = 1  # BIP-173, witness version 0
_BECH32M_CONST = 0x2BC830A3  # BIP-350, witness versions 1-16
_SEGWIT_HRPS = frozenset({"bc", "ltc"})


def _b58decode(text: str) -> bytes | None:
    value = 0
    for char in text:
        index = _B58_INDEX.get(char)
        if index is None:
            return None
        value = value * 58 + index
    zeros = len(text) - len(text.lstrip("1"))  # each leading "1" is a zero byte
    return b"\x00" * zeros + value.to_bytes((value.bit_length() + 7) // 8, "big")


def base58check_address(text: str) -> bool:
    """A 25-byte payload with a known version and its double-SHA-256 checksum."""
    raw = _b58decode(text)
    if raw is None or len(raw) != 25 or raw[0] not in _B58_VERSIONS:
        return False
    digest = hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()
    return digest[:4] == raw[21:]


def _polymod(values: Sequence[int]) -> int:
    """The BCH checksum of BIP-173 over 5-bit groups."""
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_BECH32_GENERATOR):
            if (top >> bit) & 1:
                check ^= generator
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _program_bytes(groups: Sequence[int]) -> bytes | None:
    """Regroup 5-bit values into bytes; leftover padding must be under 5 zero bits."""
    acc, bits, out = 0, 0, bytearray()
    for value in groups:
        acc = acc << 5 | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append(acc >> bits & 0xFF)
    if bits >= 5 or acc & ((1 << bits) - 1):
        return None
    return bytes(out)


def segwit_address(text: str) -> bool:
    """BIP-173/350: checksum by witness version, then the program length rules."""
    if text != text.lower() and text != text.upper():
        return False
    hrp, _, data_part = text.lower().rpartition("1")
    data = [_BECH32_INDEX.get(c, -1) for c in data_part]
    if hrp not in _SEGWIT_HRPS or len(data) < 7 or -1 in data:
        return False
    version = data[0]
    const = _polymod(_hrp_expand(hrp) + data)
    if version > 16 or const != (_BECH32_CONST if version == 0 else _BECH32M_CONST):
        return False
    program = _program_bytes(data[1:-6])
    if program is None or not 2 <= len(program) <= 40:
        return False
    return version != 0 or len(program) in (20, 32)


def bitcoin_address(text: str) -> bool:
    return base58check_address(text) or segwit_address(text)


def _load_keccak() -> Callable[[bytes], bytes] | None:
    """Keccak-256 from pycryptodome when installed; Veil does not depend on it."""
    try:
        keccak = importlib.import_module("Crypto.Hash.keccak")
    except ImportError:
        return None

    def digest(data: bytes) -> bytes:
        return bytes(keccak.new(digest_bits=256, data=data).digest())

    return digest


#: Replaced in tests; None when no Keccak-256 implementation is importable.
_keccak256: Callable[[bytes], bytes] | None = _load_keccak()

_ETH_PLAIN = 0.6  # no case checksum to confirm it: context words lift it
_ETH_CHECKED = 0.95


def eip55_checksum_ok(hex_digits: str, keccak256: Callable[[bytes], bytes]) -> bool:
    """EIP-55: a letter is upper case exactly when its nibble of the hash is 8 or more."""
    nibbles = keccak256(hex_digits.lower().encode("ascii")).hex()
    for char, nibble in zip(hex_digits, nibbles, strict=False):
        if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
            return False
    return True


def _ethereum_spans(candidate: str) -> list[tuple[int, int, float]]:
    body = candidate[2:]
    if len(set(body)) < 2:  # the zero address and other fillers name no one
        return []
    if body in (body.lower(), body.upper()):
        return [(0, len(candidate), _ETH_PLAIN)]
    keccak = _keccak256
    if keccak is None:
        return [(0, len(candidate), _ETH_PLAIN)]
    if not eip55_checksum_ok(body, keccak):
        return []
    return [(0, len(candidate), _ETH_CHECKED)]


_CONTEXT = ("wallet", "address", "crypto", "cryptocurrency", "send", "receive", "deposit",
            "withdraw", "payment", "donate", "donation")
_NEGATIVE = ("hash", "txid", "tx", "txn", "transaction hash", "tx hash", "commit", "digest",
             "sha", "sha1", "checksum", "block")

BITCOIN = Recognizer(
    name="bitcoin_address",
    entity=Entity.CRYPTO,
    patterns=(
        # Kept out of Hyperscan: combined with the other patterns, this long repeat over a
        # class that covers digit runs made the shared database scan superlinearly.
        Pattern("base58check", r"(?<![A-Za-z0-9])[13LM][1-9A-HJ-NP-Za-km-z]{25,33}(?![A-Za-z0-9])", 0.9,
                prefilter=False),
        # v0 key hash (42 chars) to v1 taproot and v0 script hash (62 chars).
        Pattern("bech32_lower", r"(?<![A-Za-z0-9])(?:bc|ltc)1[02-9ac-hj-np-z]{39,59}"
                r"(?![A-Za-z0-9])", 0.9),
        Pattern("bech32_upper", r"(?<![A-Za-z0-9])(?:BC|LTC)1[02-9AC-HJ-NP-Z]{39,59}"
                r"(?![A-Za-z0-9])", 0.9),
    ),
    validator=bitcoin_address,
    context=(*_CONTEXT, "bitcoin", "btc", "litecoin", "ltc", "segwit", "taproot"),
    priority=88,
)

ETHEREUM = Recognizer(
    name="ethereum_address",
    entity=Entity.CRYPTO,
    patterns=(
        Pattern("eth_hex", r"(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![A-Za-z0-9])", _ETH_PLAIN),
    ),
    refine=_ethereum_spans,
    context=(*_CONTEXT, "eth", "ethereum", "ether", "erc20", "erc-20", "metamask", "usdt",
             "usdc", "polygon", "bsc"),
    negative_context=_NEGATIVE,
    priority=88,
)

RECOGNIZERS: tuple[Recognizer, ...] = (BITCOIN, ETHEREUM)
