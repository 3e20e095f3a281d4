"""Seeded corpus of FAKE credentials in code, config, notebooks, logs and docs, for bench/scan.py.

    python bench/scan_corpus.py OUT --seed 7 [--files 1500]

Writes OUT/corpus/ (the tree to scan) and OUT/labels.json: each labelled secret as (path, 1-based line and
column of its first character, last line, kind, format), each planted hard negative the same way, and
each file's class: ``secret`` (holds a label), ``hard_negative`` (look-alikes only) or ``plain``. Values
are random, with the formats' real checksums where they have one (GitHub and npm CRC32 in base62); none
is a real credential. labels.json keeps only each value's SHA-256 and length. Generated at run time and
never committed: real-shaped fake keys trip push protection. Standard library only; the same seed gives
the same bytes.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import json
import random
import re
import string
import uuid
import zlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
HEX = "0123456789abcdef"
T = TypeVar("T")
B64 = string.ascii_letters + string.digits + "+/"
URL = string.ascii_letters + string.digits + "-_"
UPPER32 = string.ascii_uppercase + "234567"
BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"
GITHUB_PREFIXES = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
PASSWORD = string.ascii_letters + string.digits + "!#%*+-.:=?^_~"

# Markers around planted values while a file is built, removed before it is written: private-use code
# points, which JSON (ensure_ascii=False) and CSV writers keep as they are.
SECRET, NEGATIVE, END = "\ue000", "\ue002", "\ue001"
_ID_BASE = 0xE800
SHARES = {"secret": 0.45, "hard_negative": 0.20, "plain": 0.35}


# (label, DER or OpenSSH header bytes, random bytes after them, line width) of the private keys made.
PEM_SHAPES: list[tuple[str, bytes, int, int]] = [
    ("RSA PRIVATE KEY", b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00", 1180, 64),
    ("PRIVATE KEY", b"\x30\x82\x04\xbd\x02\x01\x00\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01"
     b"\x01\x05\x00\x04\x82\x04\xa7", 1190, 64),
    ("EC PRIVATE KEY", b"\x30\x77\x02\x01\x01\x04\x20", 112, 64),
    ("OPENSSH PRIVATE KEY", b"openssh-key-v1\x00\x00\x00\x00\x04none", 380, 70),
]


class Fakes:
    """Random building blocks of credential formats."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def s(self, alphabet: str, size: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(size))

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def b64(self, data: bytes, *, url: bool = False, pad: bool = True) -> str:
        text = (base64.urlsafe_b64encode if url else base64.b64encode)(data).decode()
        return text if pad else text.rstrip("=")

    def crc(self, prefix: str) -> str:
        """GitHub classic / npm: 30 random base62 characters and their CRC32 in 6 base62 digits."""
        body = self.s(B62, 30)
        number, digits = zlib.crc32(body.encode()), ""
        while number:
            number, rest = divmod(number, 62)
            digits = B62[rest] + digits
        return prefix + body + digits.rjust(6, "0")

    def pem(self, pkcs8: bool = False) -> str:
        """A PEM private key block: RSA, PKCS#8, EC or OpenSSH (PKCS#8 only when asked)."""
        label, head, size, width = self.pick(PEM_SHAPES[1:2] if pkcs8 else PEM_SHAPES)
        body = self.b64(head + self.rng.randbytes(size))
        lines = "\n".join(body[i:i + width] for i in range(0, len(body), width))
        return f"-----BEGIN {label}-----\n{lines}\n-----END {label}-----"

    def pgp(self) -> str:
        body = self.b64(b"\x95\x03\xc6\x04" + self.rng.randbytes(700))
        lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
        return (f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{lines}\n={self.s(B64, 4)}\n"
                "-----END PGP PRIVATE KEY BLOCK-----")

    def jwt(self) -> str:
        head = self.b64(json.dumps({"alg": self.pick(["HS256", "RS256", "ES256"]), "typ": "JWT"}).encode(),
                        url=True, pad=False)
        claims = {"sub": self.s(string.digits, 9), "iss": f"https://auth.{self.pick(HOSTS)}",
                  "iat": 1714000000 + self.rng.randrange(10**7), "scope": "read write"}
        body = self.b64(json.dumps(claims).encode(), url=True, pad=False)
        return f"{head}.{body}.{self.b64(self.rng.randbytes(32), url=True, pad=False)}"

    def password(self) -> str:
        return self.s(string.ascii_letters, 6) + self.s(string.digits, 3) + self.s(PASSWORD, 9)

    def url_password(self) -> str:
        """A password as it is written in a URL's user info: percent-encoded where RFC 3986 wants it."""
        return quote(self.password(), safe="-._~!*+=")

    def db_url(self) -> str:
        user, host = self.pick(["app", "svc_orders", "admin", "etl", "reporting"]), self.pick(HOSTS)
        scheme, rest = self.pick([
            ("postgresql", f"pg.{host}:5432/{user}_prod"), ("mysql", f"mysql.{host}:3306/shop"),
            ("mongodb+srv", f"cluster0.{self.s(LOWER_DIGITS, 5)}.mongodb.net/app?w=majority"),
            ("redis", f"cache.{host}:6379/0"), ("amqp", f"mq.{host}:5672/jobs")])
        user = "default" if scheme == "redis" else user
        return f"{scheme}://{user}:{self.url_password()}@{rest}"

    def gcp_service_account(self, compact: bool) -> str:
        project = f"{self.pick(NOUNS)}-prod-{self.s(string.digits, 6)}"
        account = {"type": "service_account", "project_id": project, "private_key_id": self.s(HEX, 40),
                   "private_key": self.pem(pkcs8=True) + "\n",
                   "client_email": f"deployer@{project}.iam.gserviceaccount.com",
                   "client_id": self.s(string.digits, 21), "token_uri": "https://oauth2.googleapis.com/token"}
        return json.dumps(account, separators=(",", ":") if compact else None)


HOSTS = ["acme-corp.com", "internal.acme.io", "shopwave.net", "corp.example-retail.com", "svc.cluster.local"]
NOUNS = ["order", "invoice", "customer", "report", "session", "queue", "event", "item", "product", "record",
         "batch", "job", "task", "image", "message", "metric", "profile", "account", "shipment", "payment",
         "ledger", "catalog", "region", "tenant", "widget", "cart", "coupon", "review", "warehouse", "route"]
VERBS = ["load", "fetch", "build", "parse", "render", "update", "sync", "compute", "merge", "resolve",
         "validate", "normalize", "collect", "publish", "schedule", "export", "archive", "refresh"]
PROJECTS = ["billing", "checkout", "gateway", "inventory", "search", "notify", "identity", "reports",
            "ingest", "webapp", "mobile-api", "ml-pipeline", "analytics", "scheduler", "storefront"]

# kind: (weight, variable name, value factory, formats it may go into or None for any).
Factory = Callable[[Fakes], str]
Provider = tuple[int, str, Factory, frozenset[str] | None]
DIGITS, LOWER_DIGITS = string.digits, string.ascii_lowercase + string.digits


def _p(weight: int, name: str, make: Factory, only: frozenset[str] | None = None) -> Provider:
    return weight, name, make, only


def _azure_storage(f: Fakes) -> str:
    return (f"DefaultEndpointsProtocol=https;AccountName={f.pick(NOUNS)}store{f.s(DIGITS, 3)};"
            f"AccountKey={f.b64(f.rng.randbytes(64))};EndpointSuffix=core.windows.net")


def _azure_sas(f: Fakes) -> str:
    return (f"https://{f.pick(NOUNS)}data.blob.core.windows.net/exports/daily.csv?sv=2022-11-02&ss=b&srt=o"
            f"&sp=r&se=2025-12-31T00:00:00Z&spr=https&sig={quote(f.b64(f.rng.randbytes(32)), safe='')}")


def _slack(f: Fakes) -> str:
    if f.rng.random() < 0.6:
        return f"xoxb-{f.s(DIGITS, 12)}-{f.s(DIGITS, 13)}-{f.s(B62, 24)}"
    return f"xoxp-{f.s(DIGITS, 12)}-{f.s(DIGITS, 12)}-{f.s(DIGITS, 13)}-{f.s(HEX, 32)}"


