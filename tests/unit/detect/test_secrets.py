"""Secret recognizers: provider tokens, keys, connection strings, generic secrets.

Every token here is generated from a seeded ``random.Random`` with the format's
real checksum where it has one; none is a real credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import time
import zlib
from urllib.parse import quote

import pytest

from veil.detect import SECRET_ENTITIES, Detector, Entity, detect
from veil.detect.recognizers import _secret_checks, _secrets, _tokens

from ._table import assert_linear_time

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_B64URL = string.ascii_letters + string.digits + "-_"
_B64 = string.ascii_letters + string.digits + "+/"
_HEX = "0123456789abcdef"

RNG = random.Random(20240611)


def _pick(alphabet: str, size: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(size))


def _base62(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number, 62)
        out = _BASE62[rest] + out
    return out.rjust(6, "0")


def checksummed(prefix: str) -> str:
    """GitHub / npm style: 30 random base62 characters then their CRC32 in base62."""
    body = _pick(_BASE62, 30)
    return prefix + body + _base62(zlib.crc32(body.encode()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(header: dict[str, str] | None = None) -> str:
    head = _b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps({"sub": _pick(string.digits, 10), "iat": 1718000000}).encode())
    return f"{head}.{body}.{_b64url(RNG.randbytes(32))}"


def _field(kind: int, value: bytes) -> bytes:
    return bytes([kind, len(value)]) + value  # one-byte varints: every value here is short


def fake_pypi_token(location: bytes = b"pypi.org") -> str:
    """A version-2 macaroon as PyPI issues them: location, identifier, one caveat, signature."""
    caveat = b'{"version":1,"permissions":"user"}'
    macaroon = (b"\x02" + _field(1, location) + _field(2, RNG.randbytes(40)) + b"\x00"
                + _field(2, caveat) + b"\x00" + b"\x00" + _field(6, RNG.randbytes(32)))
    return "pypi-" + _b64url(macaroon)


def fake_pem(label: str = "PRIVATE KEY", headers: str = "") -> str:
    body = base64.b64encode(RNG.randbytes(600)).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {label}-----\n{headers}{lines}\n-----END {label}-----"


AKIA = "AKIA" + _pick(string.ascii_uppercase + "234567", 16)
AWS_SECRET = _pick(string.ascii_uppercase, 8) + _pick(string.digits, 4) + _pick(_B64, 28)
GCP = "AIza" + _pick(_B64URL, 35)
AZURE_ACCOUNT = base64.b64encode(RNG.randbytes(64)).decode()
AZURE_SIG = quote(base64.b64encode(RNG.randbytes(32)).decode(), safe="")
GHP = checksummed("ghp_")
GHS = checksummed("ghs_")
GH_FINE = "github_pat_" + _pick(_BASE62, 22) + "_" + _pick(_BASE62, 59)
GLPAT = "glpat-" + _pick(_B64URL, 20)
GLAGENT = "glagent-" + _pick(_B64URL, 50)
SLACK_BOT = f"xoxb-{_pick(string.digits, 12)}-{_pick(string.digits, 13)}-{_pick(_BASE62, 24)}"
SLACK_HOOK = (f"https://hooks.slack.com/services/T{_pick(string.ascii_uppercase, 8)}"
              f"/B{_pick(string.ascii_uppercase, 10)}/{_pick(_BASE62, 24)}")
STRIPE = "sk_live_" + _pick(_BASE62, 24)
STRIPE_RESTRICTED = "rk_live_" + _pick(_BASE62, 99)
TWILIO_SK = "SK" + _pick(_HEX, 32)
TWILIO_SID = "AC" + _pick(_HEX, 32)
TWILIO_TOKEN = _pick(_HEX, 32)
SENDGRID = f"SG.{_pick(_B64URL, 22)}.{_pick(_B64URL, 43)}"
OPENAI_PROJECT = "sk-proj-" + _pick(_B64URL, 74) + "T3BlbkFJ" + _pick(_B64URL, 74)
OPENAI_LEGACY = "sk-" + _pick(_BASE62, 20) + "T3BlbkFJ" + _pick(_BASE62, 20)
OPENAI_SERVICE = "sk-svcacct-" + _pick(_B64URL, 80)
ANTHROPIC = "sk-ant-api03-" + _pick(_B64URL, 93) + "AA"
ANTHROPIC_ADMIN = "sk-ant-admin01-" + _pick(_B64URL, 93) + "AA"
HF = "hf_" + _pick(string.ascii_letters, 34)
NPM = checksummed("npm_")
PYPI = fake_pypi_token()
PYPI_TEST = fake_pypi_token(b"test.pypi.org")
JWT = fake_jwt()
PEM = fake_pem()
PEM_RSA = fake_pem("RSA PRIVATE KEY")
PEM_ENCRYPTED = fake_pem(
    "RSA PRIVATE KEY",
    "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC," + _pick("0123456789ABCDEF", 32) + "\n\n",
)
PEM_OPENSSH = fake_pem("OPENSSH PRIVATE KEY")
PEM_EC = fake_pem("EC PRIVATE KEY")
PASSWORD = _pick(string.ascii_letters, 10) + _pick(string.digits, 4) + "!" + _pick(_BASE62, 5)
POSTGRES = f"postgres://app:{PASSWORD}@db.internal:5432/prod"
MONGO = f"mongodb+srv://svc:{PASSWORD}@cluster0.mongodb.net/app?retryWrites=true"
REDIS = f"redis://:{PASSWORD}@cache.internal:6379/0"
AMQP = f"amqp://worker:{PASSWORD}@mq.internal/vhost"
JDBC = f"jdbc:sqlserver://db.internal:1433;databaseName=crm;user=sa;password={PASSWORD}"
ADO = f"Server=tcp:db.internal,1433;Database=crm;User Id=sa;Password={PASSWORD};"
GENERIC = _pick(_BASE62, 32)

A = Entity
# (text, [(value, entity), ...]): the values' spans are what the detector must report.
POSITIVE: list[tuple[str, list[tuple[str, Entity]]]] = [
    (f"aws_access_key_id = {AKIA}", [(AKIA, A.AWS_ACCESS_KEY)]),
    (f"aws_secret_access_key = {AWS_SECRET}", [(AWS_SECRET, A.AWS_SECRET_KEY)]),
    (f'"SecretAccessKey": "{AWS_SECRET}"', [(AWS_SECRET, A.AWS_SECRET_KEY)]),
    (f'const awsSecretAccessKey: string = "{AWS_SECRET}";', [(AWS_SECRET, A.AWS_SECRET_KEY)]),
    (f"ci,{AKIA},{AWS_SECRET}", [(AKIA, A.AWS_ACCESS_KEY), (AWS_SECRET, A.AWS_SECRET_KEY)]),
    (f"AWS secret key:\n  {AWS_SECRET}", [(AWS_SECRET, A.AWS_SECRET_KEY)]),
    (f"Secret  access key\t{AWS_SECRET}", [(AWS_SECRET, A.AWS_SECRET_KEY)]),  # a phrase's words gate it
    (f"maps key {GCP} in app.js", [(GCP, A.GCP_API_KEY)]),
    (f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={AZURE_ACCOUNT};"
     "EndpointSuffix=core.windows.net", [(AZURE_ACCOUNT, A.AZURE_KEY)]),
    (f"blob?sv=2022-11-02&sr=b&sp=r&sig={AZURE_SIG}", [(AZURE_SIG, A.AZURE_KEY)]),
    (f"token {GHP} pushed", [(GHP, A.GITHUB_TOKEN)]),
    (f"GH={GHS}", [(GHS, A.GITHUB_TOKEN)]),
    (f"fine-grained {GH_FINE}.", [(GH_FINE, A.GITHUB_TOKEN)]),
    (f"gitlab {GLPAT}", [(GLPAT, A.GITLAB_TOKEN)]),
    (f"GITLAB_AGENT_TOKEN={GLAGENT}", [(GLAGENT, A.GITLAB_TOKEN)]),
    (f"SLACK_BOT={SLACK_BOT}", [(SLACK_BOT, A.SLACK_TOKEN)]),
    (f"post to {SLACK_HOOK} now", [(SLACK_HOOK, A.SLACK_TOKEN)]),
    (f"stripe.api_key = '{STRIPE}'", [(STRIPE, A.STRIPE_KEY)]),
    (f"restricted {STRIPE_RESTRICTED}", [(STRIPE_RESTRICTED, A.STRIPE_KEY)]),
    (f"twilio key {TWILIO_SK}", [(TWILIO_SK, A.TWILIO_KEY)]),
    (f"{TWILIO_SID}:{TWILIO_TOKEN}", [(TWILIO_TOKEN, A.TWILIO_KEY)]),
    (f"TWILIO_AUTH_TOKEN={TWILIO_TOKEN}", [(TWILIO_TOKEN, A.TWILIO_KEY)]),
    (f"SENDGRID_API_KEY={SENDGRID}", [(SENDGRID, A.SENDGRID_KEY)]),
    (f"OPENAI_API_KEY={OPENAI_PROJECT}", [(OPENAI_PROJECT, A.OPENAI_API_KEY)]),
    (f"old key {OPENAI_LEGACY}", [(OPENAI_LEGACY, A.OPENAI_API_KEY)]),
    (f"service {OPENAI_SERVICE}", [(OPENAI_SERVICE, A.OPENAI_API_KEY)]),
    (f"x-api-key: {ANTHROPIC}", [(ANTHROPIC, A.ANTHROPIC_API_KEY)]),
    (f"admin {ANTHROPIC_ADMIN}", [(ANTHROPIC_ADMIN, A.ANTHROPIC_API_KEY)]),
    (f"huggingface-cli login --token {HF}", [(HF, A.HUGGINGFACE_TOKEN)]),
    (f"//registry.npmjs.org/:_authToken={NPM}", [(NPM, A.NPM_TOKEN)]),
    (f"password = {PYPI}", [(PYPI, A.PYPI_TOKEN)]),
    (f"TWINE_PASSWORD={PYPI_TEST}", [(PYPI_TEST, A.PYPI_TOKEN)]),
    (f"Authorization: Bearer {JWT}", [(JWT, A.JWT)]),
    (f"key:\n{PEM}\nend", [(PEM, A.PRIVATE_KEY)]),
    (f"{PEM_RSA}\n", [(PEM_RSA, A.PRIVATE_KEY)]),
    (f"{PEM_ENCRYPTED}\n", [(PEM_ENCRYPTED, A.PRIVATE_KEY)]),
    (f"id_ed25519:\n{PEM_OPENSSH}", [(PEM_OPENSSH, A.PRIVATE_KEY)]),
    (json.dumps({"key": PEM_EC}), [(json.dumps(PEM_EC)[1:-1], A.PRIVATE_KEY)]),
    (f"DATABASE_URL={POSTGRES}", [(POSTGRES, A.CONNECTION_STRING)]),
    (f"uri: {MONGO}", [(MONGO, A.CONNECTION_STRING)]),
    (f"cache {REDIS}.", [(REDIS, A.CONNECTION_STRING)]),
    (f"broker={AMQP}", [(AMQP, A.CONNECTION_STRING)]),
    (f"url={JDBC}", [(JDBC, A.CONNECTION_STRING)]),
    (f'"{ADO}"', [(ADO, A.CONNECTION_STRING)]),
    (f"password={GENERIC}", [(GENERIC, A.GENERIC_SECRET)]),
    (f'{{"client_secret": "{GENERIC}"}}', [(GENERIC, A.GENERIC_SECRET)]),
    (f"DB_PASSWORD='{PASSWORD}'", [(PASSWORD, A.GENERIC_SECRET)]),
    (f"  apiKey: {GENERIC}\n", [(GENERIC, A.GENERIC_SECRET)]),
    (f"const accessToken = `{GENERIC}`;", [(GENERIC, A.GENERIC_SECRET)]),
    (f"auth_token := {GENERIC}", [(GENERIC, A.GENERIC_SECRET)]),
    (f"curl -H 'Authorization: Bearer {GENERIC}'", [(GENERIC, A.GENERIC_SECRET)]),
]

NEGATIVE: list[str] = [
    # documented example keys
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    # 40 base64 characters without AWS context, and a git SHA near "aws"
    f"value {AWS_SECRET} here",
    "aws commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "aws s3 cp data/2024/reports/Quarterly1Summary/abcd s3://bucket",
    # checksums and shapes that fail
    f"token {GHP[:-1]}{'A' if GHP[-1] != 'A' else 'B'}",
    f"npm {NPM[:-1]}{'A' if NPM[-1] != 'A' else 'B'}",
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "xoxb-your-bot-token",
    "sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    f"AIza{GCP[4:]}extra",
    # a JWT-shaped string whose header has no alg, or is not JSON
    f"{fake_jwt({'typ': 'JWT'})}",
    "eyJub3QganNvbg.eyJzdWIiOiIxIn0.c2ln",
    # key material without a body
    "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
    f"-----BEGIN PUBLIC KEY-----\n{AZURE_ACCOUNT}\n-----END PUBLIC KEY-----",
    # connection strings without a password, or with a stand-in
    "postgres://app@db.internal:5432/prod",
    "postgres://user:password@localhost/db",
    "mysql://root:${MYSQL_ROOT_PASSWORD}@db/app",
    "redis://:<password>@cache:6379",
    "Server=db;Database=crm;Trusted_Connection=True;",
    "https://example.org/path?q=1",
    # generic: placeholders, references, low entropy, UUIDs, labelled hashes
    "password=<your-password-here>",
    "api_key: ${API_KEY}",
    "token: '{{ secrets.DEPLOY_TOKEN }}'",
    "password = changeme_changeme_123",
    "secret=xxxxxxxxxxxxxxxxxxxxxxxx",
    "password: ****************",
    "api_key=YOUR_API_KEY_GOES_HERE",
    "password = os.environ.get('DB_PASSWORD')",
    "password: process.env.DATABASE_PASSWORD",
    "token = getpass.getpass(prompt_text)",
    "password=aaaaaaaaaaaaaaaaaaaaaaaa",
    "password: mypasswordisgreat",
    "session_token: 123e4567-e89b-12d3-a456-426614174000",
    "token_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    '"integrity": "sha512-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d"',
    "password_hash = 5f4dcc3b5aa765d61d8327deb882cf99",
    "checksum of secret: d41d8cd98f00b204e9800998ecf8427e",
    "tokenizer: bert-base-multilingual-uncased",
    "private_key_path: keys/private.pem",
    "credentials_file = config/service-account-prod.json",
    "signing_key: C:\\certs\\release-2024.pfx",
    "see https://example.com/reset?token=https://example.com/next",
    "sk_test_example_key_do_not_use",
    "the bearer authentication scheme",
]

SECRETS_ONLY = Detector(recognizers=_secrets.RECOGNIZERS)
SECRETS_RE = Detector(recognizers=_secrets.RECOGNIZERS, use_hyperscan=False)


def expected_spans(text: str, values: list[tuple[str, Entity]]) -> list[tuple[int, int, str]]:
    spans = []
    for value, entity in values:
        start = text.index(value)
        spans.append((start, start + len(value), str(entity)))
    return sorted(spans)


def reported(detector: Detector, text: str) -> list[tuple[int, int, str]]:
    return [(f.start, f.end, str(f.entity)) for f in detector.detect(text)]


def _case_id(case: tuple[str, list[tuple[str, Entity]]]) -> str:
    entities = "+".join(sorted({str(entity) for _, entity in case[1]}))
    return entities.lower()


@pytest.mark.parametrize(("text", "values"), POSITIVE, ids=[_case_id(c) for c in POSITIVE])
@pytest.mark.parametrize("detector", [SECRETS_ONLY, SECRETS_RE], ids=["hyperscan", "re"])
def test_secret_table_reports_exact_spans(
    detector: Detector, text: str, values: list[tuple[str, Entity]]
) -> None:
    assert reported(detector, text) == expected_spans(text, values)


@pytest.mark.parametrize(("text", "values"), POSITIVE, ids=[_case_id(c) for c in POSITIVE])
def test_default_detector_reports_each_secret(text: str, values: list[tuple[str, Entity]]) -> None:
    found = {(f.start, f.end, str(f.entity)) for f in detect(text)}
    for span in expected_spans(text, values):
        assert span in found


@pytest.mark.parametrize("text", NEGATIVE)
@pytest.mark.parametrize("detector", [SECRETS_ONLY, SECRETS_RE], ids=["hyperscan", "re"])
def test_hard_negative_is_not_reported(detector: Detector, text: str) -> None:
    assert reported(detector, text) == []


@pytest.mark.parametrize("text", NEGATIVE[:3])
def test_documented_aws_example_keys_are_never_secrets_in_default_detection(text: str) -> None:
    assert not [f for f in detect(text) if Entity(f.entity).is_secret]


def test_every_secret_entity_has_a_recognizer() -> None:
    covered = {r.entity for r in (*_secrets.RECOGNIZERS, *_tokens.RECOGNIZERS)}
    assert covered == set(A) & {e for e in A if e.is_secret}


def test_github_checksum_matches_generated_tokens() -> None:
    for _ in range(200):
        assert _secret_checks.base62_crc32(checksummed("ghp_"))


def test_github_checksum_rejects_any_single_changed_character() -> None:
    token = checksummed("gho_")
    for index in range(4, len(token)):
        replacement = "0" if token[index] != "0" else "1"
        assert not _secret_checks.base62_crc32(token[:index] + replacement + token[index + 1:])


def test_fine_grained_github_token_needs_no_checksum() -> None:
    assert _secret_checks.github_token(GH_FINE)


def test_jwt_header_must_name_its_algorithm() -> None:
    assert _secret_checks.jwt(JWT)
    assert not _secret_checks.jwt(fake_jwt({"typ": "JWT"}))
    assert not _secret_checks.jwt("eyJhbGciOiJIUzI1NiJ9garbage.x.y")


def test_deeply_nested_jwt_header_is_rejected_without_error() -> None:
    for depth in (1400, 5000):  # under and over the header size limit
        header = _b64url(b'{"alg":' + b"[" * depth + b"]" * depth + b"}")
        assert header.startswith("eyJ")
        assert not _secret_checks.jwt(f"{header}.eyJzdWIiOiIxIn0.c2ln")
        assert reported(SECRETS_ONLY, f"x {header}.eyJzdWIiOiIxIn0.c2ln") == []


def test_shannon_entropy_of_known_strings() -> None:
    assert _secret_checks.shannon_entropy("") == 0.0
    assert _secret_checks.shannon_entropy("aaaa") == 0.0
    assert _secret_checks.shannon_entropy("abcd") == pytest.approx(2.0)
    assert _secret_checks.shannon_entropy(_BASE62) == pytest.approx(5.954, abs=1e-3)


def test_azure_key_must_decode_to_a_key_size() -> None:
    assert _secret_checks.azure_key(AZURE_ACCOUNT)
    assert not _secret_checks.azure_key(base64.b64encode(bytes(48)).decode())


def test_truncated_private_key_is_still_reported() -> None:
    text = "pasted: " + PEM.rsplit("\n", 3)[0]
    spans = reported(SECRETS_ONLY, text)
    assert [(s, e) for s, e, entity in spans if entity == "PRIVATE_KEY"] == [(8, len(text))]


def test_hash_labelled_hex_is_dropped_but_credential_labelled_hex_is_kept() -> None:
    value = _pick(_HEX, 40)
    assert reported(SECRETS_ONLY, f"sha1: {value}") == []
    assert reported(SECRETS_ONLY, f"api_key={value}") == [(8, 48, "GENERIC_SECRET")]


def test_findings_never_carry_the_secret_value() -> None:
    for finding in SECRETS_ONLY.detect(f"password={GENERIC} and {GHP}"):
        assert GENERIC not in repr(finding)
        assert GHP not in repr(finding)


# -- formats the scanner needs: key pairs across lines, service-account files, key files ---------

ALL_SECRETS = Detector(entities=SECRET_ENTITIES)
ALL_SECRETS_RE = Detector(entities=SECRET_ENTITIES, use_hyperscan=False)


def fake_service_account(*, sort_keys: bool = False) -> tuple[str, str]:
    """A GCP service-account key file and the private key inside it, as the JSON spells it."""
    pem = fake_pem() + "\n"
    account = {
        "type": "service_account", "project_id": "acme-prod", "private_key_id": _pick(_HEX, 40),
        "private_key": pem, "client_email": "deploy@acme-prod.iam.gserviceaccount.com",
        "client_id": _pick(string.digits, 21), "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return json.dumps(account, indent=2, sort_keys=sort_keys), json.dumps(pem)[1:-1].removesuffix("\\n")


def fake_putty_key() -> tuple[str, str]:
    public = base64.b64encode(RNG.randbytes(51)).decode()
    key = ("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy@ci\nPublic-Lines: 2\n"
           f"{public[:64]}\n{public[64:]}\nPrivate-Lines: 1\n{base64.b64encode(RNG.randbytes(48)).decode()}")
    return f"{key}\nPrivate-MAC: {_pick(_HEX, 64)}\n", key


AKIA_2 = "AKIA" + _pick(string.ascii_uppercase + "234567", 16)
AWS_SECRET_2 = _pick(string.ascii_lowercase, 8) + _pick(string.digits, 4) + _pick(_B64, 28)
SERVICE_ACCOUNT, SERVICE_ACCOUNT_KEY = fake_service_account()
SORTED_ACCOUNT, SORTED_ACCOUNT_KEY = fake_service_account(sort_keys=True)
PUTTY_FILE, PUTTY_KEY = fake_putty_key()
PEM_PKCS8_ENCRYPTED = fake_pem("ENCRYPTED PRIVATE KEY")
PEM_PGP = fake_pem("PGP PRIVATE KEY BLOCK", "Version: GnuPG v2\n\n")
WORDY_PASSWORD = f"Spring2024!Harbour#{_pick(string.digits, 3)}"
DJANGO_KEY = "django-insecure-" + "".join(RNG.choice(string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)")
                                          for _ in range(50))

# (text, [(value, entity, rule), ...])
REQUIRED: list[tuple[str, list[tuple[str, Entity, str]]]] = [
    # an AWS key id and its secret a line or two apart: credentials file, YAML, env file
    (f"[default]\naws_access_key_id = {AKIA}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1\n",
     [(AKIA, A.AWS_ACCESS_KEY, "aws_access_key"), (AWS_SECRET, A.AWS_SECRET_KEY, "aws_secret_key")]),
    (f"storage:\n  s3:\n    key: {AKIA_2}\n    secret: {AWS_SECRET_2}\n",
     [(AKIA_2, A.AWS_ACCESS_KEY, "aws_access_key"), (AWS_SECRET_2, A.AWS_SECRET_KEY, "aws_secret_key_pair")]),
    (f'{{\n  "key": "{AKIA_2}",\n  "region": "us-east-1",\n  "secret": "{AWS_SECRET_2}"\n}}',
     [(AKIA_2, A.AWS_ACCESS_KEY, "aws_access_key"), (AWS_SECRET_2, A.AWS_SECRET_KEY, "aws_secret_key_pair")]),
    (f"export KEY_ID={AKIA_2}\nexport BUCKET=logs\nexport SECRET_KEY='{AWS_SECRET_2}'\n",
     [(AKIA_2, A.AWS_ACCESS_KEY, "aws_access_key"), (AWS_SECRET_2, A.AWS_SECRET_KEY, "aws_secret_key_pair")]),
    # a GCP service-account key file, keys in Google's order or sorted
    (SERVICE_ACCOUNT, [(SERVICE_ACCOUNT_KEY, A.PRIVATE_KEY, "gcp_service_account")]),
    (SORTED_ACCOUNT, [(SORTED_ACCOUNT_KEY, A.PRIVATE_KEY, "gcp_service_account")]),
    # the same kind of key in JSON that is not a service account is a plain private key
    (json.dumps({"tls": {"private_key": PEM + "\n"}}),
     [(json.dumps(PEM)[1:-1], A.PRIVATE_KEY, "private_key")]),
    # key files: OpenSSH, encrypted PEM (legacy and PKCS#8), PGP, PuTTY
    (f"~/.ssh/id_ed25519:\n{PEM_OPENSSH}\n", [(PEM_OPENSSH, A.PRIVATE_KEY, "private_key")]),
    (f"{PEM_ENCRYPTED}\n", [(PEM_ENCRYPTED, A.PRIVATE_KEY, "private_key")]),
    (f"{PEM_PKCS8_ENCRYPTED}\n", [(PEM_PKCS8_ENCRYPTED, A.PRIVATE_KEY, "private_key")]),
    (f"{PEM_PGP}\n", [(PEM_PGP, A.PRIVATE_KEY, "private_key")]),
    (PUTTY_FILE, [(PUTTY_KEY, A.PRIVATE_KEY, "private_key")]),
    # database URLs with a password
    (f"SQLALCHEMY_DATABASE_URI = '{POSTGRES}'", [(POSTGRES, A.CONNECTION_STRING, "connection_string")]),
    # generic secrets that read like words but are not identifiers
    (f"SECRET_KEY = '{DJANGO_KEY}'", [(DJANGO_KEY, A.GENERIC_SECRET, "generic_secret")]),
    (f"db_password: {WORDY_PASSWORD}", [(WORDY_PASSWORD, A.GENERIC_SECRET, "generic_secret")]),
]


def _rules(detector: Detector, text: str) -> list[tuple[int, int, str, str]]:
    return [(f.start, f.end, str(f.entity), f.recognizer) for f in detector.detect(text)]


def _expected_rules(text: str, values: list[tuple[str, Entity, str]]) -> list[tuple[int, int, str, str]]:
    spans = []
    for value, entity, rule in values:
        start = text.index(value)
        spans.append((start, start + len(value), str(entity), rule))
    return sorted(spans)


@pytest.mark.parametrize(("text", "values"), REQUIRED, ids=[v[0][2] for _, v in REQUIRED])
@pytest.mark.parametrize("detector", [ALL_SECRETS, ALL_SECRETS_RE], ids=["hyperscan", "re"])
def test_required_formats_report_their_rule_and_span(
    detector: Detector, text: str, values: list[tuple[str, Entity, str]]
) -> None:
    assert _rules(detector, text) == _expected_rules(text, values)


def test_a_secret_far_from_its_key_id_is_not_paired() -> None:
    text = f"key: {AKIA_2}\n" + "note: unrelated\n" * 4 + f"value: {AWS_SECRET_2}\n"
    assert [rule for *_, rule in _rules(ALL_SECRETS, text)] == ["aws_access_key"]


def test_pypi_token_must_be_a_well_formed_macaroon() -> None:
    assert _secret_checks.pypi_macaroon(PYPI)
    body = PYPI.removeprefix("pypi-")
    assert not _secret_checks.pypi_macaroon("pypi-" + body[:-8])  # signature cut short
    assert not _secret_checks.pypi_macaroon("pypi-AgEIcHlwaS5vcmc" + _pick(_B64URL, 160))
    assert reported(SECRETS_ONLY, f"upload with pypi-AgEIcHlwaS5vcmc{_pick(_B64URL, 160)}") == []


def _jwt_io_example() -> str:
    """jwt.io's sample token, rebuilt from its documented header, claims and secret."""
    head = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    claims = _b64url(b'{"sub":"1234567890","name":"John Doe","iat":1516239022}')
    signature = hmac.new(b"your-256-bit-secret", f"{head}.{claims}".encode(), hashlib.sha256).digest()
    return f"{head}.{claims}.{_b64url(signature)}"


