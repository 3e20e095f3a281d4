"""Checks behind the secret recognizers: checksums, decodes, entropy, placeholders.

Each check takes the candidate text and returns True for a real secret. None
raises: a candidate that cannot be decoded is simply not a secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
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
    "%(", "$(", "replace_with", "replace-with", "_here", "-here", "todo", "do_not_use",
    "do-not-use", "notreal", "not_real", "not-a-real", "12345678", "abcdefgh", "qwerty",
)
# Documented examples that are not marked as such (jwt.io's token, Stripe's and Slack's docs),
# by SHA-256 so the values themselves stay out of the source.
_DOCUMENTED = frozenset({
    "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",
    "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
    "2ddc147f3a3b5a1722b8ed6be3c45c49a7156b17fca5d11410137a6d04def6eb",
})
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


_PLACEHOLDER = re.compile("|".join(map(re.escape, _PLACEHOLDER_WORDS)))
_RUN_OF_EIGHT = re.compile(r"(.)\1{7}", re.DOTALL)


def is_placeholder(text: str) -> bool:
    """Documentation stand-ins: ``<your-key>``, ``${VAR}``, ``xxxx``, ``...EXAMPLE``."""
    if _PLACEHOLDER.search(text.lower()) or is_documented_example(text):
        return True
    return len(set(text)) <= 2 or _RUN_OF_EIGHT.search(text) is not None


def is_documented_example(text: str) -> bool:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() in _DOCUMENTED


def not_placeholder(text: str) -> bool:
    return not is_placeholder(text)


def length_between(low: int, high: int, *, skip: int = 0) -> Validator:
    """Length in ``[low, high]``; past the first ``skip`` characters (a fixed prefix such as
    Twitter's run of ``A``) not a placeholder."""

    def check(text: str) -> bool:
        return low <= len(text) <= high and not is_placeholder(text[skip:])

    check.__name__ = f"length_{low}_{high}"
    return check


def varied(low: int, high: int, *, digits: int = 1, letters: int = 1) -> Validator:
    """Like ``length_between``, with at least ``digits`` digits and ``letters`` letters: for
    formats whose prefix alone is weak (``API-``, ``cio``), a word never passes."""

    def check(text: str) -> bool:
        return (sum(c.isdigit() for c in text) >= digits and sum(c.isalpha() for c in text) >= letters
                and low <= len(text) <= high and not is_placeholder(text))

    check.__name__ = f"varied_{low}_{high}"
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
    if is_documented_example(text):
        return False
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


def crc32_hex_suffix(text: str) -> bool:
    """Atlassian and Bitbucket tokens end in the CRC32 (8 hex digits) of all that precedes it."""
    body, suffix = text[:-8], text[-8:]
    if len(body) < 16 or not all(c in "0123456789abcdefABCDEF" for c in suffix):
        return False
    return zlib.crc32(body.encode("ascii")) == int(suffix, 16) and not_placeholder(body)


def grafana_service_account(text: str) -> bool:
    """``glsa_<32>_<8 hex>``: the CRC32 of ``glsa_<32>``, its four bytes little-endian."""
    key, _, checksum = text.rpartition("_")
    crc = zlib.crc32(key.encode("ascii")).to_bytes(4, "little").hex()
    return len(key) == 37 and checksum == crc and not_placeholder(key)


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit in range(5):
            checksum ^= generator[bit] if (top >> bit) & 1 else 0
    return checksum


def bech32(text: str) -> bool:
    """A Bech32 string (BIP 173) whose checksum holds: age's ``AGE-SECRET-KEY-1...``."""
    lowered = text.lower()
    hrp, separator, data = lowered.rpartition("1")
    if not (hrp and separator and len(data) >= 6) or any(c not in _BECH32 for c in data):
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    return _bech32_polymod(expanded + [_BECH32.index(c) for c in data]) == 1


def _b64_json(segment: str) -> object:
    """``segment`` as base64 (either alphabet) of JSON; None when it is not."""
    try:
        return json.loads(_b64decode(segment.replace("-", "+").replace("_", "/").rstrip("=")))
    except (ValueError, RecursionError):
        return None


def json_payload(prefix: str, *keys: str, end: str = "") -> Validator:
    """After ``prefix`` (and before the last ``end``, when given), base64 of a JSON object
    holding ``keys``: Grafana Cloud, Sentry org, 1Password, Mapbox tokens."""

    def check(text: str) -> bool:
        segment = text[len(prefix):]
        if end:
            segment = segment.rpartition(end)[0]
        if not segment or len(segment) > _MAX_JWT_HEADER * 4:  # bounded nesting, see jwt()
            return False
        payload = _b64_json(segment)
        return isinstance(payload, dict) and all(key in payload for key in keys)

    check.__name__ = f"json_payload_{prefix.strip('_.')}"
    return check


def decodes_to_text(skip: int, prefix: bytes) -> Validator:
    """Base64 after the first ``skip`` characters that decodes to printable ASCII starting with
    ``prefix``: JFrog's ``reftkn:01:...`` and Bedrock's ``BedrockAPIKey-...:secret``."""

    def check(text: str) -> bool:
        body = text[skip:].rstrip("=")
        try:
            decoded = _b64decode(body[: len(body) - len(body) % 4])
        except (ValueError, binascii.Error):
            return False
        printable = all(32 <= byte < 127 for byte in decoded)
        return decoded.startswith(prefix) and printable and b":" in decoded[len(prefix):]

    check.__name__ = "decodes_to_text"
    return check


def discord_bot_token(text: str) -> bool:
    """Its first part is the bot's numeric user id (a snowflake), base64-encoded."""
    user_id = text.split(".", 1)[0]
    try:
        decoded = _b64decode(user_id, urlsafe=True)
    except (ValueError, binascii.Error):
        return False
    return 17 <= len(decoded) <= 20 and decoded.isdigit() and not_placeholder(text)


def pypi_macaroon(text: str) -> bool:
    """``pypi-`` + base64url of a version-2 macaroon: fields, then a 32-byte signature."""
    try:
        data = _b64decode(text[5:], urlsafe=True)
    except (ValueError, binascii.Error):
        return False
    fields = _macaroon_fields(data) if data[:1] == b"\x02" else None
    if not fields or len(fields) < 4 or fields[-1][0] != 6 or len(fields[-1][1]) != 32:
        return False
    kinds = [kind for kind, _ in fields]
    return kinds[-2] == 0 and 2 in kinds[:kinds.index(0)]  # an identifier before the first end


def _macaroon_fields(data: bytes) -> list[tuple[int, bytes]] | None:
    """(type, value) pairs; an end-of-section marker is type 0 with no value."""
    fields: list[tuple[int, bytes]] = []
    at = 1
    while at < len(data):
        kind, at = _varint(data, at)
        if kind == 0:
            fields.append((0, b""))
            continue
        size, at = _varint(data, at)
        if size < 0 or at + size > len(data):
            return None
        fields.append((kind, data[at:at + size]))
        at += size
    return fields


def _varint(data: bytes, at: int) -> tuple[int, int]:
    """An unsigned LEB128 number at ``at`` and the offset after it (-1 when cut off)."""
    value = shift = 0
    while at < len(data) and shift < 64:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7
    return -1, len(data) + 1


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
    """High entropy and mixed characters; not a UUID, stand-in, URL, call, variable, hash,
    image, path or identifier."""
    if is_placeholder(text) or _UUID.fullmatch(text) or "://" in text:
        return False
    if _REFERENCE.fullmatch(text) or _CALL.match(text) or _TYPE.match(text) or _names_a_file(text):
        return False
    if text.startswith(("/", "./", "../", "~/", "$", "data:")) or _NOT_A_SECRET.match(text):
        return False
    if _character_classes(text) < 2 or shannon_entropy(text) < GENERIC_ENTROPY:
        return False
    return not (looks_like_identifier(text) or _is_path(text))  # the costlier tests last


# A type in an annotation, not a value: ``SECRET_KEYS: frozenset[str]``, ``Check = Callable[...]``.
_TYPE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,64}\[[A-Za-z_\[]")
# Integrity hashes (npm ``sha512-``, go.sum ``h1:``, Docker ``sha256:``) and base64 images.
_NOT_A_SECRET = re.compile(
    r"(?i:sha(?:1|224|256|384|512)|md5|h1|blake2[bs]?|xxh(?:32|64))[-:=]"
    r"|iVBORw0KGgo|/9j/|R0lGOD|UklGR|PHN2Zy|[A-Za-z]:[\\/]"
)
# One piece of a name: an acronym, a capitalised or lower-case word, a letter, a number.
_PIECE = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|[0-9]+")
_CONSONANT_RUN = re.compile(r"[^aeiou]{4,}")
_SHORT_WORDS = frozenset(
    "a an as at be by do go id if in io is it me my no of ok on or so to up us we db js ts py rb fn "
    "os ui ux ip vm ci cd qa cfg src tmp pwd ctx msg cls str std lib pkg dst cmd btn img sql mgr svc "
    "req res xml rpc ssl tls jwt dns ssh gpg pgp csv tsv url uri http https sync crypt try dry ttl kms".split()
)


def looks_like_identifier(text: str) -> bool:
    """``get_access_token``, ``passwordResetField``, ``X-Api-Key-Header``: two or more words,
    none of them random (random text breaks into vowel-less or one-letter pieces)."""
    words = _words(re.split(r"[_.:-]+", text))
    return words is not None and words >= 2


def _is_path(text: str) -> bool:
    """``secrets/prod/db-password``, ``..\\keys\\deploy``: separators between word-like parts."""
    if "/" not in text and "\\" not in text:
        return False
    words = 0
    for part in re.split(r"[/\\]+", text):
        if part in ("", ".", ".."):
            continue
        count = _words(re.split(r"[_.:-]+", part.rpartition(".")[0] or part))
        if count is None:
            return False
        words += count
    return words >= 1


def _words(parts: list[str]) -> int | None:
    """How many words ``parts`` hold; None when a piece is not word-like."""
    count = 0
    for part in filter(None, parts):
        pieces = _PIECE.findall(part)
        last = len(pieces) - 1
        if "".join(pieces) != part or sum(p.isdigit() for p in pieces) > 1:
            return None
        if not all(_word_like(p, i, last) for i, p in enumerate(pieces)):
            return None
        count += sum(not piece.isdigit() for piece in pieces)
    return count


def _word_like(piece: str, index: int, last: int) -> bool:
    """A short number after a word (``base64``), an acronym, a lone letter (``X-Api``), a word."""
    if piece.isdigit():
        return len(piece) <= 4 and (index > 0 or index == last)
    if piece.isupper():
        return last == 0 if len(piece) == 1 else len(piece) <= 5
    lowered = piece.lower()
    if len(lowered) <= 2 or lowered in _SHORT_WORDS:
        return lowered in _SHORT_WORDS
    return any(c in "aeiou" for c in lowered) and not _CONSONANT_RUN.search(lowered)


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
