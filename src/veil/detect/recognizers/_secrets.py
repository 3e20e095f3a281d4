"""Credentials: provider tokens, private keys, connection strings, generic secrets.

Provider tokens are found by their documented prefixes and checked where the
format allows (GitHub and npm CRC32, JWT headers, base64 key sizes). Every
pattern starts behind a lookbehind of its own character class, or at a prefix
its body cannot contain, so a match never restarts inside a run it already
scanned (linear time on ``re``).

Repeats that follow a literal prefix keep a minimum of 24 or less, with exact
lengths left to the validator: Hyperscan scans a prefix that recurs inside a
longer minimum repeat (``AIza`` * N) at a few microseconds per byte.
"""

from __future__ import annotations

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer, Validator
from veil.detect.recognizers import _secret_checks as check

_PROVIDER = 95
_B64URL = "A-Za-z0-9_-"


def _token(name: str, entity: Entity, *patterns: Pattern,
           validator: Validator | None = check.not_placeholder,
           context: tuple[str, ...] = ()) -> Recognizer:
    return Recognizer(name, entity, patterns, validator=validator, context=context,
                      priority=_PROVIDER)


def _bounded(regex: str, chars: str = _B64URL) -> str:
    """``regex`` standing alone: no character of its class on either side."""
    return rf"(?<![{chars}]){regex}(?![{chars}])"


_AWS_ID = r"(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASCA|ACCA|APKA|ABIA|A3T[A-Z0-9])[A-Z0-9]{16}"
_AWS_40 = r"[A-Za-z0-9/+]{40}"
# Between a key id and its secret in a CSV row, a credentials dump or an env line.
_PAIR_GAP = r"[\s\"',:;|=]{1,12}"

AWS_ACCESS_KEY = _token(
    "aws_access_key", Entity.AWS_ACCESS_KEY,
    Pattern("aws_key_id", _bounded(_AWS_ID, "A-Za-z0-9"), 0.9),
    context=("aws", "access key", "access_key_id", "key id"),
)

# The rest of the key id's line and up to two more, then ``label: ``, ``export LABEL=`` or
# ``"label": "`` (YAML, env, JSON): lines hold no newline, so the search from one id is bounded.
_NEXT_LINES = r"(?:[^\n]{0,100}\n){1,3}?[ \t]{0,16}[A-Za-z0-9_.\"' -]{0,48}[:=][ \t\"']{0,4}"

AWS_SECRET_KEY_PAIR = _token(
    "aws_secret_key_pair", Entity.AWS_SECRET_KEY,
    Pattern("aws_secret_after_id",
            rf"(?<![A-Za-z0-9]){_AWS_ID}{_PAIR_GAP}(?P<secret>{_AWS_40})(?![A-Za-z0-9/+=])",
            0.9, group="secret"),
    Pattern("aws_secret_near_id",
            rf"(?<![A-Za-z0-9]){_AWS_ID}(?![A-Za-z0-9]){_NEXT_LINES}(?P<secret>{_AWS_40})"
            r"(?![A-Za-z0-9/+=])", 0.9, group="secret"),
    validator=check.aws_secret_key,
)

AWS_SECRET_KEY = Recognizer(
    "aws_secret_key", Entity.AWS_SECRET_KEY,
    (Pattern("aws_secret_labelled", _bounded(_AWS_40, "A-Za-z0-9/+="), 0.6),),
    validator=check.aws_secret_key,
    # Not "aws" alone: any 40-character path near the word would pass.
    context=("aws_secret_access_key", "aws_secret_key", "aws_secret", "aws secret",
             "secret_access_key", "secretaccesskey", "secret access key",
             "awssecretaccesskey", "awssecretkey"),  # camelCase: awsSecretAccessKey
    requires_context=True,
    priority=_PROVIDER,
    context_window=(64, 24),
)

GCP_API_KEY = _token(
    "gcp_api_key", Entity.GCP_API_KEY,
    Pattern("google_api_key", _bounded(r"AIza[0-9A-Za-z_-]{24,40}"), 0.95),
    validator=check.length_between(39, 39),
)