GENERIC_NEGATIVE: list[str] = [
    # integrity fields and lock files
    '"integrity": "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="',
    "auth_token: sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+S",
    '"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
    "secret = sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "github.com/auth0/go-jwt-middleware/v2 v2.2.1 h1:pqxEzmUZ7PdvGxBFmiIkXrm/lO5sd+C0g29S+AbSEBY=",
    "token: h1:pqxEzmUZ7PdvGxBFmiIkXrm/lO5sd+C0g29S+AbSEBY=",
    # UUIDs
    "api_key = 6f1c2e9a-3b7d-4f8e-9a1b-2c3d4e5f6a7b",
    # base64 images
    'icon_token = "iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAACXBIWXMAAAsTAAALEwEAmpwYAAAA"',
    "avatar_secret: /9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAYEBQYFBAYGBQYGBwcGBwgKEAoKCQkKFA4PDA",
    'logo_auth = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAADIAAAAyCAYAAAAeP4ixAAAACXBIW"',
    # documented examples
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "aws_access_key_id: AKIAIOSFODNN7EXAMPLE",
    f"Authorization: Bearer {_jwt_io_example()}",
    # placeholders
    "api_key: <your-key>",
    "password = <YOUR_DATABASE_PASSWORD_GOES_HERE>",
    "token: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    'secret: "${DEPLOY_SECRET_FROM_VAULT}"',
    "password: {{ secret }}",
    "password: '{{ vault_database_password }}'",
    "password = changeme",
    "password = changeme-changeme-2024",
    "api_key = TODO-set-in-production-env",
    "token = replace_with_a_real_token_12",
    # identifiers and words
    "token = get_access_token_from_env",
    "password_field = passwordConfirmationInput",
    "secret_name: prod-database-master-password",
    "auth_header: X-Amz-Security-Token",
    "apiKey: defaultApiKeyProviderFactory",
    "credentials: AwsCredentialsProviderChain",
    "accessToken: AccessTokenResponseClient2",
    # file paths
    "secret_file = secrets/prod/database-password",
    "token_path: ..\\keys\\deploy-token",
    "key_store: C:\\ProgramData\\Acme\\signing-keys",
    "credentials: ~/.config/gcloud/application_default_credentials",
    # key ids name a key, they hold none
    '"private_key_id": "3f786850e387550fdab836ed7e6dc881de23001b"',
    "apiKeyId: 8hG2kLq9Zx4vB7nM3pR6tW1yC5",
]


