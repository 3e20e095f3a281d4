"""Fake credentials for scanner tests, made at run time (a literal would trip push protection)."""

from __future__ import annotations

import random
import string
import zlib

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
RNG = random.Random(61)


def github_token() -> str:
    """A ``ghp_`` token with a valid CRC32 suffix, as GitHub issues them."""
    body = "".join(RNG.choice(_BASE62) for _ in range(30))
    number, suffix = zlib.crc32(body.encode()), ""
    while number:
        number, rest = divmod(number, 62)
        suffix = _BASE62[rest] + suffix
    return "ghp_" + body + suffix.rjust(6, "0")


def aws_pair() -> tuple[str, str]:
    key_id = "AKIA" + "".join(RNG.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    secret = "".join(RNG.choice(string.ascii_letters + string.digits + "+/") for _ in range(40))
    return key_id, secret
