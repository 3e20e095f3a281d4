"""Checks behind the secret recognizers: checksums, decodes, entropy, placeholders.

Each check takes the candidate text and returns True for a real secret. None
raises: a candidate that cannot be decoded is simply not a secret.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib
from collections import Counter
from urllib.parse import unquote

from veil.detect._recognizer import Validator

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Words that mark a value as a stand-in in docs, templates and tests.
_PLACEHOLDER_WORDS = (
    "example", "placeholder", "changeme", "change_me", "change-me", "your_", "your-", "yourkey",
    "yourtoken", "yoursecret", "yourpassword", "dummy", "redacted", "replace_me", "replaceme",
    "insert_", "insert-", "fake_", "fake-", "sample", "xxxx", "****", "....", "<", "${", "{{",
    "%(", "$(",
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Where a secret lives, not the secret: process.env.DB_PASS, DB_PASSWORD, $TOKEN, %PASS%.
_REFERENCE = re.compile(
    r"(?:process|os|env|config|settings|self|this|secrets|vars|params|ctx|context|options|opts"
    r"|conf|app|cfg)\.[A-Za-z0-9_.\[\]()]{1,128}"
    r"|[A-Z][A-Z0-9]{0,64}(?:_[A-Z0-9]{1,64}){1,8}|\$[A-Za-z_][A-Za-z0-9_]{0,128}"
    r"|%[A-Za-z_][A-Za-z0-9_]{0,128}%"
)
_FILE_EXTENSIONS = frozenset(
    "pem key json yaml yml txt p12 pfx crt cer env ini cfg conf toml jks keystore".split()
)
# A function call, not a value: getpass.getpass(, vault.read(.
_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,64}\(")
_PASSWORD_PARAM = re.compile(r"(?i)(?:^|[;&?:])\s?(?:password|pwd)\s?=\s?([^;&]{1,200})")
_ORACLE_THIN = re.compile(r"thin:[^/@:]{1,64}/([^@]{1,128})@")
_CONNECTION_PLACEHOLDERS = frozenset({"password", "pass", "passwd", "pwd", "secret", "pw"})

_MAX_JWT_HEADER = 4096

#: Minimum Shannon entropy (bits per character) of a generic secret value.
GENERIC_ENTROPY = 3.0
#: 40 random base64 characters score about 4.8; below 4.1 in fewer than 1 in 100,000.
AWS_ENTROPY = 4.1


def shannon_entropy(text: str) -> float:
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def is_placeholder(text: str) -> bool:
    """Documentation stand-ins: ``<your-key>``, ``${VAR}``, ``xxxx``, ``...EXAMPLE``."""
    lowered = text.lower()
    if any(word in lowered for word in _PLACEHOLDER_WORDS):
        return True
    return len(set(text)) <= 2 or _longest_run(text) >= 8


def _longest_run(text: str) -> int:
    longest = run = 0
    previous = ""
    for char in text:
        run = run + 1 if char == previous else 1
        previous = char
        longest = max(longest, run)
    return longest


def not_placeholder(text: str) -> bool:
    return not is_placeholder(text)


def length_between(low: int, high: int) -> Validator:
    """Length in ``[low, high]`` and not a placeholder."""

    def check(text: str) -> bool:
        return low <= len(text) <= high and not is_placeholder(text)

    check.__name__ = f"length_{low}_{high}"
    return check


def base62_crc32(text: str) -> bool:
    """GitHub / npm token format: ``prefix_`` + 30 random chars + base62 CRC32 (6 chars)."""
    body = text[text.rindex("_") + 1:] if "_" in text else text
    if len(body) != 36 or not body.isascii() or not body.isalnum():
        return False
    return _base62(zlib.crc32(body[:30].encode("ascii")), 6) == body[30:]


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, remainder = divmod(number, 62)
        digits = _BASE62[remainder] + digits
    return digits.rjust(width, "0")


def github_token(text: str) -> bool:
    """Fine-grained ``github_pat_`` tokens carry no public checksum; the others do."""
    if text.startswith("github_pat_"):
        return not_placeholder(text)
    return base62_crc32(text)


def jwt(text: str) -> bool:
    """The header must decode (base64url) to a JSON object naming its ``alg``."""
    header = text.split(".", 1)[0]
    if len(header) > _MAX_JWT_HEADER:  # real headers are short; deep nesting could recurse
        return False
    try:
        decoded = json.loads(_b64decode(header, urlsafe=True))
    except (ValueError, RecursionError):
        return False
    return isinstance(decoded, dict) and isinstance(decoded.get("alg"), str)


def _b64decode(text: str, *, urlsafe: bool = False) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    if urlsafe:
        return base64.urlsafe_b64decode(padded)
    return base64.b64decode(padded, validate=True)


def decodes_to(text: str, sizes: tuple[int, ...]) -> bool:
    """Standard base64 (URL-quoted or not) that decodes to one of ``sizes`` bytes."""
    try:
        return len(_b64decode(unquote(text).rstrip("="))) in sizes
    except (ValueError, binascii.Error):
        return False


def azure_key(text: str) -> bool:
    """Storage account keys are 64 bytes, SAS and shared access signatures 32."""
    return decodes_to(text, (32, 64)) and not_placeholder(text)


def pem_block(text: str) -> bool:
    """A key body of at least 64 base64 characters between the armour lines."""
    body = re.sub(r"-----[A-Z0-9 ]{1,64}-----", "", text)
    return len(re.findall(r"[A-Za-z0-9+/]", body)) >= 64 and "xxxx" not in body.lower()


def aws_secret_key(text: str) -> bool:
    """Random base64: upper, lower and digit (git SHAs have no capitals), high entropy."""
    return (any(c.isupper() for c in text) and any(c.islower() for c in text)
            and any(c.isdigit() for c in text) and shannon_entropy(text) >= AWS_ENTROPY
            and not_placeholder(text))


def connection_string(text: str) -> bool:
    """A password is present and is not a stand-in like ``${DB_PASSWORD}`` or ``password``."""
    password = _connection_password(text)
    if not password or password.lower() in _CONNECTION_PLACEHOLDERS:
        return False
    return not is_placeholder(password) and not _REFERENCE.fullmatch(password)


def _connection_password(text: str) -> str:
    match = _PASSWORD_PARAM.search(text) or _ORACLE_THIN.search(text)
    if match:
        return match.group(1).strip().strip("'\"{}")
    authority = re.split(r"[/?#]", text.partition("://")[2], maxsplit=1)[0]
    credentials, at, _ = authority.rpartition("@")
    _, colon, password = credentials.partition(":")
    return password if at and colon else ""


def generic_secret(text: str) -> bool:
    """High entropy and mixed characters; not a UUID, stand-in, URL, call or variable."""
    if is_placeholder(text) or _UUID.fullmatch(text) or "://" in text:
        return False
    if _REFERENCE.fullmatch(text) or _CALL.match(text) or _names_a_file(text):
        return False
    if text.startswith(("/", "./", "../", "~/", "$")):
        return False
    return _character_classes(text) >= 2 and shannon_entropy(text) >= GENERIC_ENTROPY


def _names_a_file(text: str) -> bool:
    """keys/private.pem, C:\\certs\\app.pfx, service-account.json: where a secret is kept."""
    name = re.split(r"[/\\]", text)[-1]
    stem, dot, extension = name.rpartition(".")
    if not (dot and stem and extension.isalpha() and len(extension) <= 5):
        return False
    return name != text or extension.lower() in _FILE_EXTENSIONS


def _character_classes(text: str) -> int:
    return sum((any(c.islower() for c in text), any(c.isupper() for c in text),
                any(c.isdigit() for c in text), any(not c.isalnum() for c in text)))