@pytest.mark.parametrize("text", GENERIC_NEGATIVE)
@pytest.mark.parametrize("detector", [ALL_SECRETS, ALL_SECRETS_RE], ids=["hyperscan", "re"])
def test_generic_hard_negative_is_not_reported(detector: Detector, text: str) -> None:
    assert _rules(detector, text) == []


def test_documented_example_is_recognised_by_digest_only() -> None:
    assert _secret_checks.is_documented_example(_jwt_io_example())
    assert not _secret_checks.jwt(_jwt_io_example())
    assert _secret_checks.jwt(fake_jwt())


@pytest.mark.parametrize(
    ("text", "expected"),
    [("get_access_token_from_env", True), ("passwordResetTokenField", True), ("X-Api-Key-Header", True),
     ("HTTPServerConfig2", True), ("build_2024_release", True), ("mypasswordisgreat", False),
     ("Tr0ub4dor&3horse", False), ("aB3dE5gH7jK9mN1pQ3", False)],
)
def test_identifier_shape(text: str, expected: bool) -> None:
    assert _secret_checks.looks_like_identifier(text) is expected


def test_random_tokens_are_almost_never_read_as_identifiers() -> None:
    rng = random.Random(5)
    samples = ["".join(rng.choice(_BASE62) for _ in range(rng.randint(16, 40))) for _ in range(20_000)]
    samples += ["".join(rng.choice(_B64URL) for _ in range(rng.randint(16, 40))) for _ in range(20_000)]
    misread = sum(_secret_checks.looks_like_identifier(s) or _secret_checks._is_path(s) for s in samples)
    assert misread <= 4  # under 1 in 10,000