AZURE_KEY = _token(
    "azure_key", Entity.AZURE_KEY,
    Pattern("azure_account_key",
            r"(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey)="
            r"(?P<key>[A-Za-z0-9+/]{42,86}={0,2})(?![A-Za-z0-9+/=])", 0.9, group="key"),
    Pattern("azure_sas_signature",
            r"[?&;]sig=(?P<key>[A-Za-z0-9%+/]{43,120}={0,2})(?![A-Za-z0-9%+/=])", 0.85,
            group="key"),
    validator=check.azure_key,
    context=("azure", "accountname", "core.windows.net", "sas", "sv"),
)

GITHUB_TOKEN = _token(
    "github_token", Entity.GITHUB_TOKEN,
    Pattern("github_classic", _bounded(r"gh[pousr]_[A-Za-z0-9]{36}", "A-Za-z0-9_"), 0.95),
    Pattern("github_fine_grained",
            _bounded(r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}", "A-Za-z0-9_"), 0.95),
    validator=check.github_token,
)

_GITLAB_BODY = r"-[A-Za-z0-9_-]{20,80}(?:\.[A-Za-z0-9_-]{2,20}){0,2}"
GITLAB_TOKEN = _token(
    "gitlab_token", Entity.GITLAB_TOKEN,
    # Two short prefix lists: a long alternation here makes Hyperscan scan slowly.
    Pattern("gitlab_access",
            _bounded(rf"gl(?:pat|dt|rt|ptt|ft){_GITLAB_BODY}"), 0.95),
    Pattern("gitlab_other",
            _bounded(rf"gl(?:oas|cbt|soat|imt|agent){_GITLAB_BODY}"), 0.95),
)

SLACK_TOKEN = _token(
    "slack_token", Entity.SLACK_TOKEN,
    Pattern("slack_api_token",
            r"(?<![A-Za-z0-9_.-])(?:xoxe\.)?x(?:ox[abposre]|app)-[0-9]{1,16}-[0-9A-Za-z-]{8,250}"
            r"(?![A-Za-z0-9-])", 0.95),
    Pattern("slack_webhook",
            r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/"
            r"[A-Za-z0-9_/]{20,160}(?![A-Za-z0-9_/])", 0.95),
)

STRIPE_KEY = _token(
    "stripe_key", Entity.STRIPE_KEY,
    Pattern("stripe_secret", _bounded(r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{20,247}",
                                      "A-Za-z0-9_"), 0.95),
)

TWILIO_KEY = _token(
    "twilio_key", Entity.TWILIO_KEY,
    Pattern("twilio_api_key", _bounded(r"SK[0-9a-f]{32}", "A-Za-z0-9"), 0.8),
    Pattern("twilio_token_after_sid",
            rf"(?<![A-Za-z0-9])AC[0-9a-f]{{32}}{_PAIR_GAP}(?P<token>[0-9a-f]{{32}})(?![A-Za-z0-9])",
            0.9, group="token"),
    context=("twilio",),
)

TWILIO_AUTH_TOKEN = Recognizer(
    "twilio_auth_token", Entity.TWILIO_KEY,
    (Pattern("twilio_labelled", _bounded(r"[0-9a-f]{32}", "A-Za-z0-9"), 0.6),),
    validator=check.not_placeholder,
    context=("twilio",),
    negative_context=("md5", "sha", "hash", "checksum", "digest"),
    requires_context=True,
    priority=_PROVIDER,
)

SENDGRID_KEY = _token(
    "sendgrid_key", Entity.SENDGRID_KEY,
    Pattern("sendgrid", _bounded(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", "A-Za-z0-9_.-"),
            0.95),
)

OPENAI_API_KEY = _token(
    "openai_api_key", Entity.OPENAI_API_KEY,
    Pattern("openai_scoped", _bounded(r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{24,250}"),
            0.95),
    # The legacy form carries "T3BlbkFJ" (base64 of "OpenAI") in its middle.
    Pattern("openai_legacy", _bounded(r"sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}"), 0.95),
    validator=check.length_between(48, 300),
)

ANTHROPIC_API_KEY = _token(
    "anthropic_api_key", Entity.ANTHROPIC_API_KEY,
    Pattern("anthropic",
            _bounded(r"sk-ant-(?:api|admin|oat|ort|sid)[0-9]{2}-[A-Za-z0-9_-]{24,250}"), 0.95),
    validator=check.length_between(45, 300),
)

HUGGINGFACE_TOKEN = _token(
    "huggingface_token", Entity.HUGGINGFACE_TOKEN,
    Pattern("huggingface", _bounded(r"(?:hf_|api_org_)[A-Za-z]{34}", "A-Za-z0-9_"), 0.9),
)

NPM_TOKEN = _token(
    "npm_token", Entity.NPM_TOKEN,
    Pattern("npm_access_token", _bounded(r"npm_[A-Za-z0-9]{36}", "A-Za-z0-9_"), 0.95),
    validator=check.base62_crc32,
)

PYPI_TOKEN = _token(
    "pypi_token", Entity.PYPI_TOKEN,
    # Macaroons whose first caveat names pypi.org or test.pypi.org, base64url-encoded.
    Pattern("pypi_macaroon",
            rf"(?<![{_B64URL}])pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)"
            rf"[{_B64URL}]{{24,}}", 0.95),
    validator=check.pypi_macaroon,
)

JWT = _token(
    "jwt", Entity.JWT,
    # header.payload.signature (JWS), or the five parts of a JWE.
    Pattern("jwt",
            r"(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
            r"(?:\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)?(?![A-Za-z0-9_-])", 0.9),
    validator=check.jwt,
)

_PEM_LABEL = r"(?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
PRIVATE_KEY = Recognizer(
    "private_key", Entity.PRIVATE_KEY,
    (
        # A lone dash may appear in encryption headers (DEK-Info: AES-128-CBC); five end it.
        Pattern("pem_block",
                rf"-----BEGIN {_PEM_LABEL}(?:[^-]|-(?=[A-Za-z0-9])){{1,12000}}"
                rf"-----END {_PEM_LABEL}", 1.0),
        # A pasted key cut off before its END line is still a key.
        Pattern("pem_truncated",
                rf"-----BEGIN {_PEM_LABEL}(?:[A-Za-z0-9+/=\s]|\\[nr]){{64,12000}}", 0.9),
        # PuTTY's .ppk: headers, public lines, then the private lines (one newline between).
        Pattern("putty_private_key",
                r"PuTTY-User-Key-File-[23]: [a-z0-9-]{3,40}\r?\nEncryption: [a-z0-9-]{1,40}\r?\n"
                r"Comment: [^\r\n]{0,200}\r?\nPublic-Lines: [0-9]{1,3}\r?\n"
                r"(?:[A-Za-z0-9+/=]{1,80}\r?\n){1,40}Private-Lines: [0-9]{1,3}\r?\n"
                r"[A-Za-z0-9+/=]{1,80}(?![^\r\n])(?:\r?\n[A-Za-z0-9+/=]{1,80}(?![^\r\n])){0,60}", 1.0),
    ),
    validator=check.pem_block,
    priority=100,
)

GCP_SERVICE_ACCOUNT = Recognizer(
    "gcp_service_account", Entity.PRIVATE_KEY,
    # The PEM in a service-account JSON key file, its newlines escaped; the file's
    # "type" or client e-mail nearby tells it from any other key in JSON.
    (Pattern("gcp_service_account_key",
             r'"private_key"\s{0,4}:\s{0,4}"(?P<key>-----BEGIN PRIVATE KEY-----'
             r"(?:[A-Za-z0-9+/=]|\\n){64,12000}-----END PRIVATE KEY-----)", 1.0, group="key"),),
    validator=check.pem_block,
    context=("service_account", "gserviceaccount.com"),
    requires_context=True,
    priority=101,  # the same span as the PEM block: this rule names where to revoke it
    context_window=(600, 600),
)

_DB_SCHEMES = (
    r"postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|oracle"
    r"|cockroachdb|clickhouse|cassandra|couchdb|neo4j(?:\+s)?|bolt|ldaps?|s?ftp|smtps?|https?"
    r"|nats|kafka"
)
_URL_END = r"(?<![.,;:)\]}])"
_ADO_VALUE = r"[^;\n\"'<>]"
CONNECTION_STRING = Recognizer(
    "connection_string", Entity.CONNECTION_STRING,
    (
        # The whole URL; the validator keeps it only when it carries a password.
        Pattern("url_with_credentials",
                rf"(?<![A-Za-z0-9+.-])(?:{_DB_SCHEMES})(?:\+[a-z0-9]{{1,20}})?://"
                rf"[^\s\"'<>]{{1,1200}}{_URL_END}", 0.9),
        Pattern("jdbc_parameters",
                rf"(?<![A-Za-z0-9])jdbc:[a-z0-9]{{2,20}}:[^\s\"'<>]{{1,1200}}{_URL_END}", 0.9),
        # ADO.NET / ODBC: Server=...;User Id=...;Password=...;
        Pattern("key_value_pairs",
                r"(?i:(?<![A-Za-z0-9])(?:server|data source|host|hostname|address|addr|user id"
                rf"|uid|username|user|database|initial catalog|dbname) ?={_ADO_VALUE}{{1,200}};"
                rf"(?:{_ADO_VALUE}{{0,200}};){{0,12}} ?(?:password|pwd) ?={_ADO_VALUE}{{1,200}}"
                rf"(?:;[^;\n\"'<>=]{{1,64}}={_ADO_VALUE}{{0,200}}){{0,12}};?)", 0.9),
    ),
    validator=check.connection_string,
    priority=92,
)

_KEYWORDS = (
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth[_-]?key"
    r"|auth|credentials?|private[_-]?key|client[_-]?secret|signing[_-]?key|encryption[_-]?key"
    r"|master[_-]?key|session[_-]?key"
)
# camelCase fields: accessToken, clientSecret, dbPassword.
_CAMEL_KEYWORDS = (
    r"Pass(?:word|wd|phrase)?|Pwd|Secret|Token|Api[_-]?Key|Access[_-]?Key|Auth[_-]?Key|Auth"
    r"|Credentials?|Private[_-]?Key|Signing[_-]?Key|Encryption[_-]?Key|Master[_-]?Key"
)
_VALUE = r"(?P<value>[^\s\"'`,;<]{16,256})(?<![)\]}>.:])"
GENERIC_SECRET = Recognizer(
    "generic_secret", Entity.GENERIC_SECRET,
    (
        # key=value, key: value, "key": "value", KEY="value", key := value, key => value
        Pattern("assigned_secret",
                rf"(?:(?<![A-Za-z0-9])(?i:{_KEYWORDS})|(?<=[a-z0-9])(?:{_CAMEL_KEYWORDS}))"
                # A key ending in "_id" names a key (private_key_id, apiKeyId), it holds none.
                rf"(?![a-z])[A-Za-z0-9_.-]{{0,32}}(?<![_-][iI][dD])(?<![a-z]Id)"
                rf"[\"']?\s{{0,4}}(?::=|=>|[:=])\s{{0,4}}[\"'`]?"
                rf"{_VALUE}", 0.7, group="value"),
        Pattern("bearer_credential",
                r"(?<![A-Za-z0-9])(?i:bearer|authorization[\"']?\s{0,4}[:=]\s{0,4}[\"']?basic)"
                rf"\s{{1,4}}{_VALUE}", 0.7, group="value"),
    ),
    validator=check.generic_secret,
    negative_context=("sha", "sha1", "sha256", "sha384", "sha512", "md5", "hash", "hashed",
                      "digest", "integrity", "checksum", "fingerprint", "etag", "example",
                      "sample", "dummy", "fake"),
    priority=30,
)

RECOGNIZERS: tuple[Recognizer, ...] = (
    PRIVATE_KEY, GCP_SERVICE_ACCOUNT, AWS_ACCESS_KEY, AWS_SECRET_KEY_PAIR, AWS_SECRET_KEY, GCP_API_KEY, AZURE_KEY,
    GITHUB_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, STRIPE_KEY, TWILIO_KEY, TWILIO_AUTH_TOKEN,
    SENDGRID_KEY, OPENAI_API_KEY, ANTHROPIC_API_KEY, HUGGINGFACE_TOKEN, NPM_TOKEN, PYPI_TOKEN,
    JWT, CONNECTION_STRING, GENERIC_SECRET,
)