def _openai(f: Fakes) -> str:
    return f.pick([f"sk-proj-{f.s(URL, 74)}T3BlbkFJ{f.s(URL, 74)}",
                   f"sk-{f.s(B62, 20)}T3BlbkFJ{f.s(B62, 20)}",
                   f"sk-svcacct-{f.s(URL, 74)}T3BlbkFJ{f.s(URL, 74)}"])


def _mapbox(f: Fakes) -> str:
    claims = json.dumps({"u": f.pick(NOUNS) + "-maps", "a": f.s(LOWER_DIGITS, 25)}, separators=(",", ":"))
    return f"sk.{f.b64(claims.encode(), url=True, pad=False)}.{f.s(URL, 22)}"


def _url_credentials(f: Fakes) -> str:
    user = f.pick(["deploy", "ci-bot", "builder"])
    # veil: allow connection_string a template: the password is a fake made here
    return f"https://{user}:{f.url_password()}@artifacts.{f.pick(HOSTS)}/api/pypi/simple"


PROVIDERS: dict[str, Provider] = {
    "github_classic": _p(5, "GITHUB_TOKEN", lambda f: f.crc(f.pick(GITHUB_PREFIXES))),
    "github_fine_grained": _p(2, "GH_PAT", lambda f: f"github_pat_{f.s(B62, 22)}_{f.s(B62, 59)}"),
    "gitlab": _p(2, "GITLAB_TOKEN", lambda f: "glpat-" + f.s(URL, 20)),
    "gcp_api_key": _p(3, "GOOGLE_API_KEY", lambda f: "AIza" + f.s(URL, 35)),
    "gcp_oauth_secret": _p(1, "GOOGLE_CLIENT_SECRET", lambda f: "GOCSPX-" + f.s(URL, 28)),
    "azure_storage": _p(3, "AZURE_STORAGE_CONNECTION_STRING", _azure_storage),
    "azure_sas": _p(1, "AZURE_BLOB_SAS_URL", _azure_sas),
    "azure_ad_client_secret": _p(1, "AZURE_CLIENT_SECRET",
                                 lambda f: f.s(B62, 3) + f.s(DIGITS, 1) + "Q~" + f.s(B62 + "_~.-", 34)),
    "slack_token": _p(3, "SLACK_BOT_TOKEN", _slack),
    "slack_app_token": _p(1, "SLACK_APP_TOKEN",
                          lambda f: f"xapp-1-A{f.s(UPPER32, 10)}-{f.s(DIGITS, 13)}-{f.s(HEX, 64)}"),
    "slack_webhook": _p(2, "SLACK_WEBHOOK_URL", lambda f: (
        f"https://hooks.slack.com/services/T{f.s(UPPER32, 8)}/B{f.s(UPPER32, 10)}/{f.s(B62, 24)}")),
    "stripe": _p(3, "STRIPE_SECRET_KEY",
                 lambda f: f.pick(["sk_live_", "rk_live_"]) + f.s(B62, f.pick([24, 99]))),
    "twilio_api_key": _p(1, "TWILIO_API_KEY", lambda f: "SK" + f.s(HEX, 32)),
    "sendgrid": _p(2, "SENDGRID_API_KEY", lambda f: f"SG.{f.s(URL, 22)}.{f.s(URL, 43)}"),
    "openai": _p(4, "OPENAI_API_KEY", _openai),
    "anthropic": _p(3, "ANTHROPIC_API_KEY", lambda f: f"sk-ant-api03-{f.s(URL, 93)}AA"),
    "huggingface": _p(2, "HF_TOKEN", lambda f: "hf_" + f.s(string.ascii_letters, 34)),
    "npm": _p(2, "NPM_TOKEN", lambda f: f.crc("npm_")),
    "pypi": _p(2, "PYPI_API_TOKEN", lambda f: "pypi-" + f.b64(
        b"\x02\x01\x08pypi.org\x02\x25\x08\x01\x12\x20" + f.rng.randbytes(150), url=True, pad=False)),
    "jwt": _p(3, "AUTH_TOKEN", lambda f: f.jwt()),
    "private_key": _p(5, "PRIVATE_KEY", lambda f: f.pem()),
    "pgp_private_key": _p(1, "PGP_PRIVATE_KEY", lambda f: f.pgp()),
    "database_url": _p(5, "DATABASE_URL", lambda f: f.db_url()),
    "url_credentials": _p(2, "PIP_INDEX_URL", _url_credentials),
    "generic_password": _p(5, "DB_PASSWORD", lambda f: f.password()),
    "generic_api_key": _p(5, "API_KEY", lambda f: f.pick([f.s(B62, 32), f.s(HEX, 40), f.s(B62 + "-_", 48)])),
    "django_secret_key": _p(1, "SECRET_KEY", lambda f: f.s(LOWER_DIGITS + "!@#%^&*(-_=+)", 50)),
    "shopify": _p(1, "SHOPIFY_ACCESS_TOKEN", lambda f: f.pick(["shpat_", "shpss_", "shpca_"]) + f.s(HEX, 32)),
    "digitalocean": _p(1, "DIGITALOCEAN_TOKEN", lambda f: f.pick(["dop_v1_", "doo_v1_"]) + f.s(HEX, 64)),
    "vault": _p(1, "VAULT_TOKEN", lambda f: "hvs.CAESI" + f.s(URL, 86)),
    "telegram_bot": _p(1, "TELEGRAM_BOT_TOKEN", lambda f: f"{f.s('123456789', 10)}:AA{f.s(URL, 33)}"),
    "discord_bot": _p(1, "DISCORD_BOT_TOKEN", lambda f: (
        f"{f.b64(f.s(DIGITS, 18).encode(), pad=False)}.{f.s(URL, 6)}.{f.s(URL, 38)}")),
    "discord_webhook": _p(1, "DISCORD_WEBHOOK", lambda f: (
        f"https://discord.com/api/webhooks/{f.s(DIGITS, 19)}/{f.s(URL, 68)}")),
    "mailgun": _p(1, "MAILGUN_API_KEY", lambda f: "key-" + f.s(HEX, 32)),
    "databricks": _p(1, "DATABRICKS_TOKEN", lambda f: "dapi" + f.s(HEX, 32)),
    "grafana": _p(1, "GRAFANA_TOKEN", lambda f: f"glsa_{f.s(B62, 32)}_{f.s(HEX, 8)}"),
    "doppler": _p(1, "DOPPLER_TOKEN", lambda f: "dp.pt." + f.s(B62, 43)),
    "postman": _p(1, "POSTMAN_API_KEY", lambda f: f"PMAK-{f.s(HEX, 24)}-{f.s(HEX, 34)}"),
    "sentry": _p(1, "SENTRY_AUTH_TOKEN", lambda f: "sntryu_" + f.s(HEX, 64)),
    "linear": _p(1, "LINEAR_API_KEY", lambda f: "lin_api_" + f.s(B62, 40)),
    "age": _p(1, "AGE_SECRET_KEY", lambda f: "AGE-SECRET-KEY-1" + f.s(BECH32, 58)),
    "docker_hub": _p(1, "DOCKERHUB_TOKEN", lambda f: "dckr_pat_" + f.s(URL, 27)),
    "atlassian": _p(1, "JIRA_API_TOKEN", lambda f: f"ATATT3xFfGF0{f.s(URL, 171)}={f.s(HEX.upper(), 8)}"),
    "newrelic": _p(1, "NEW_RELIC_API_KEY", lambda f: "NRAK-" + f.s(string.ascii_uppercase + DIGITS, 27)),
    "pulumi": _p(1, "PULUMI_ACCESS_TOKEN", lambda f: "pul-" + f.s(HEX, 40)),
    "terraform_cloud": _p(1, "TFE_TOKEN", lambda f: f"{f.s(B62, 14)}.atlasv1.{f.s(B62, 67)}"),
    "planetscale": _p(1, "PLANETSCALE_TOKEN", lambda f: "pscale_tkn_" + f.s(URL, 43)),
    "square": _p(1, "SQUARE_ACCESS_TOKEN", lambda f: "EAAA" + f.s(URL, 60)),
    "heroku": _p(1, "HEROKU_API_KEY", lambda f: "HRKU-AA" + f.s(URL, 58)),
    "supabase": _p(1, "SUPABASE_ACCESS_TOKEN", lambda f: "sbp_" + f.s(HEX, 40)),
    "groq": _p(1, "GROQ_API_KEY", lambda f: "gsk_" + f.s(B62, 52)),
    "replicate": _p(1, "REPLICATE_API_TOKEN", lambda f: "r8_" + f.s(B62, 37)),
    "langsmith": _p(1, "LANGSMITH_API_KEY", lambda f: f"lsv2_pt_{f.s(HEX, 32)}_{f.s(HEX, 10)}"),
    "notion": _p(1, "NOTION_TOKEN", lambda f: f"ntn_{f.s(DIGITS, 11)}{f.s(B62, 35)}"),
    "figma": _p(1, "FIGMA_TOKEN", lambda f: "figd_" + f.s(URL, 40)),
    "mapbox": _p(1, "MAPBOX_SECRET_TOKEN", _mapbox),
    "okta": _p(1, "OKTA_API_TOKEN", lambda f: "00" + f.s(URL, 40)),
    "gcp_service_account": _p(2, "GOOGLE_CREDENTIALS_JSON", lambda f: f.gcp_service_account(compact=True),
                              frozenset({"env", "yaml"})),
}
# Two labels at once, an access key id and its secret on consecutive lines: (weight, (name, kind, make) x 2).
PAIRS: dict[str, tuple[int, tuple[str, str, Factory], tuple[str, str, Factory]]] = {
    "aws": (6, ("AWS_ACCESS_KEY_ID", "aws_access_key_id",
                lambda f: f.pick(["AKIA", "ASIA"]) + f.s(UPPER32, 16)),
            ("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key", lambda f: f.s(B64, 40))),
    "alibaba": (1, ("ALIBABA_CLOUD_ACCESS_KEY_ID", "alibaba_access_key_id", lambda f: "LTAI" + f.s(B62, 20)),
                ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "alibaba_access_key_secret", lambda f: f.s(B62, 30))),
    "twilio": (1, ("TWILIO_ACCOUNT_SID", "", lambda f: "AC" + f.s(HEX, 32)),  # the account SID is no secret
               ("TWILIO_AUTH_TOKEN", "twilio_auth_token", lambda f: f.s(HEX, 32))),
}