# -- hang checks ---------------------------------------------------------------------------------

SIZE = 2 * 1024 * 1024
BUDGET_SECONDS = 5.0
_ADVERSARIAL_UNITS = [
    "a", "A", "aB3/", "sk-", "sk-proj-", "sk-ant-api03-", "AIza", "glpat-", "ghp_", "npm_", "hf_",
    "xoxb-1-", "SG.", "AKIA", "AC0123456789abcdef0123456789abcdef ", "eyJ", "eyJa.",
    "pypi-AgEIcHlwaS5vcmc", "-----BEGIN PRIVATE KEY-----", "-----BEGIN PRIVATE KEY-----a\n",
    "password=", "password:=a ", "token: ", "accessToken=", "Bearer ", "AccountKey=", "&sig=",
    "postgres://", "https://a:", "a:b@", "user=a;", "server=a;", "jdbc:ab:",
    "https://hooks.slack.com/services/", "-a", "=a", "password=" + "a/B." * 60 + " ",
    "token: " + "x1:" * 80 + "\n",
    f"id: {AKIA}\n", f"id: {AKIA}\n  secret: ", f"{AKIA}\n" + "a" * 120, f"{AKIA} x\n  key: " + "b" * 39,
    '"private_key": "-----BEGIN PRIVATE KEY-----', '"private_key": "-----BEGIN PRIVATE KEY-----' + "QUJD\\n" * 20,
    "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: a\nPublic-Lines: 1\n" + "QUJD" * 30 + "\n",
]
_ADVERSARIAL_TAILS = ["-----BEGIN PRIVATE KEY-----", "password=", "eyJhbGciOi.", "Bearer ",
                      "postgres://a:b@h/", "server=x;", "jdbc:ab:", "token=\""]


