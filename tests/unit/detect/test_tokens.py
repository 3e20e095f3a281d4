"""Provider token formats (``_tokens``) and the count of credential formats the scanner knows.

Every token is generated from a seeded ``random.Random``, with the format's checksum or
payload where it has one; none is a real credential, and none is written out here (a
real-looking literal would trip push protection on code hosts).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import re
import string
import zlib

import pytest

from veil.detect import SECRET_ENTITIES, Detector, Entity, builtin_recognizers, detect, hyperscan_available
from veil.detect._engine import _compiles_in_hyperscan
from veil.detect.recognizers import _secret_checks, _tokens

from ._table import assert_linear_time
from .test_secrets import POSITIVE, REQUIRED

RNG = random.Random(20250301)
HEX = "0123456789abcdef"
DIGITS = string.digits
UPPER = string.ascii_uppercase + string.digits
LOWER = string.ascii_lowercase + string.digits
B62 = string.digits + string.ascii_letters
URL64 = string.ascii_letters + string.digits + "-_"
B64 = string.ascii_letters + string.digits + "+/"


def pick(alphabet: str, size: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(size))


def uuid() -> str:
    return f"{pick(HEX, 8)}-{pick(HEX, 4)}-4{pick(HEX, 3)}-a{pick(HEX, 3)}-{pick(HEX, 12)}"


def b64(data: bytes, *, url: bool = False, pad: bool = True) -> str:
    text = (base64.urlsafe_b64encode(data) if url else base64.b64encode(data)).decode()
    return text if pad else text.rstrip("=")


def b64_json(payload: dict[str, object], **kwargs: bool) -> str:
    return b64(json.dumps(payload, separators=(",", ":")).encode(), **kwargs)


def crc_suffixed(body: str) -> str:
    """Atlassian style: the CRC32 of everything before it, 8 upper-case hex digits."""
    return body + f"{zlib.crc32(body.encode()):08X}"


def grafana_service_account() -> str:
    key = "glsa_" + pick(B62, 32)
    return key + "_" + zlib.crc32(key.encode()).to_bytes(4, "little").hex()


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_encode(hrp: str, data: bytes) -> str:
    """BIP 173 encoding, written independently of the check under test."""
    bits = "".join(f"{byte:08b}" for byte in data)
    bits += "0" * (-len(bits) % 5)
    values = [int(bits[i:i + 5], 2) for i in range(0, len(bits), 5)]
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]

    def polymod(items: list[int]) -> int:
        checksum = 1
        for item in items:
            top, checksum = checksum >> 25, (checksum & 0x1FFFFFF) << 5 ^ item
            for i, g in enumerate(generator):
                if top >> i & 1:
                    checksum ^= g
        return checksum

    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + values + [0] * 6) ^ 1
    checksum = [(mod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[v] for v in values + checksum)


def discord_bot_token() -> str:
    user_id = str(RNG.randint(10**17, 10**18 - 1)).encode()
    return f"{b64(user_id, url=True, pad=False)}.{pick(URL64, 6)}.{pick(URL64, 38)}"


def jfrog_reference_token() -> str:
    while True:  # the format is alphanumeric base64: draw until no "+", "/" or "="
        token = b64(b"reftkn:01:0:" + pick(B62, 36).encode())
        if token.isalnum():
            return token


def bedrock_api_key() -> str:
    secret = f"BedrockAPIKey-{pick(LOWER, 4)}-at-{pick(DIGITS, 12)}:{pick(B62, 60)}"
    return "ABSK" + b64(secret.encode())


def line(template: str, value: str) -> tuple[str, str]:
    return template.format(value), value


# pattern name -> (text, value): one line of code or config holding one fake token
EXAMPLES: dict[str, tuple[str, str]] = {
    "atlassian_api_token": line("JIRA_API_TOKEN={}", crc_suffixed("ATATT3xFfGF0" + pick(URL64, 170) + "=")),
    "bitbucket_app_password": line("BITBUCKET_APP_PASSWORD: {}", crc_suffixed("ATBB" + pick(B62, 28))),
    "docker_hub_token": line("echo {} | docker login -u ci --password-stdin", "dckr_pat_" + pick(URL64, 27)),
    "rubygems_api_key": line("GEM_HOST_API_KEY: {}", "rubygems_" + pick(HEX, 48)),
    "crates_io_token": line("CARGO_REGISTRY_TOKEN={}", "cio" + pick(B62, 28) + pick(DIGITS, 4)),
    "nuget_api_key": line("dotnet nuget push pkg.nupkg --api-key {}", "oy2" + pick(LOWER, 39) + pick(DIGITS, 4)),
    "clojars_token": line('(def token "{}")', "CLOJARS_" + pick(LOWER, 60)),
    "jfrog_api_key": line("X-JFrog-Art-Api: {}", "AKCp" + pick(B62, 69)),
    "jfrog_reference_token": line("artifactory_token = '{}'", jfrog_reference_token()),
    "buildkite_token": line("BUILDKITE_API_TOKEN={}", "bkua_" + pick(HEX, 40)),
    "circleci_token": line("circle-token: {}", "CCIPAT_" + pick(B62, 22) + "_" + pick(HEX, 40)),
    "sonarqube_token": line("sonar.token={}", "squ_" + pick(HEX, 40)),
    "sourcegraph_token": line("SRC_ACCESS_TOKEN={}", "sgp_" + pick(HEX, 16) + "_" + pick(HEX, 40)),
    "octopus_deploy_api_key": line("X-Octopus-ApiKey: {}", "API-" + pick(UPPER, 20) + "A1B2C3"),
    "harness_token": line("x-api-key: {}", f"pat.{pick(URL64, 22)}.{pick(B62, 24)}.{pick(B62, 20)}"),
    "postman_api_key": line("POSTMAN_API_KEY={}", f"PMAK-{pick(HEX, 24)}-{pick(HEX, 34)}"),
    "readme_api_key": line("README_API_KEY={}", "rdme_" + pick(LOWER, 70)),
    "figma_token": line("X-Figma-Token: {}", "figd_" + pick(URL64, 40)),
    "linear_api_key": line("LINEAR_API_KEY={}", "lin_api_" + pick(B62, 40)),
    "typeform_token": line("TYPEFORM_TOKEN={}", "tfp_" + pick(URL64, 59)),
    "frameio_token": line("FRAMEIO_TOKEN={}", "fio-u-" + pick(URL64, 64)),
    "contentful_token": line("CONTENTFUL_MANAGEMENT_TOKEN={}", "CFPAT-" + pick(URL64, 43)),
    "aws_session_token": line("aws_session_token = {}", "IQoJb3JpZ2luX2Vj" + pick(B64, 300)),
    "aws_session_token_legacy": line("AWS_SESSION_TOKEN={}", "FwoGZXIvYXdzE" + pick(B64, 300)),
    "aws_bedrock_api_key": line("AWS_BEARER_TOKEN_BEDROCK={}", bedrock_api_key()),
    "azure_ad_client_secret": line('AZURE_CLIENT_SECRET="{}"',
                                   pick(B62, 3) + "8Q~" + pick(B62, 30) + "4_~.-"[RNG.randrange(5)] + "7a1"),
    "alibaba_access_key_id": line("ALIBABA_CLOUD_ACCESS_KEY_ID={}", "LTAI" + pick(B62, 16) + pick(DIGITS, 4)),
    "digitalocean_token": line("DIGITALOCEAN_TOKEN={}", "dop_v1_" + pick(HEX, 64)),
    "vault_service_token": line("VAULT_TOKEN={}", "hvs." + pick(URL64, 91)),
    "vault_batch_token": line("vault login {}", "hvb." + pick(URL64, 150)),
    "terraform_cloud_token": line('token = "{}"', f"{pick(B62, 14)}.atlasv1.{pick(URL64, 67)}"),
    "pulumi_access_token": line("PULUMI_ACCESS_TOKEN={}", "pul-" + pick(HEX, 40)),
    "doppler_token": line("DOPPLER_TOKEN={}", "dp.st.prd." + pick(B62, 40)),
    "tailscale_key": line("tailscale up --authkey={}", f"tskey-auth-k{pick(B62, 11)}CNTRL-{pick(B62, 32)}"),
    "flyio_org_token": line("FLY_API_TOKEN={}", "fo1_" + pick(URL64, 43)),
    "flyio_macaroon": line('FLY_API_TOKEN="FlyV1 {}"', "fm2_" + pick(B64, 200)),
    "heroku_api_key": line("HEROKU_API_KEY={}", "HRKU-AA" + pick(URL64, 58)),
    "cloudflare_origin_ca_key": line("CF_ORIGIN_CA_KEY={}", f"v1.0-{pick(HEX, 24)}-{pick(HEX, 146)}"),
    "databricks_pat": line("DATABRICKS_TOKEN={}", "dapi" + pick(HEX, 32)),
    "databricks_oauth_secret": line("client_secret: {}", "dose" + pick(HEX, 32)),
    "supabase_access_token": line("SUPABASE_ACCESS_TOKEN={}", "sbp_" + pick(HEX, 40)),
    "supabase_secret_key": line("SUPABASE_SECRET_KEY={}", "sb_secret_" + pick(B62, 31)),
    "planetscale_service_token": line("PLANETSCALE_SERVICE_TOKEN={}", "pscale_tkn_" + pick(URL64, 43)),
    "planetscale_password": line("DATABASE_PASSWORD={}", "pscale_pw_" + pick(URL64, 43)),
    "planetscale_oauth_token": line("token: {}", "pscale_oauth_" + pick(URL64, 43)),
    "openshift_user_token": line("oc login --token={}", "sha256~" + pick(URL64, 43)),
    "prefect_api_key": line("PREFECT_API_KEY={}", "pnu_" + pick(B62, 36)),
    "deno_deploy_token": line("DENO_DEPLOY_TOKEN={}", "ddp_" + pick(B62, 36)),
    "infracost_api_key": line("INFRACOST_API_KEY={}", "ico-" + pick(B62, 32)),
    "onepassword_service_token": line("OP_SERVICE_ACCOUNT_TOKEN={}", "ops_" + b64_json({
        "signInAddress": "acme.1password.com", "userAuth": {"method": "SRPg-4096", "alg": "PBES2g-HS256",
                                                             "iterations": 650000, "salt": pick(URL64, 22)},
        "email": pick(LOWER, 10) + "@1passwordserviceaccounts.com", "srpX": pick(HEX, 64),
        "muk": {"alg": "A256GCM", "ext": True, "k": pick(URL64, 43), "kty": "oct"},
        "secretKey": "A3-" + pick(UPPER, 6), "deviceUuid": pick(LOWER, 26)})),
    "onepassword_secret_key": line("1PASSWORD_SECRET_KEY={}", "A3-" + "-".join(
        [pick(UPPER, 6), pick(UPPER, 6), pick(UPPER, 5), pick(UPPER, 5), pick(UPPER, 5), "9Z8Y7"])),
    "age_secret_key": line("# created: 2024-05-01\n{}\n", bech32_encode("age-secret-key-", RNG.randbytes(32)).upper()),
    "grafana_cloud_token": line("GRAFANA_CLOUD_TOKEN={}", "glc_" + b64_json(
        {"o": pick(DIGITS, 6), "n": "stack-" + pick(DIGITS, 6) + "-hm-read", "k": pick(B62, 24),
         "m": {"r": "prod-eu-west-2"}})),
    "grafana_service_account_token": line("Authorization: Bearer {}", grafana_service_account()),
    "grafana_api_key": line("grafana_api_key: {}", b64_json({"k": pick(B62, 32), "n": "deploy", "id": 1})),
    "sentry_user_token": line("SENTRY_AUTH_TOKEN={}", "sntryu_" + pick(HEX, 64)),
    "sentry_org_token": line("SENTRY_AUTH_TOKEN={}", "sntrys_" + b64_json(
        {"iat": 1717000000.5, "url": "https://sentry.io", "region_url": "https://us.sentry.io", "org": "acme"})
                             + "_" + pick(B64, 43)),
    "sentry_dsn": line("SENTRY_DSN={}", f"https://{pick(HEX, 32)}:{pick(HEX, 32)}@o{pick(DIGITS, 6)}.ingest.us.sentry.io/"
                                        f"{pick(DIGITS, 7)}"),
    "dynatrace_token": line("DT_API_TOKEN={}", f"dt0c01.{pick(UPPER, 24)}.{pick(UPPER, 64)}"),
    "newrelic_user_key": line("NEW_RELIC_API_KEY={}", "NRAK-" + pick(UPPER, 24) + "7Q2"),
    "newrelic_insert_key": line("X-Insert-Key: {}", "NRII-" + pick(URL64, 28) + "3k9Z"),
    "newrelic_license_key": line("license_key: {}", "eu01xx" + pick(HEX, 30) + "NRAL"),
    "notion_token": line("NOTION_TOKEN={}", "ntn_" + pick(DIGITS, 11) + pick(B62, 35)),
    "notion_legacy_token": line("notion = Client(auth='{}')", "secret_" + pick(B62, 40) + "4k2"),
    "telegram_bot_token": line("https://api.telegram.org/bot{}/getMe",
                               str(RNG.randint(10**9, 10**10 - 1)) + ":AA" + pick(URL64, 33)),
    "discord_bot_token": line("client.run('{}')", discord_bot_token()),
    "discord_webhook": line("DISCORD_WEBHOOK={}",
                            f"https://discord.com/api/webhooks/{pick(DIGITS, 18)}/{pick(URL64, 68)}"),
    "teams_webhook": line("TEAMS_WEBHOOK_URL={}", f"https://acme.webhook.office.com/webhookb2/{uuid()}@{uuid()}"
                                                  f"/IncomingWebhook/{pick(HEX, 32)}/{uuid()}"),
    "mailgun_api_key": line("MAILGUN_API_KEY={}", "key-" + pick(HEX, 32)),
    "mailchimp_api_key": line("MAILCHIMP_KEY={}", pick(HEX, 29) + "a1b-us14"),
    "brevo_api_key": line("BREVO_API_KEY={}", f"xkeysib-{pick(HEX, 64)}-{pick(B62, 16)}"),
    "twitter_bearer_token": line("TWITTER_BEARER_TOKEN={}", "A" * 22 + pick(B62, 60) + "%3D" + pick(B62, 28)),
    "facebook_access_token": line("FB_PAGE_TOKEN={}", "EAAB" + pick(B62, 176) + "9x8"),
    "okta_api_token": line("OKTA_API_TOKEN={}", "00" + pick(URL64, 36) + "Zk42"),
    "hubspot_token": line("HUBSPOT_ACCESS_TOKEN={}", "pat-na1-" + uuid()),
    "salesforce_access_token": line("sf_session: {}", "00D" + pick(B62, 12) + "!AQ" + pick(B62 + "_.", 94) + "z"),
    "airtable_token": line("AIRTABLE_TOKEN={}", f"pat{pick(B62, 14)}.{pick(HEX, 64)}"),
    "adafruit_io_key": line("ADAFRUIT_IO_KEY={}", "aio_" + pick(B62, 24) + "8c3d"),
    "stripe_webhook_secret": line("STRIPE_WEBHOOK_SECRET={}", "whsec_" + pick(B62, 32)),
    "square_access_token": line("square_token = '{}'", "sq0atp-" + pick(URL64, 22)),
    "square_oauth_secret": line("SQUARE_APP_SECRET={}", "sq0csp-" + pick(URL64, 43)),
    "square_access_token_v2": line("SQUARE_ACCESS_TOKEN={}", "EAAA" + pick(URL64, 60)),
    "braintree_access_token": line("BT_TOKEN={}", f"access_token$production${pick(LOWER, 16)}${pick(HEX, 32)}"),
    "plaid_access_token": line("plaid_access_token: {}", "access-sandbox-" + uuid()),
    "flutterwave_secret_key": line("FLW_SECRET_KEY={}", f"FLWSECK_TEST-{pick('abcdefgh0123456789', 32)}-X"),
    "shopify_access_token": line("X-Shopify-Access-Token: {}", "shpat_" + pick(HEX, 32)),
    "shopify_shared_secret": line("SHOPIFY_API_SECRET={}", "shpss_" + pick(HEX, 32)),
    "shippo_api_token": line("Authorization: ShippoToken {}", "shippo_live_" + pick(HEX, 40)),
    "duffel_api_token": line("DUFFEL_TOKEN={}", "duffel_test_" + pick(URL64, 43)),
    "easypost_api_key": line("EASYPOST_API_KEY={}", "EZAK" + pick(B62, 54)),
    "google_oauth_client_secret": line('"client_secret": "{}"', "GOCSPX-" + pick(URL64, 28)),
    "google_refresh_token": line('"refresh_token": "{}"', "1//0" + pick(URL64, 99)),
    "google_access_token": line("Authorization: Bearer {}", "ya29." + pick(URL64, 150)),
    "firebase_fcm_server_key": line("Authorization: key={}", f"AAAA{pick(URL64, 7)}:APA91b{pick(URL64, 134)}"),
    "mapbox_secret_token": line("MAPBOX_DOWNLOADS_TOKEN={}", "sk." + b64_json(
        {"u": "acme", "a": pick(LOWER, 25)}, url=True, pad=False) + "." + pick(URL64, 22)),
    "replicate_api_token": line("REPLICATE_API_TOKEN={}", "r8_" + pick(B62, 33) + "9d7e"),
    "groq_api_key": line("GROQ_API_KEY={}", "gsk_" + pick(B62, 52)),
    "perplexity_api_key": line("PPLX_API_KEY={}", "pplx-" + pick(B62, 48)),
    "xai_api_key": line("XAI_API_KEY={}", "xai-" + pick(B62, 80)),
    "openrouter_api_key": line("OPENROUTER_API_KEY={}", "sk-or-v1-" + pick(HEX, 64)),
    "langsmith_api_key": line("LANGSMITH_API_KEY={}", f"lsv2_pt_{pick(HEX, 32)}_{pick(HEX, 10)}"),
    "langfuse_secret_key": line("LANGFUSE_SECRET_KEY={}", "sk-lf-" + uuid()),
    "pinecone_api_key": line("PINECONE_API_KEY={}", f"pcsk_{pick(B62, 5)}_{pick(B62, 63)}"),
    "nvidia_api_key": line("NVIDIA_API_KEY={}", "nvapi-" + pick(URL64, 64)),
    "elevenlabs_api_key": line("ELEVENLABS_API_KEY={}", "sk_" + pick(HEX, 44) + "a1b2"),
    "yandex_api_key": line("YC_API_KEY={}", "AQVN" + pick(URL64, 36)),
    "maxmind_license_key": line("MAXMIND_LICENSE_KEY={}", f"{pick(B62, 6)}_{pick(B62, 27)}42_mmk"),
}

TOKENS_ONLY = Detector(recognizers=_tokens.RECOGNIZERS)
TOKENS_RE = Detector(recognizers=_tokens.RECOGNIZERS, use_hyperscan=False)
RULE_OF = {p.name: r.name for r in _tokens.RECOGNIZERS for p in r.patterns}
ENTITY_OF = {r.name: r.entity for r in _tokens.RECOGNIZERS}


def findings(detector: Detector, text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], f.recognizer) for f in detector.detect(text)]


@pytest.mark.parametrize("pattern", sorted(EXAMPLES))
@pytest.mark.parametrize("detector", [TOKENS_ONLY, TOKENS_RE], ids=["hyperscan", "re"])
def test_token_table_reports_the_value_under_its_rule(detector: Detector, pattern: str) -> None:
    text, value = EXAMPLES[pattern]
    assert findings(detector, text) == [(value, RULE_OF[pattern])]


@pytest.mark.parametrize("pattern", sorted(EXAMPLES))
def test_default_detector_reports_each_token_as_a_secret(pattern: str) -> None:
    text, value = EXAMPLES[pattern]
    start = text.index(value)
    reported = {(f.start, f.end, f.recognizer, str(f.entity)) for f in detect(text)}
    rule = RULE_OF[pattern]
    assert (start, start + len(value), rule, str(ENTITY_OF[rule])) in reported


def test_every_token_pattern_has_an_example() -> None:
    assert set(EXAMPLES) == set(RULE_OF)


def test_new_providers_use_api_key_and_every_token_is_a_secret() -> None:
    assert Entity.API_KEY in SECRET_ENTITIES
    assert {r.entity for r in _tokens.RECOGNIZERS} <= SECRET_ENTITIES
    assert sum(r.entity == Entity.API_KEY for r in _tokens.RECOGNIZERS) >= 60


# -- the count of formats, each with a positive example ---------------------------------------

SECRET_RECOGNIZERS = [r for r in builtin_recognizers() if r.entity in SECRET_ENTITIES]
FORMATS = [(r, p) for r in SECRET_RECOGNIZERS if r.name != "generic_secret" for p in r.patterns]
# Every positive text of the secret tables: the provider tokens above, test_secrets' tables.
ALL_POSITIVE_TEXTS = [text for text, _ in EXAMPLES.values()] + [t for t, _ in POSITIVE] + [t for t, _ in REQUIRED]


def test_at_least_sixty_credential_formats() -> None:
    assert len({(p.regex, p.flags) for _, p in FORMATS}) >= 60


def test_pattern_names_are_unique_among_secret_recognizers() -> None:
    names = [p.name for _, p in FORMATS]
    assert len(names) == len(set(names))


def test_recognizer_names_are_unique() -> None:
    names = [r.name for r in builtin_recognizers()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(("recognizer", "pattern"), FORMATS, ids=[p.name for _, p in FORMATS])
def test_every_format_matches_one_of_the_positive_examples(recognizer: object, pattern: object) -> None:
    # A detector holding only this pattern: its findings are this format's alone.
    only = dataclasses.replace(recognizer, patterns=(pattern,))  # type: ignore[type-var]
    detector = Detector(recognizers=[only], use_hyperscan=False)
    assert any(detector.detect(text) for text in ALL_POSITIVE_TEXTS)


@pytest.mark.skipif(not hyperscan_available(), reason="no Hyperscan wheel on this platform")
@pytest.mark.parametrize(("recognizer", "pattern"), FORMATS, ids=[p.name for _, p in FORMATS])
def test_every_format_compiles_in_hyperscan(recognizer: object, pattern: object) -> None:
    assert _compiles_in_hyperscan(pattern.regex, pattern.flags)  # type: ignore[attr-defined]


def test_token_patterns_start_with_their_literal_prefix() -> None:
    # Only formats without a prefix may start with a character class or a lookbehind.
    unprefixed = {"azure_ad_client_secret", "terraform_cloud_token", "newrelic_license_key",
                  "telegram_bot_token", "discord_bot_token", "mailchimp_api_key", "maxmind_license_key"}
    for recognizer in _tokens.RECOGNIZERS:
        for pattern in recognizer.patterns:
            starts_literal = re.match(r"(?:\(\?:)?[A-Za-z0-9]", pattern.regex) is not None
            assert starts_literal or pattern.name in unprefixed, pattern.name


# -- checks and hard negatives ----------------------------------------------------------------

def _changed(token: str, index: int) -> str:
    replacement = "B" if token[index] != "B" else "C"
    return token[:index] + replacement + token[index + 1:]


@pytest.mark.parametrize("pattern", ["atlassian_api_token", "bitbucket_app_password",
                                     "grafana_service_account_token", "age_secret_key"])
def test_checksummed_token_with_one_changed_character_is_rejected(pattern: str) -> None:
    text, value = EXAMPLES[pattern]
    for index in (len(value) // 2, len(value) - 3):
        changed = _changed(value, index)
        assert findings(TOKENS_ONLY, text.replace(value, changed)) == []


def test_bech32_known_answers() -> None:
    # Valid strings from BIP 173's test vectors, and the same with one character changed.
    assert _secret_checks.bech32("A12UEL5L")
    assert _secret_checks.bech32("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw")
    assert not _secret_checks.bech32("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx")
    assert not _secret_checks.bech32("A12UEL5LX")


@pytest.mark.parametrize("pattern", ["grafana_cloud_token", "grafana_api_key", "sentry_org_token",
                                     "onepassword_service_token", "mapbox_secret_token", "discord_bot_token",
                                     "jfrog_reference_token", "aws_bedrock_api_key"])
def test_token_whose_payload_does_not_decode_is_rejected(pattern: str) -> None:
    text, value = EXAMPLES[pattern]
    leads = {"grafana_api_key": 8, "discord_bot_token": 0, "jfrog_reference_token": 14,
             "aws_bedrock_api_key": 22}
    lead = leads[pattern] if pattern in leads else value.index("eyJ") + 3
    scrambled = value[:lead] + "".join(RNG.sample(value[lead:lead + 20], 20)) + value[lead + 20:]
    assert findings(TOKENS_ONLY, text.replace(value, scrambled)) == []


@pytest.mark.parametrize("pattern", ["crates_io_token", "mailgun_api_key", "notion_legacy_token",
                                     "twitter_bearer_token", "okta_api_token"])
def test_weak_prefix_needs_a_context_word(pattern: str) -> None:
    _, value = EXAMPLES[pattern]
    assert findings(TOKENS_ONLY, f"value = {value}") == []


TOKEN_NEGATIVE = [
    "shpat_" + "x" * 32,
    "dop_v1_" + "0" * 64,
    "hvs." + "x" * 91,
    f"glsa_{'a' * 32}_{'0' * 8}",
    "sk-or-v1-" + pick(HEX, 60),                     # too short
    "ghp_ and ntn_" + pick(DIGITS, 11),              # prefixes alone
    "AGE-SECRET-KEY-1" + "Q" * 58,                   # bech32 alphabet, checksum wrong
    f"see {pick(HEX, 32)}-usage for the bucket",     # hex and "-us" but not a Mailchimp key
    "MyLongClassNameForTheServerX.method.another_long_identifier_xx",  # dotted code, not Discord
    "the fastapi_" + pick(HEX, 32) + " cache key",   # "dapi" inside a word
    "path/to/pattern_" + pick(B62, 14) + ".json",    # "pat" inside a word
    "url = https://example.com/api/webhooks/123/abc",
    "EAA" + "A" * 100,                               # Facebook prefix, placeholder body
    f"https://{pick(HEX, 32)}@o{pick(DIGITS, 6)}.ingest.sentry.io/{pick(DIGITS, 7)}",  # a public DSN
]


@pytest.mark.parametrize("text", TOKEN_NEGATIVE)
@pytest.mark.parametrize("detector", [TOKENS_ONLY, TOKENS_RE], ids=["hyperscan", "re"])
def test_token_hard_negative_is_not_reported(detector: Detector, text: str) -> None:
    assert findings(detector, text) == []


# -- linear time --------------------------------------------------------------------------------

_UNITS = ["shpat_", "AAAA", "A" * 21, "EAA", "dp.st.", "1//0", "hv", "00D", "pat.", "sk.eyJ", "glc_",
          "AT", "ATATT3", "Q~", ":AA", "-us1", "NRAL", ".atlasv1.", "M" + "a" * 24 + ".", "sntrys_eyJ",
          "ops_eyJ", "https://a.webhook.office.com/webhookb2/", "access_token$production$",
          "0123456789:AA", "aB3dE5_", "fm2_"]


@pytest.mark.slow
@pytest.mark.parametrize("unit", _UNITS)
@pytest.mark.parametrize("use_hyperscan", [True, False], ids=["hyperscan", "re"])
def test_token_patterns_run_in_linear_time(unit: str, use_hyperscan: bool) -> None:
    assert_linear_time(Detector(recognizers=_tokens.RECOGNIZERS, use_hyperscan=use_hyperscan), unit)


@pytest.mark.slow
@pytest.mark.parametrize("pattern", sorted(EXAMPLES)[::7])
def test_a_run_of_one_token_runs_in_linear_time(pattern: str) -> None:
    assert_linear_time(TOKENS_RE, EXAMPLES[pattern][1] + " ")