PLACEHOLDERS = ["<your-api-key>", "xxxxxxxxxxxxxxxxxxxxxxxx", "${API_KEY}", "{{ .Values.token }}", "changeme",
                "YOUR_API_KEY_HERE", "<insert token here>", "REPLACE_ME", "********",
                "{{ secrets.DEPLOY_TOKEN }}",
                "%(password)s", "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "AKIAXXXXXXXXXXXXXXXX",
                "sk-...", "postgres://user:password@localhost:5432/mydb", "<redacted>", "TODO"]
FIXTURES = ["password123", "test", "secret", "hunter2", "abc123", "test-token", "dummy-key-for-tests",
            "not-a-real-secret", "12345678", "letmein", "admin", "fake-api-key", "testtesttest", "pass"]
DOC_EXAMPLES = [("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                # Stripe's published test key, split so that scanners of this file do not flag it.
                ("STRIPE_SECRET_KEY", "sk_test_" "4eC39HqLyjWDarjtT1zdp7dc"),
                ("AUTH_TOKEN", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6"
                 "IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")]
CREDENTIAL_NAMES = ["API_KEY", "GITHUB_TOKEN", "STRIPE_SECRET_KEY", "DB_PASSWORD", "OPENAI_API_KEY",
                    "SLACK_BOT_TOKEN", "CLIENT_SECRET", "AUTH_TOKEN", "SENDGRID_API_KEY", "ACCESS_TOKEN"]


def _png(f: Fakes) -> str:
    return "data:image/png;base64," + f.b64(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + f.rng.randbytes(
        f.rng.randrange(120, 900)))


# Hard negatives that fit on one assignment line: kind -> (variable names, value factory).
NEGATIVES: dict[str, tuple[list[str], Factory]] = {
    "uuid": (["REQUEST_ID", "TENANT_ID", "CORRELATION_ID", "DEVICE_ID"],
             lambda f: str(uuid.UUID(int=f.rng.getrandbits(128), version=4))),
    "git_sha": (["GIT_COMMIT", "BUILD_SHA", "RELEASE_REVISION"], lambda f: f.s(HEX, 40)),
    "content_hash": (["CONTENT_HASH", "ETAG", "CHECKSUM", "MANIFEST_DIGEST"],
                     lambda f: f.pick(["sha256:", "", "md5:"]) + f.s(HEX, f.pick([32, 64]))),
    "cache_key": (["CACHE_KEY", "CACHE_PREFIX"],
                  lambda f: f"{f.pick(NOUNS)}:{f.s(DIGITS, 6)}:{f.pick(NOUNS)}:v{f.rng.randint(1, 9)}"),
    "base64_text": (["WELCOME_BANNER", "ENCODED_GREETING", "MOTD_B64"], lambda f: f.b64(
        f"{f.pick(VERBS).capitalize()} each {f.pick(NOUNS)} before the {f.pick(NOUNS)} ships.".encode())),
    "css_hash": (["BUNDLE_NAME", "CHUNK_FILE", "STYLE_CLASS"], lambda f: f.pick([
        f"main.{f.s(HEX, 8)}.chunk.js", f"css-{f.s(LOWER_DIGITS, 7)}",
        f"styles_button__{f.s(URL, 5)}", f"app.{f.s(HEX, 20)}.bundle.css"])),
    "placeholder": (CREDENTIAL_NAMES, lambda f: f.pick(PLACEHOLDERS)),
    "fixture_low_entropy": (["TEST_PASSWORD", "password", "FIXTURE_TOKEN", "api_key"],
                            lambda f: f.pick(FIXTURES)),
    "stripe_publishable": (["STRIPE_PUBLISHABLE_KEY"], lambda f: "pk_live_" + f.s(B62, 24)),
    "sentry_dsn": (["SENTRY_DSN"], lambda f: (
        f"https://{f.s(HEX, 32)}@o{f.s(DIGITS, 6)}.ingest.sentry.io/{f.s(DIGITS, 7)}")),
    "data_uri_image": (["LOGO_DATA_URI", "PLACEHOLDER_IMAGE"], _png),
    "object_id": (["LAST_CHARGE_ID", "CUSTOMER_REF", "UPLOAD_ID"], lambda f: f.pick(
        ["ch_", "cus_", "pi_", "req_", "evt_"]) + f.s(B62, f.pick([14, 24]))),
    "env_reference": (CREDENTIAL_NAMES, lambda f: ""),  # rendered per format: os.environ["X"], ${X}, ...
    "documented_example": (["AWS_ACCESS_KEY_ID"], lambda f: ""),  # one of DOC_EXAMPLES, its own name
}
ENV_REFERENCE = {"py": 'os.environ["«name»"]', "ipynb": 'os.getenv("«name»")', "js": "process.env.«name»",
                 "ts": "process.env.«name»", "go": 'os.Getenv("«name»")', "java": 'System.getenv("«name»")',
                 "tf": "var.«snake»", "xml": "$(«name»)"}
# Names of secret kinds whose values are no bearer token (a log or curl line would not send them so).
NOT_BEARER = frozenset({"database_url", "url_credentials", "azure_storage", "azure_sas", "slack_webhook",
                        "discord_webhook", "generic_password", "gcp_service_account", "private_key",
                        "pgp_private_key", "django_secret_key"})
_SLOT = re.compile(r"«(\w+)»")
SENTENCES = ["The «noun» «verb» step runs every «n» minutes and keeps the «noun2» list in order.",
             "Call «verb»_«noun» before «verb2» so that each «noun2» sees the same «noun».",
             "We keep «n» «noun»s per «noun2» and drop the oldest one first.",
             "See the «noun2» runbook for what to do when the «noun» queue backs up."]


class Spec:
    """How one file format looks: paths, header, filler blocks, and how a value is assigned in it."""

    def __init__(self, weight: int, paths: list[str], blocks: list[str], assign: list[str], *, head: str = "",
                 tail: str = "", multi: str | None = None, raw: str | None = None, flat: str | None = None,
                 indent: int = 0, sep: str = "\n\n", count: tuple[int, int] = (3, 9)) -> None:
        self.weight, self.paths, self.blocks, self.assign = weight, paths, blocks, assign
        self.head, self.tail, self.multi, self.sep = head, tail, multi, sep
        self.count, self.indent = count, indent
        self.raw, self.flat = raw or assign[0], flat or assign[0]


PY_BLOCKS = [
    'def «verb»_«noun»(«noun»_id, limit=«n»):\n    """«Verb» the «noun» rows of one «noun2»."""\n'
    "    rows = db.query(«Noun»).filter_by(«noun2»_id=«noun»_id).limit(limit)\n"
    "    result = [row.to_dict() for row in rows]\n"
    '    logger.info("«verb» %d «noun»s", len(result))\n    return result',
    "class «Noun»«Noun2»:\n    def __init__(self, size=«n»):\n        self.size = size\n"
    "        self.items = []\n\n    def add(self, item):\n        if len(self.items) >= self.size:\n"
    "            self.items.pop(0)\n        self.items.append(item)",
    "# «sentence»\nRETRY_DELAYS = [1, 2, 5, «n»]\n«NOUN»_TIMEOUT_S = «n»",
]
JS_BLOCKS = [
    "export async function «verb»«Noun»(«noun»Id) {\n"
    "  const response = await fetch(`/api/«noun»s/${«noun»Id}`);\n"
    '  if (!response.ok) {\n    throw new Error("could not «verb» «noun»");\n  }\n'
    "  return response.json();\n}",
    "// «sentence»\nconst «noun»Limit = «n»;\nexport const «verb»«Noun2» = (items) =>\n"
    "  items.filter((item) => item.«noun2» !== null).slice(0, «noun»Limit);",
]
GO_BLOCKS = [
    "func «Verb»«Noun»(ctx context.Context, id int64) (*«Noun», error) {\n"
    '\trow := db.QueryRowContext(ctx, "SELECT id, name FROM «noun»s WHERE id = $1", id)\n\tvar n «Noun»\n'
    "\tif err := row.Scan(&n.ID, &n.Name); err != nil {\n"
    '\t\treturn nil, fmt.Errorf("«verb» «noun» %d: %w", id, err)\n\t}\n\treturn &n, nil\n}',
    "// «sentence»\nconst «noun»BatchSize = «n»",
]
JAVA_BLOCKS = [
    "    public List<«Noun»> «verb»«Noun»s(long «noun2»Id) {\n"
    "        List<«Noun»> result = repository.findBy«Noun2»Id(«noun2»Id);\n"
    '        log.info("«verb» {} «noun»s", result.size());\n        return result;\n    }',
    "    // «sentence»\n    private static final int «NOUN»_LIMIT = «n»;",
]
SH_BLOCKS = [
    'echo "==> «verb» «noun»s"\nif [ ! -d "./«noun»s" ]; then\n  mkdir -p "./«noun»s"\nfi\n'
    "./bin/«verb»-«noun» --region «region» --limit «n»",
    '# «sentence»\nfor f in ./«noun»s/*.json; do\n  jq -r .«noun2» "$f"\ndone',
]
YAML_BLOCKS = ["«noun»:\n  enabled: true\n  replicas: «n»\n  timeout: «n2»s\n  host: «noun».«host»",
               "# «sentence»\n«noun2»_pool:\n  size: «n»\n  region: «region»"]
TF_BLOCKS = ['resource "aws_s3_bucket" "«noun»" {\n  bucket = "acme-«noun»-«env»"\n'
             '  tags = {\n    Team = "«noun2»"\n  }\n}']
TF_ASSIGN = ['variable "«snake»" {\n  type    = string\n  default = "«v»"\n}',
             'provider "«noun»" {\n  «snake» = "«v»"\n}',
             'resource "kubernetes_secret" "«noun»" {\n  metadata {\n    name = "«noun»"\n  }\n'
             '  data = {\n    «snake» = "«v»"\n  }\n}']
DOCKER_BLOCKS = ["RUN apt-get update && apt-get install -y --no-install-recommends curl \\\n"
                 "    && rm -rf /var/lib/apt/lists/*",
                 "COPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt", "EXPOSE 8080"]
MD_ASSIGN = ["```bash\nexport «name»=«v»\n```", "Set `«name»` to `«v»` before running the «noun» job.",
             "| «name» | `«v»` | «env» |", "```yaml\n«snake»: «v»\n```",
             '```python\nclient = «Noun»Client(«snake»="«v»")\n```']
LOG_BLOCKS = ["«ts» INFO  [«svc»] «verb» «n» «noun»s in «n2»ms",
              "«ts» DEBUG [«svc»] cache hit for «noun» «n»",
              "«ts» WARN  [«svc»] slow «noun2» query took «n»ms"]
LOG_ASSIGN = ["«ts» INFO  [«svc»] loaded settings «snake»=«v»",
              "«ts» DEBUG [«svc»] request headers={'Authorization': 'Bearer «v»', 'Accept': 'text/plain'}",
              "«ts» WARN  [«svc»] retrying POST https://api.«host»/v2/«noun»s?access_token=«v» (attempt 2)",
              "«ts» ERROR [«svc»] «verb» failed for «snake»=«v»"]
FORMATS: dict[str, Spec] = {
    "py": Spec(14, ["«svc»/app/«noun»_«noun2».py", "«svc»/«noun»/settings.py",
                    "«svc»/scripts/«verb»_«noun».py"],
               PY_BLOCKS, ['«name» = "«v»"', '«snake» = os.environ.get("«name»", "«v»")',
                           'client = «Noun»Client(«snake»="«v»")', "# «snake»: «v»",
                           'DEFAULTS = {"«snake»": "«v»", "timeout": «n»}'],
               head='"""«Noun» «verb» helpers."""\n\nimport logging\nimport os\n\n'
                    "logger = logging.getLogger(__name__)\n\n",
               multi='«name» = """«v»"""', raw="«name» = «v»"),
    "js": Spec(6, ["«svc»/src/«noun»«Noun2».js", "«svc»/src/config/«noun».js"], JS_BLOCKS,
               ['const «camel» = "«v»";', "export const «name» = '«v»';", "// «camel»: «v»",
                'const «camel» = process.env.«name» || "«v»";', 'config.«camel» = "«v»";'],
               head='import { config } from "./config.js";\n\n', multi="const «camel» = `«v»`;",
               raw="const «camel» = «v»;"),
    "ts": Spec(5, ["«svc»/src/«noun»/«noun2».ts", "«svc»/src/«noun»Client.ts"], JS_BLOCKS,
               ['const «camel»: string = "«v»";', "export const «name» = '«v»';", 'config.«camel» = "«v»";'],
               head='import { config } from "./config";\n\n', multi="const «camel» = `«v»`;",
               raw="const «camel» = «v»;"),
    "go": Spec(5, ["«svc»/internal/«noun»/«noun2».go", "«svc»/cmd/«verb»/main.go"], GO_BLOCKS,
               ['const «camel» = "«v»"', 'var «camel» = "«v»"', "// «camel» = «v»"],
               head='package «noun»\n\nimport (\n\t"context"\n\t"fmt"\n\t"os"\n)\n\n',
               multi="const «camel» = `«v»`", raw="var «camel» = «v»"),
    "java": Spec(4, ["«svc»/src/main/java/com/acme/«noun»/«Noun»«Noun2»Service.java"], JAVA_BLOCKS,
                 ['    private static final String «name» = "«v»";', '    private String «camel» = "«v»";'],
                 head="package com.acme.«noun»;\n\nimport java.util.List;\n\n"
                      "public class «Noun»«Noun2»Service {\n\n",
                 tail="\n}", multi='    private static final String «name» = """\n«v»""";',
                 raw="    private final String «camel» = «v»;"),
    "sh": Spec(6, ["«svc»/scripts/«verb»-«noun».sh", "«svc»/bin/deploy-«noun».sh"], SH_BLOCKS,
               ['export «name»="«v»"', "«name»='«v»'", "export «name»=«v»",
                'curl -sS -H "Authorization: Bearer «v»" https://api.«host»/v1/«noun»s'],
               head="#!/usr/bin/env bash\nset -euo pipefail\n\n",
               multi="cat > /tmp/«snake».pem <<'EOF'\n«v»\nEOF", raw='export «name»="«v»"'),
    "yaml": Spec(8, ["«svc»/config/«env».yaml", "«svc»/deploy/values-«env».yaml", "«svc»/config/«noun».yml"],
                 YAML_BLOCKS, ["«noun»:\n  «snake»: «v»", '«noun»:\n  «snake»: "«v»"', "«snake»: '«v»'",
                               'env:\n  - name: «name»\n    value: "«v»"'],
                 head="# «Noun» service settings\n", multi="«snake»: |\n  «v»", indent=2,
                 raw='«snake»: "«v»"', flat="«snake»: «v»", sep="\n"),
    "toml": Spec(3, ["«svc»/config/«noun».toml", "«svc»/«noun»-«env».toml"],
                 ['[«noun»]\nenabled = true\nworkers = «n»\nendpoint = "https://«noun».«host»:«n»"'],
                 ['[«noun3»]\n«snake» = "«v»"', '«snake» = "«v»"'], head='title = "«Noun» «env»"\n\n',
                 multi='«snake» = """\n«v»"""', flat='«snake» = "«v»"'),
    "ini": Spec(3, ["«svc»/«noun».ini", "«svc»/config/«noun».cfg"],
                ["[«noun»]\nenabled = yes\nworkers = «n»\nhost = «noun».«host»"],
                ["[«noun3»]\n«snake» = «v»", "«snake»=«v»"], head="; «Noun» settings\n\n",
                multi="«snake» = «v»", indent=4, flat="«snake» = «v»"),
    "env": Spec(8, ["«svc»/.env", "«svc»/.env.«env»", "«svc»/config/«env».env"],
                ["«NOUN»_HOST=«noun».«host»\n«NOUN»_PORT=«n»", "LOG_LEVEL=info\nFEATURE_«NOUN»=true",
                 "# «sentence»"],
                ["«name»=«v»", '«name»="«v»"', "export «name»='«v»'"], head="# «env» settings\n",
                multi='«name»="«v»"', sep="\n", count=(3, 12)),
    "compose": Spec(4, ["«svc»/docker-compose.yml", "«svc»/docker-compose.«env».yml"],
                    ["      - «NOUN»_HOST=«noun»", "      - LOG_LEVEL=debug", "      - «NOUN»_WORKERS=«n»"],
                    ["      - «name»=«v»", '      - "«name»=«v»"'], sep="\n", count=(3, 10),
                    head="services:\n  «noun»:\n    image: registry.«host»/«noun»:«n»\n    environment:\n",
                    tail='\n    ports:\n      - "8080:8080"\n  redis:\n    image: redis:7-alpine\n'),
    "tf": Spec(5, ["infra/«svc»/«noun».tf", "infra/«svc»/main.tf"], TF_BLOCKS, TF_ASSIGN,
               multi="locals {\n  «snake» = <<EOT\n«v»\nEOT\n}", raw="locals {\n  «snake» = «v»\n}",
               flat='variable "«snake»" {\n  default = "«v»"\n}'),
    "dockerfile": Spec(4, ["«svc»/Dockerfile", "«svc»/docker/Dockerfile.«env»"], DOCKER_BLOCKS,
                       ["ENV «name»=«v»", "ARG «name»=«v»", 'ENV «name»="«v»"',
                        'RUN curl -fsSL -H "Authorization: Bearer «v»" https://get.«host»/install.sh | sh'],
                       head="FROM python:3.12-slim\nWORKDIR /app\n",
                       tail='\nCMD ["python", "-m", "«noun»"]\n', sep="\n"),
    "xml": Spec(3, ["«svc»/App.config", "«svc»/config/«noun».xml"],
                ['    <add key="«Noun»Timeout" value="«n»" />',
                 '    <add key="«Noun»Enabled" value="true" />'],
                ['    <add key="«pascal»" value="«v»" />', "    <«camel»>«v»</«camel»>"], sep="\n",
                head='<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>\n',
                tail="\n  </appSettings>\n</configuration>\n", multi="    <«camel»>\n«v»\n    </«camel»>"),
    "md": Spec(6, ["«svc»/README.md", "«svc»/docs/«noun».md", "docs/«verb»-«noun».md"],
               ["## «Verb» «noun»s\n\n«sentence» «sentence»",
                "```bash\n./bin/«verb»-«noun» --limit «n»\n```"],
               MD_ASSIGN, head="# «Noun» service\n\n«sentence»\n\n", multi="```\n«v»\n```",
               flat="Set `«name»` to `«v»`."),
    "log": Spec(5, ["«svc»/logs/«noun»-2024-05-«day».log", "logs/«svc»-worker.log"], LOG_BLOCKS, LOG_ASSIGN,
                sep="\n", count=(30, 160)),
    "json": Spec(6, ["«svc»/config/«noun».json", "«svc»/«noun»-settings.json"], [], [""]),
    "csv": Spec(3, ["«svc»/data/«noun»_«noun2».csv", "exports/«noun»-«env».csv"], [], [""]),
    "ipynb": Spec(5, ["notebooks/«noun»-«verb»-«n».ipynb", "«svc»/notebooks/«noun2».ipynb"],
                  ["df = pd.read_csv('data/«noun»s.csv')\ndf.groupby('«noun2»').size()", "df.describe()"],
                  ['os.environ["«name»"] = "«v»"', 'client = «Noun»Client(«snake»="«v»")', '«snake» = "«v»"'],
                  multi='«name» = """«v»"""', raw="«snake» = «v»"),
    "key": Spec(2, ["«svc»/deploy/keys/«noun»_rsa", "«svc»/certs/«noun».key",
                    "«svc»/secrets/«noun»-«env».pem"], [], [""]),
    "gcp_json": Spec(1, ["«svc»/credentials/«svc»-«env»-sa.json"], [], [""]),
}
SECRET_ONLY = frozenset({"key", "gcp_json"})  # formats made only to hold a secret
NAME_VARIANTS = {
    "generic_password": ["DB_PASSWORD", "SMTP_PASSWORD", "ADMIN_PASSWORD", "REDIS_PASSWORD", "PASSWORD",
                         "DB_PASS"],
    "generic_api_key": ["API_KEY", "CLIENT_SECRET", "ACCESS_TOKEN", "AUTH_TOKEN", "X_API_KEY",
                        "SERVICE_TOKEN",
                        "WEBHOOK_SECRET", "PARTNER_API_SECRET"],
    "private_key": ["PRIVATE_KEY", "SSH_PRIVATE_KEY", "JWT_SIGNING_KEY", "TLS_KEY", "DEPLOY_KEY"],
    "database_url": ["DATABASE_URL", "DB_URL", "MONGO_URI", "REDIS_URL", "SQLALCHEMY_DATABASE_URI",
                     "BROKER_URL"],
}


class Doc:
    """Hands out marked values for one file and, once its text is built, finds where they landed."""

    def __init__(self) -> None:
        self.kinds: list[tuple[str, str]] = []  # (class, kind) by marker id

    def open(self, cls: str, kind: str) -> str:
        self.kinds.append((cls, kind))
        return (SECRET if cls == "secret" else NEGATIVE) + chr(_ID_BASE + len(self.kinds) - 1)

    def mark(self, cls: str, kind: str, value: str) -> str:
        return self.open(cls, kind) + value + END if kind else value

    def resolve(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """The text without markers, and where each marked value starts and ends (1-based)."""
        out: list[str] = []
        marks: list[dict[str, Any]] = []
        line, column, i, start = 1, 1, 0, -1
        current: dict[str, Any] = {}
        while i < len(text):
            char = text[i]
            if char in (SECRET, NEGATIVE):
                cls, kind = self.kinds[ord(text[i + 1]) - _ID_BASE]
                current = {"class": cls, "kind": kind, "line": line, "column": column}
                start, i = len(out), i + 2
                continue
            if char == END:
                value = "".join(out[start:])
                digest = hashlib.sha256(value.encode()).hexdigest()
                current.update(end_line=line, length=len(value), sha256=digest)
                marks.append(current)
                i += 1
                continue
            out.append(char)
            line, column = (line + 1, 1) if char == "\n" else (line, column + 1)
            i += 1
        return "".join(out), marks


def _names(name: str) -> dict[str, str]:
    parts = name.lower().split("_")
    return {"name": name, "snake": name.lower(),
            "camel": parts[0] + "".join(p.capitalize() for p in parts[1:]),
            "pascal": "".join(p.capitalize() for p in parts)}


class Writer:
    """Fills templates with seeded words and renders secrets and look-alikes in each format."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.f = rng, Fakes(rng)
        self.clock = 1714550400  # 2024-05-01T08:00:00Z: log lines move forward from here
        self.used: set[str] = set()

    def word(self, slot: str) -> str:
        base, r = slot.rstrip("0123456789"), self.rng
        table: dict[str, Callable[[], str]] = {
            "noun": lambda: r.choice(NOUNS), "verb": lambda: r.choice(VERBS),
            "svc": lambda: r.choice(PROJECTS),
            "n": lambda: str(r.randint(2, 500)), "day": lambda: f"{r.randint(1, 28):02d}",
            "env": lambda: r.choice(["prod", "staging", "dev", "qa"]), "host": lambda: r.choice(HOSTS),
            "region": lambda: r.choice(["eu-west-1", "us-east-1", "ap-south-1", "eu-central-1"]),
            "sentence": lambda: self.fill(r.choice(SENTENCES)), "ts": self._tick,
        }
        return table[base]()

    def _tick(self) -> str:
        self.clock += self.rng.randint(0, 90)
        return datetime.fromtimestamp(self.clock, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def fill(self, template: str, fixed: dict[str, str] | None = None) -> str:
        """Replace each «slot»; the same slot gets the same word, «Slot» capitalised, «SLOT» upper case."""
        seen = dict(fixed or {})

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in seen:
                return seen[name]
            if name == "sentence":  # a fresh one each time
                return self.word(name)
            value = seen.setdefault(name.lower(), self.word(name.lower()))
            if name.isupper() and len(name) > 1:
                return value.upper().replace("-", "_")
            return value[:1].upper() + value[1:] if name[0].isupper() else value

        return _SLOT.sub(sub, template)

    def path(self, fmt: str) -> str:
        return self.unique(self.fill(self.rng.choice(FORMATS[fmt].paths)))

    def unique(self, path: str) -> str:
        while path in self.used:  # one more folder level until the path is new
            head, _, tail = path.rpartition("/")
            path = f"{head}/{self.rng.choice(NOUNS)}{self.rng.randint(2, 99)}/{tail}"
        self.used.add(path)
        return path

    def draw(self, fmt: str) -> list[tuple[str, str, str]]:
        """One credential for ``fmt``: [(kind, variable name, value)], two entries for a key pair."""
        kinds = [k for k, (_, _, _, only) in PROVIDERS.items() if only is None or fmt in only]
        weights = [PROVIDERS[k][0] for k in kinds] + [PAIRS[k][0] for k in PAIRS]
        kind = self.rng.choices([*kinds, *PAIRS], weights=weights)[0]
        if kind in PAIRS:
            return [(k, n, make(self.f)) for n, k, make in PAIRS[kind][1:]]
        _, name, make, _ = PROVIDERS[kind]
        if kind in NAME_VARIANTS:
            name = self.rng.choice(NAME_VARIANTS[kind])
        elif self.rng.random() < 0.3:
            name = f"{self.rng.choice(PROJECTS).upper().replace('-', '_')}_{name}"
        return [(kind, name, make(self.f))]

    def draw_negative(self, fmt: str) -> tuple[str, str, str]:
        kind = self.rng.choice(list(NEGATIVES))
        names, make = NEGATIVES[kind]
        name = self.rng.choice(names)
        if kind == "documented_example":
            name, value = self.rng.choice(DOC_EXAMPLES)
        elif kind == "env_reference":
            value = self.fill(ENV_REFERENCE.get(fmt, "${«name»}"), _names(name))
        else:
            value = make(self.f)
        return kind, name, value

    def assign(self, fmt: str, cls: str, kind: str, name: str, value: str, doc: Doc,
               flat: bool = False) -> str:
        """``value`` marked as ``cls``/``kind`` and assigned to ``name`` in one of the format's ways."""
        spec = FORMATS[fmt]
        multi = "\n" in value and spec.multi is not None
        value = value if multi else value.replace("\n", "\\n")
        value = value.replace("&", "&amp;") if fmt == "xml" else value
        shown = doc.mark(cls, kind, value)
        if multi:
            template = spec.multi or ""
            shown = shown.replace("\n", "\n" + " " * spec.indent) if spec.indent else shown
        elif kind == "env_reference":
            template = spec.raw
        elif kind == "gcp_service_account":
            template = "«name»='«v»'" if fmt == "env" else "«snake»: '«v»'"
        elif flat:
            template = spec.flat
        else:
            bearer = cls == "secret" and kind not in NOT_BEARER  # look-alikes are no bearer tokens
            fitting = [t for t in spec.assign if bearer or ("Bearer" not in t and "token=" not in t)]
            template = self.rng.choice(fitting)
        return self.fill(template, {**_names(name), "v": shown})

    def secret_block(self, fmt: str, doc: Doc) -> str:
        items = self.draw(fmt)
        return "\n".join(self.assign(fmt, "secret", k, n, v, doc, flat=len(items) > 1) for k, n, v in items)

    def negative_block(self, fmt: str, doc: Doc) -> str:
        return self.assign(fmt, "negative", *self.draw_negative(fmt), doc)

    def lines_file(self, fmt: str, doc: Doc, secrets: int, negatives: int) -> str:
        spec = FORMATS[fmt]
        blocks = [self.fill(self.rng.choice(spec.blocks)) for _ in range(self.rng.randint(*spec.count))]
        planted = [self.secret_block(fmt, doc) for _ in range(secrets)]
        planted += [self.negative_block(fmt, doc) for _ in range(negatives)]
        for block in planted:
            blocks.insert(self.rng.randint(0, len(blocks)), block)
        return self.fill(spec.head) + spec.sep.join(blocks) + self.fill(spec.tail) + "\n"

    def json_file(self, doc: Doc, secrets: int, negatives: int) -> str:
        options = ["timeout", "retries", "workers", "region"]
        settings = {f"{self.rng.choice(NOUNS)}_{self.rng.choice(options)}": self.rng.randint(1, 300)
                    for _ in range(self.rng.randint(3, 12))}
        integrations: dict[str, dict[str, str]] = {}
        for _ in range(secrets):
            group = integrations.setdefault(f"{self.rng.choice(NOUNS)}{len(integrations)}", {})
            for kind, name, value in self.draw("json"):
                group[_names(name)["camel"]] = doc.mark("secret", kind, value)
        build = {}
        for i in range(negatives):
            kind, name, value = self.draw_negative("json")
            build[f"{_names(name)['camel']}{i}"] = doc.mark("negative", kind, value)
        data = {"name": self.word("svc"), "version": f"1.{self.rng.randint(0, 40)}.{self.rng.randint(0, 9)}",
                "settings": settings, "integrations": integrations, "build": build}
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    def csv_file(self, doc: Doc, secrets: int, negatives: int) -> str:
        sink = io.StringIO()
        out = csv.writer(sink, lineterminator="\n")
        if not secrets and not negatives:  # an ordinary catalogue export
            out.writerow(["id", "sku", "name", "price", "stock", "updated"])
            for i in range(self.rng.randint(20, 200)):
                out.writerow([i + 1, f"{self.rng.choice(NOUNS)[:3].upper()}-{self.rng.randint(1000, 9999)}",
                              f"{self.rng.choice(VERBS)} {self.rng.choice(NOUNS)}",
                              f"{self.rng.uniform(1, 300):.2f}",
                              self.rng.randint(0, 900), self._tick()[:10]])
            return sink.getvalue()
        rows = [["", self.word("svc"), self.word("env"), self.rng.choice(CREDENTIAL_NAMES),
                 self.rng.choice(["", "(rotated)", "vault:kv/app"]), self._tick()[:10]]
                for _ in range(self.rng.randint(8, 60))]
        for _ in range(secrets):
            rows += [["", self.word("svc"), self.word("env"), name, doc.mark("secret", kind, value),
                      self._tick()[:10]] for kind, name, value in self.draw("csv")]
        for _ in range(negatives):
            kind, name, value = self.draw_negative("csv")
            rows.append(["", self.word("svc"), self.word("env"), name, doc.mark("negative", kind, value),
                         "n/a"])
        self.rng.shuffle(rows)
        out.writerow(["id", "service", "environment", "credential_name", "credential", "rotated_at"])
        out.writerows([[i + 1, *row[1:]] for i, row in enumerate(rows)])
        return sink.getvalue()

    def ipynb_file(self, doc: Doc, secrets: int, negatives: int) -> str:
        def code(source: str, outputs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
            return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs or [],
                    "source": source.splitlines(keepends=True)}

        def stream(text: str) -> list[dict[str, Any]]:
            return [{"name": "stdout", "output_type": "stream", "text": text.splitlines(keepends=True)}]

        cells = [{"cell_type": "markdown", "metadata": {}, "source": [self.fill("# «Noun» «verb» notebook\n"),
                                                                       self.fill("«sentence»")]},
                 code("import os\nimport pandas as pd")]
        cells += [code(self.fill(self.rng.choice(FORMATS["ipynb"].blocks)),
                       stream(f"{self.rng.randint(10, 9000)} rows\n")) for _ in range(self.rng.randint(2, 6))]
        planted: list[dict[str, Any]] = []
        for _ in range(secrets):
            items = self.draw("ipynb")
            if self.rng.random() < 0.6 or len(items) > 1:
                lines = [self.assign("ipynb", "secret", k, n, v, doc) for k, n, v in items]
                planted.append(code("\n".join(lines)))
            else:  # printed by the notebook: the secret sits in the saved output
                kind, name, value = items[0]
                shown = doc.mark("secret", kind, value.replace("\n", "\\n"))
                printed = f"{{'{name.lower()}': '{shown}', 'timeout': 30}}\n"
                planted.append(code("print(settings)", stream(printed)))
        planted += [code(self.negative_block("ipynb", doc)) for _ in range(negatives)]
        for cell in planted:
            cells.insert(self.rng.randint(2, len(cells)), cell)
        kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
        notebook = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
        return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"

    def service_account(self, doc: Doc) -> str:
        """A GCP key file; the label spans its private_key_id and private_key lines."""
        account = json.loads(self.f.gcp_service_account(compact=False))
        lines = []
        for key, value in account.items():
            shown = json.dumps(value)
            if key == "private_key_id":
                shown = '"' + doc.open("secret", "gcp_service_account") + shown[1:]
            elif key == "private_key":
                shown = shown[:-1] + END + '"'
            lines.append(f'  "{key}": {shown}')
        return "{\n" + ",\n".join(lines) + "\n}\n"


def build_file(fmt: str, w: Writer, doc: Doc, secrets: int, negatives: int) -> str:
    if fmt == "key":
        return doc.mark("secret", "private_key", w.f.pem()) + "\n"
    if fmt == "gcp_json":
        return w.service_account(doc)
    if fmt in ("json", "csv", "ipynb"):
        return getattr(w, f"{fmt}_file")(doc, secrets, negatives)  # type: ignore[no-any-return]
    return w.lines_file(fmt, doc, secrets, negatives)


def _package(w: Writer) -> tuple[str, str]:
    name = f"{w.rng.choice(NOUNS)}-{w.rng.choice(VERBS)}" + w.rng.choice(["", "er", "-js", "-utils"])
    version = f"{w.rng.randint(0, 9)}.{w.rng.randint(0, 30)}.{w.rng.randint(0, 20)}"
    return (f"@acme/{name}" if w.rng.random() < 0.2 else name), version


def lock_file(w: Writer, doc: Doc, svc: str) -> tuple[str, str]:
    """package-lock.json, yarn.lock, poetry.lock, go.sum or Cargo.lock: integrity hashes everywhere."""
    f, kind = w.f, w.rng.choice(["npm", "yarn", "poetry", "gosum", "cargo"])
    packages = [_package(w) for _ in range(w.rng.randint(40, 220))]

    def neg(value: str) -> str:
        return doc.mark("negative", "lock_integrity", value)

    if kind == "npm":
        entries = {f"node_modules/{n}": {
            "version": v, "resolved": f"https://registry.npmjs.org/{n}/-/{n.rpartition('/')[2]}-{v}.tgz",
            "integrity": neg("sha512-" + f.b64(f.rng.randbytes(64)))} for n, v in packages}
        data = {"name": svc, "version": "1.0.0", "lockfileVersion": 3, "requires": True,
                "packages": {"": {"name": svc, "version": "1.0.0"}, **entries}}
        return f"{svc}/package-lock.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if kind == "yarn":
        blocks = [f'"{n}@^{v}":\n  version "{v}"\n  resolved "https://registry.yarnpkg.com/{n}/-/{n.rpartition("/")[2]}'
                  f'-{v}.tgz#{neg(f.s(HEX, 40))}"\n  integrity {neg("sha512-" + f.b64(f.rng.randbytes(64)))}'
                  for n, v in packages]
        return f"{svc}/yarn.lock", "# yarn lockfile v1\n\n\n" + "\n\n".join(blocks) + "\n"
    if kind == "poetry":
        blocks = [f'[[package]]\nname = "{n.strip("@").replace("/", "-")}"\nversion = "{v}"\n'
                  f'optional = false\nfiles = [\n    {{file = "{n.rpartition("/")[2]}-{v}.tar.gz", '
                  f'hash = "{neg("sha256:" + f.s(HEX, 64))}"}},\n]' for n, v in packages]
        return f"{svc}/poetry.lock", "\n\n".join(blocks) + '\n\n[metadata]\nlock-version = "2.0"\n'
    if kind == "gosum":
        lines = [f"github.com/{w.rng.choice(PROJECTS)}/{n.rpartition('/')[2]} v{v}{suffix} "
                 f"{neg('h1:' + f.b64(f.rng.randbytes(32)))}"
                 for n, v in packages for suffix in ("", "/go.mod")]
        return f"{svc}/go.sum", "\n".join(lines) + "\n"
    blocks = [f'[[package]]\nname = "{n.rpartition("/")[2]}"\nversion = "{v}"\nsource = "registry+https://github.com/'
              f'rust-lang/crates.io-index"\nchecksum = "{neg(f.s(HEX, 64))}"' for n, v in packages]
    return f"{svc}/Cargo.lock", "version = 3\n\n" + "\n\n".join(blocks) + "\n"


def asset_file(w: Writer, doc: Doc, svc: str) -> tuple[str, str]:
    """An HTML template and stylesheet: subresource integrity, content-hashed names, inline images."""
    f = w.f
    chunk = doc.mark("negative", "css_hash", f"main.{f.s(HEX, 8)}.js")
    sri = doc.mark("negative", "lock_integrity", "sha384-" + f.b64(f.rng.randbytes(48)))
    image = doc.mark("negative", "data_uri_image", _png(f)[len("data:image/png;base64,"):])
    count = w.rng.randint(3, 12)
    names = [doc.mark("negative", "css_hash", "css-" + f.s(LOWER_DIGITS, 7)) for _ in range(count)]
    classes = "\n".join(f'    <div class="{name}">{w.fill("«sentence»")}</div>' for name in names)
    page = (f'<!doctype html>\n<html>\n  <head>\n    <script src="/static/js/{chunk}" integrity="{sri}" '
            'crossorigin="anonymous"></script>\n  </head>\n  <body>\n'
            f'    <img alt="logo" src="data:image/png;base64,{image}">\n{classes}\n  </body>\n</html>\n')
    return f"{svc}/templates/{w.word('noun')}.html", page


def workflow_file(w: Writer, doc: Doc, svc: str) -> tuple[str, str]:
    """CI workflow: actions pinned by commit SHA, image digests, secrets by reference only."""
    f = w.f
    sha = [doc.mark("negative", "git_sha", f.s(HEX, 40)) for _ in range(3)]
    digest = doc.mark("negative", "content_hash", "sha256:" + f.s(HEX, 64))
    refs = [doc.mark("negative", "env_reference", "${{ secrets." + name + " }}")
            for name in w.rng.sample(CREDENTIAL_NAMES, 3)]
    text = (f"name: {w.word('verb')}\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
            f"    container: ghcr.io/acme/{svc}@{digest}\n    env:\n      API_KEY: {refs[0]}\n      TOKEN: "
            f"{refs[1]}\n    steps:\n      - uses: actions/checkout@{sha[0]}\n      - uses: "
            f"actions/setup-python@{sha[1]}\n      - uses: actions/cache@{sha[2]}\n      - run: "
            f"./scripts/deploy.sh\n        env:\n          DEPLOY_TOKEN: {refs[2]}\n")
    return f"{svc}/.github/workflows/{w.word('verb')}.yml", text


def public_key_file(w: Writer, doc: Doc, svc: str) -> tuple[str, str]:
    """authorized_keys and a CA certificate: public material that looks like private."""
    f = w.f
    if w.rng.random() < 0.5:
        keys = [doc.mark("negative", "public_key", w.rng.choice([
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + f.b64(f.rng.randbytes(32))[:43],
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + f.b64(f.rng.randbytes(256))]))
                + f" {w.word('noun')}@{w.word('svc')}" for _ in range(w.rng.randint(2, 8))]
        return f"{svc}/deploy/authorized_keys", "\n".join(keys) + "\n"
    body = f.b64(b"\x30\x82\x03\x5a\x30\x82\x02\x42\xa0\x03\x02\x01\x02" + f.rng.randbytes(850))
    cert = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN CERTIFICATE-----\n{cert}\n-----END CERTIFICATE-----"
    text = doc.mark("negative", "public_key", pem)
    return f"{svc}/certs/{w.word('noun')}-ca.crt", text + "\n"


def changelog_file(w: Writer, doc: Doc, svc: str) -> tuple[str, str]:
    f = w.f
    lines = ["# Changelog", ""]
    for minor in range(w.rng.randint(3, 10), 0, -1):
        lines += [f"## 2.{minor}.0", ""]
        count = w.rng.randint(2, 6)
        shas = [doc.mark("negative", "git_sha", f.s(HEX, w.rng.choice([7, 40]))) for _ in range(count)]
        lines += [f"- {w.fill('«sentence»')} ({sha})" for sha in shas]
        lines.append("")
    return f"{svc}/CHANGELOG.md", "\n".join(lines)


def fixture_file(w: Writer, doc: Doc, svc: str) -> tuple[str, str]:
    """Test fixtures with obviously fake, low-entropy credentials."""
    if w.rng.random() < 0.5:
        users = [{"username": f"{w.word('noun')}{i}", "password": doc.mark("negative", "fixture_low_entropy",
                                                                           w.rng.choice(FIXTURES)),
                  "api_token": doc.mark("negative", "fixture_low_entropy", f"test-token-{i}")}
                 for i in range(w.rng.randint(3, 15))]
        text = json.dumps(users, indent=2, ensure_ascii=False) + "\n"
        return f"{svc}/tests/fixtures/{w.word('noun')}s.json", text
    tests = [f'def test_{w.word("verb")}_{w.word("noun")}_{i}(client):\n'
             f'    response = client.login(username="alice", password="{password}")\n'
             "    assert response.status_code == 200\n"
             for i, password in enumerate(doc.mark("negative", "fixture_low_entropy", w.rng.choice(FIXTURES))
                                          for _ in range(w.rng.randint(3, 10)))]
    return f"{svc}/tests/test_{w.word('noun')}_login.py", "import pytest\n\n\n" + "\n\n".join(tests)


def docs_file(w: Writer, doc: Doc, svc: str) -> tuple[str, str]:
    """Configuration docs: the providers' documented example keys, placeholders and variable references."""
    lines = [f"# Configuring {svc}", "", w.fill("«sentence»"), ""]
    for name, value in w.rng.sample(DOC_EXAMPLES, 2):
        lines += ["```bash", f"export {name}={doc.mark('negative', 'documented_example', value)}", "```", ""]
    for name in w.rng.sample(CREDENTIAL_NAMES, 3):
        lines.append(f"- `{name}`: {doc.mark('negative', 'placeholder', w.rng.choice(PLACEHOLDERS))}")
    reference = doc.mark("negative", "env_reference", 'os.environ["API_KEY"]')
    lines += ["", "Read them from the environment:", "", "```python", f"token = {reference}", "```", ""]
    return f"{svc}/docs/configuration.md", "\n".join(lines)


SPECIAL_NEGATIVES = [lock_file, lock_file, asset_file, workflow_file, public_key_file, changelog_file,
                     fixture_file, docs_file]


def _format(rng: random.Random, allowed: set[str]) -> str:
    names = [n for n in FORMATS if n in allowed]
    return rng.choices(names, weights=[FORMATS[n].weight for n in names])[0]


def _file(cls: str, w: Writer, doc: Doc) -> tuple[str, str, str]:
    """(format, path, text with markers) for one file of class ``cls``."""
    rng, ordinary = w.rng, set(FORMATS) - SECRET_ONLY
    if cls == "hard_negative" and rng.random() < 0.55:
        make = rng.choice(SPECIAL_NEGATIVES)
        path, text = make(w, doc, w.word("svc"))
        return make.__name__.removesuffix("_file"), w.unique(path), text
    if cls == "secret":
        fmt = _format(rng, set(FORMATS))
        count = rng.choices([1, 2, 3, 4, 5], weights=[50, 28, 14, 5, 3])[0]
        negatives = rng.choices([0, 1, 2], weights=[55, 30, 15])[0]
    else:
        fmt = _format(rng, ordinary)
        count, negatives = 0, rng.randint(2, 6) if cls == "hard_negative" else 0
    return fmt, w.path(fmt), build_file(fmt, w, doc, count, negatives)


def generate(out: Path, seed: int = 7, files: int = 1500) -> dict[str, Any]:
    """Write ``files`` files under ``out/corpus`` and their labels to ``out/labels.json``; return them."""
    rng = random.Random(seed)
    writer = Writer(rng)
    counts = {cls: round(files * share) for cls, share in SHARES.items()}
    counts["plain"] = files - counts["secret"] - counts["hard_negative"]
    classes = [cls for cls, n in counts.items() for _ in range(n)]
    rng.shuffle(classes)
    result: dict[str, Any] = {"seed": seed, "files": [], "bytes": 0, "labels": [], "negatives": []}
    for cls in classes:
        doc = Doc()
        fmt, path, marked = _file(cls, writer, doc)
        text, marks = doc.resolve(marked)
        for mark in marks:
            entry = {"path": path, **{k: v for k, v in mark.items() if k != "class"}, "format": fmt}
            result["labels" if mark["class"] == "secret" else "negatives"].append(entry)
        found = {m["class"] for m in marks}
        data = text.encode("utf-8")
        target = out / "corpus" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        result["bytes"] += len(data)
        cls = "secret" if "secret" in found else "hard_negative" if found else "plain"
        result["files"].append({"path": path, "format": fmt, "bytes": len(data), "class": cls})
    (out / "labels.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Counts for a report: files by class and format, labels and negatives by kind, size."""

    def count(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
        tally: dict[str, int] = {}
        for row in rows:
            tally[row[key]] = tally.get(row[key], 0) + 1
        return dict(sorted(tally.items()))

    return {"files": len(result["files"]), "bytes": result["bytes"], "labels": len(result["labels"]),
            "negatives": len(result["negatives"]), "by_class": count(result["files"], "class"),
            "by_format": count(result["files"], "format"), "label_kinds": count(result["labels"], "kind"),
            "negative_kinds": count(result["negatives"], "kind")}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write corpus/ and labels.json into")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--files", type=int, default=1500)
    args = parser.parse_args()
    print(json.dumps(summary(generate(args.out, args.seed, args.files)), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