def _adversarial(kind: str, seed: str) -> str:
    if kind == "repeated":
        return seed * (SIZE // len(seed))
    return seed + "a" * SIZE


@pytest.mark.slow
@pytest.mark.parametrize("use_hyperscan", [True, False], ids=["hyperscan", "re"])
@pytest.mark.parametrize(
    ("kind", "seed"),
    [("repeated", u) for u in _ADVERSARIAL_UNITS] + [("tail", t) for t in _ADVERSARIAL_TAILS],
)
def test_two_megabyte_adversarial_line_finishes(kind: str, seed: str, use_hyperscan: bool) -> None:
    detector = Detector(recognizers=_secrets.RECOGNIZERS, use_hyperscan=use_hyperscan)
    text = _adversarial(kind, seed)
    started = time.perf_counter()
    detector.detect(text)
    assert time.perf_counter() - started < BUDGET_SECONDS


@pytest.mark.slow
@pytest.mark.parametrize("use_hyperscan", [True, False], ids=["hyperscan", "re"])
@pytest.mark.parametrize(
    "token",
    [AKIA, GCP, GHP, GLPAT, OPENAI_PROJECT, ANTHROPIC, PYPI, NPM, SENDGRID, SLACK_BOT, HF, STRIPE,
     JWT, PEM, POSTGRES, ADO, f"{AKIA},{AWS_SECRET},", f"{TWILIO_SID}:{TWILIO_TOKEN} ",
     f"password={GENERIC} ", f"AccountKey={AZURE_ACCOUNT};"],
    ids=lambda t: t[:6],
)
def test_two_megabyte_run_of_one_token_finishes(token: str, use_hyperscan: bool) -> None:
    detector = Detector(recognizers=_secrets.RECOGNIZERS, use_hyperscan=use_hyperscan)
    text = token * (SIZE // len(token))
    started = time.perf_counter()
    detector.detect(text)
    assert time.perf_counter() - started < BUDGET_SECONDS


@pytest.mark.slow
@pytest.mark.parametrize("unit", [f"key: {AKIA}\nsecret: {AWS_SECRET}\n", SERVICE_ACCOUNT, PUTTY_FILE],
                         ids=["aws_pair_lines", "service_account", "putty"])
def test_runs_of_multi_line_formats_take_linear_time(unit: str) -> None:
    assert_linear_time(SECRETS_RE, unit)
