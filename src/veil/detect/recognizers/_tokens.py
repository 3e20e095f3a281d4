"""Provider tokens beyond the families in ``_secrets``: one row per credential format.

Each row names the rule (the recognizer name, a stable scanner rule id), its
patterns, its length bounds and any structural check (checksum, decodable
payload). Patterns start with the format's literal prefix, so the Hyperscan
prefilter skips them on texts without it and ``re`` searches for the literal; the
lookbehind right after the prefix (``shpss_(?<![...]shpss_)``) says the prefix
starts a run, which keeps every pattern linear. Counted repeats right after a
prefix keep a minimum of 24 or less (see ``_secrets``); the row's ``size`` holds
the exact length.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from veil.detect._entities import Entity
from veil.detect._recognizer import Pattern, Recognizer, Validator
from veil.detect.recognizers import _secret_checks as check

_PRIORITY = 95  # as the provider tokens in _secrets: above generic secrets and PII
_WORD = "A-Za-z0-9_"
# Class bodies; "-" escaped so more characters may follow it.
_URL64 = r"A-Za-z0-9_\-"
_DOTTED = r"A-Za-z0-9_.\-"
_B64_BODY = "A-Za-z0-9+/"
_B64 = _B64_BODY + "="
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _starts(lead: str | tuple[str, ...], rest: str, chars: str = _WORD, end: str = "") -> str:
    """``lead`` (literal, or same-length literals) not preceded by ``chars``, then ``rest``,
    then no character of ``end`` (default ``chars``)."""
    leads = (lead,) if isinstance(lead, str) else lead
    literal = "|".join(map(re.escape, leads))
    literal = literal if len(leads) == 1 else f"(?:{literal})"
    return rf"{literal}(?<![{chars}]{literal}){rest}(?![{end or chars}])"


def _alone(regex: str, chars: str = _WORD) -> str:
    """For the few formats without a prefix: no character of ``chars`` on either side."""
    return rf"(?<![{chars}]){regex}(?![{chars}])"


class _Row(NamedTuple):
    name: str
    patterns: dict[str, str]
    size: tuple[int, int] = (0, 100_000)
    check: Validator | None = None
    entity: Entity = Entity.API_KEY
    context: tuple[str, ...] = ()
    needs_context: bool = False
    score: float = 0.95
    skip: int = 0  # characters of a fixed prefix the placeholder test ignores (runs of A)


_TABLE: tuple[_Row, ...] = (
    # -- source hosting, registries, CI ------------------------------------------------------
    _Row("atlassian_api_token", {"atlassian_api_token": _starts("AT", r"(?:ATT|CTT)3[A-Za-z0-9_=-]{24,300}",
                                                                _URL64, _URL64 + "=")},
         (100, 300), check.crc32_hex_suffix),
    _Row("bitbucket_app_password", {"bitbucket_app_password": _starts("ATBB", r"[A-Za-z0-9_=.-]{24,120}",
                                                                      _URL64, _DOTTED + "=")},
         (32, 130), check.crc32_hex_suffix),
    _Row("docker_hub_token", {"docker_hub_token": _starts("dckr_", r"(?:pat|oat)_[A-Za-z0-9_-]{24,40}",
                                                          _URL64)}, (36, 49)),
    _Row("rubygems_api_key", {"rubygems_api_key": _starts("rubygems_", r"[a-f0-9]{24,48}")}, (57, 57)),
    _Row("crates_io_token", {"crates_io_token": _starts("cio", r"[A-Za-z0-9]{24,32}", "A-Za-z0-9")},
         (35, 35), check.varied(35, 35, digits=2), context=("cargo", "crates", "crates.io", "registry"),
         needs_context=True, score=0.6),
    _Row("nuget_api_key", {"nuget_api_key": _starts("oy2", r"[a-z0-9]{24,43}", "A-Za-z0-9")}, (46, 46),
         check.varied(46, 46, digits=2)),
    _Row("clojars_token", {"clojars_token": _starts("CLOJARS_", r"[a-z0-9]{24,60}")}, (68, 68)),
    _Row("jfrog_api_key", {"jfrog_api_key": _starts("AKCp", r"[A-Za-z0-9]{24,69}", "A-Za-z0-9")}, (73, 73)),
    _Row("jfrog_reference_token", {"jfrog_reference_token": _starts("cmVmdGtuOjAxOj", r"[A-Za-z0-9]{24,120}",
                                                                    "A-Za-z0-9")},
         (64, 134), check.decodes_to_text(0, b"reftkn:01:")),
    _Row("buildkite_token", {"buildkite_token": _starts("bkua_", r"[a-f0-9]{24,40}")}, (45, 45)),
    _Row("circleci_token", {"circleci_token": _starts("CCIP", r"(?:AT|RJ)_[A-Za-z0-9]{22}_[a-f0-9]{40}")},
         (70, 70)),
    _Row("sonarqube_token", {"sonarqube_token": _starts("sq", r"[apu]_[a-f0-9]{24,40}")}, (44, 44)),
    _Row("sourcegraph_token", {"sourcegraph_token": _starts("sgp_", r"(?:[a-f0-9]{16}_|local_)?[a-f0-9]{40}")},
         (44, 61)),
    _Row("octopus_deploy_api_key", {"octopus_deploy_api_key": _starts("API-", r"[A-Z0-9]{24,26}", _URL64)},
         (30, 30), check.varied(30, 30, digits=3, letters=3)),
    _Row("harness_token", {"harness_token": _starts(("pat.", "sat."),
                                                    r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}",
                                                    _DOTTED)}),
    _Row("postman_api_key", {"postman_api_key": _starts("PMAK-", r"[a-f0-9]{24}-[a-f0-9]{34}", _URL64)}),
    _Row("readme_api_key", {"readme_api_key": _starts("rdme_", r"[a-z0-9]{24,70}")}, (75, 75)),
    _Row("figma_token", {"figma_token": _starts("figd_", r"[A-Za-z0-9_-]{24,42}", _URL64)}, (43, 47)),
    _Row("linear_api_key", {"linear_api_key": _starts("lin_api_", r"[A-Za-z0-9]{24,40}")}, (48, 48)),
    _Row("typeform_token", {"typeform_token": _starts("tfp_", r"[A-Za-z0-9_.=-]{24,70}", _URL64, _DOTTED + "=")},
         (55, 74)),
    _Row("frameio_token", {"frameio_token": _starts("fio-u-", r"[A-Za-z0-9_=-]{24,64}", _URL64, _URL64 + "=")},
         (70, 70)),
    _Row("contentful_token", {"contentful_token": _starts("CFPAT-", r"[A-Za-z0-9_-]{24,43}", _URL64)},
         (49, 49)),
    # -- cloud, infrastructure, secrets managers ----------------------------------------------
    _Row("aws_session_token", {
        "aws_session_token": _starts("IQoJb3JpZ2luX2Vj", r"[A-Za-z0-9/+=]{24,4000}", _B64_BODY, _B64),
        "aws_session_token_legacy": _starts("FwoGZXIvYXdzE", r"[A-Za-z0-9/+=]{24,4000}", _B64_BODY, _B64),
    }, (100, 4100), entity=Entity.AWS_SECRET_KEY),
    _Row("aws_bedrock_api_key", {"aws_bedrock_api_key": _starts("ABSKQmVkcm9ja0FQSUtleS",
                                                                r"[A-Za-z0-9+/]{24,300}={0,2}", _B64_BODY, _B64)},
         (100, 330), check.decodes_to_text(4, b"BedrockAPIKey-"), entity=Entity.AWS_SECRET_KEY),
    _Row("azure_ad_client_secret", {"azure_ad_client_secret": _alone(
        r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}", "A-Za-z0-9_~.-")},
         (37, 40), check.varied(37, 40, digits=2), entity=Entity.AZURE_KEY, score=0.9),
    _Row("alibaba_access_key_id", {"alibaba_access_key_id": _starts("LTAI", r"[A-Za-z0-9]{12,20}",
                                                                    "A-Za-z0-9")},
         (16, 24), check.varied(16, 24, digits=1), score=0.9),
    _Row("digitalocean_token", {"digitalocean_token": _starts("do", r"[opr]_v1_[a-f0-9]{24,64}")}, (71, 71)),
    _Row("hashicorp_vault_token", {
        "vault_service_token": _starts("hv", r"[sr]\.[A-Za-z0-9_-]{24,400}", _URL64),
        "vault_batch_token": _starts("hvb.", r"[A-Za-z0-9_-]{24,400}", _URL64),
    }, (90, 410)),
    _Row("terraform_cloud_token", {"terraform_cloud_token": _alone(
        r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}", _URL64)}),
    _Row("pulumi_access_token", {"pulumi_access_token": _starts("pul-", r"[a-f0-9]{24,40}", _URL64)}, (44, 44)),
    _Row("doppler_token", {"doppler_token": _starts(
        "dp.", r"(?:pt|ct|sa|scim|audit|st(?:\.[a-z0-9_-]{2,35})?)\.[A-Za-z0-9]{24,44}", _DOTTED)}, (46, 90)),
    _Row("tailscale_key", {"tailscale_key": _starts("tskey-", r"[a-z]{3,8}-[A-Za-z0-9]{8,32}-[A-Za-z0-9]{16,64}",
                                                    _URL64)}),
    _Row("flyio_token", {
        "flyio_org_token": _starts("fo1_", r"[A-Za-z0-9_-]{24,43}", _URL64),
        "flyio_macaroon": _starts("fm", r"(?:1[ar]|2)_[A-Za-z0-9+/]{24,4000}={0,3}", _B64_BODY + "_", _B64),
    }, (47, 4010)),
    _Row("heroku_api_key", {"heroku_api_key": _starts("HRKU-AA", r"[A-Za-z0-9_-]{24,58}", _URL64)}, (65, 65)),
    _Row("cloudflare_origin_ca_key", {"cloudflare_origin_ca_key": _starts(
        "v1.0-", r"[a-f0-9]{24}-[a-f0-9]{24,146}", _DOTTED)}, (176, 176)),
    _Row("databricks_token", {
        "databricks_pat": _starts("dapi", r"[a-f0-9]{24,32}(?:-[0-9])?", _URL64),
        "databricks_oauth_secret": _starts("dose", r"[a-f0-9]{24,32}", _URL64),
    }, (36, 38)),
    _Row("supabase_token", {
        "supabase_access_token": _starts("sbp_", r"[a-f0-9]{24,40}"),
        "supabase_secret_key": _starts("sb_secret_", r"[A-Za-z0-9_-]{24,64}", _URL64),
    }, (34, 74)),
    _Row("planetscale_token", {
        "planetscale_service_token": _starts("pscale_tkn_", r"[A-Za-z0-9_.=-]{24,64}", _URL64, _DOTTED + "="),
        "planetscale_password": _starts("pscale_pw_", r"[A-Za-z0-9_.=-]{24,64}", _URL64, _DOTTED + "="),
        "planetscale_oauth_token": _starts("pscale_oauth_", r"[A-Za-z0-9_.=-]{24,64}", _URL64, _DOTTED + "="),
    }, (42, 77)),
    _Row("openshift_user_token", {"openshift_user_token": _starts("sha256~", r"[A-Za-z0-9_-]{24,43}", _URL64)},
         (50, 50)),
    _Row("prefect_api_key", {"prefect_api_key": _starts("pnu_", r"[A-Za-z0-9]{24,36}")}, (40, 40)),
    _Row("deno_deploy_token", {"deno_deploy_token": _starts("dd", r"[pw]_[A-Za-z0-9]{24,36}")}, (40, 40)),
    _Row("infracost_api_key", {"infracost_api_key": _starts("ico-", r"[A-Za-z0-9]{24,32}", _URL64)}, (36, 36)),
    _Row("onepassword_service_account_token", {"onepassword_service_token": _starts(
        "ops_eyJ", r"[A-Za-z0-9+/]{24,8000}={0,3}", _B64_BODY + "_", _B64)},
         (250, 8010), check.json_payload("ops_")),
    _Row("onepassword_secret_key", {"onepassword_secret_key": _starts(
        "A3-", r"[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",
        _URL64)}, (34, 40), check.varied(34, 40, digits=3, letters=3)),
    _Row("age_secret_key", {"age_secret_key": _starts("AGE-SECRET-KEY-1",
                                                      r"[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{24,58}", _URL64)},
         (74, 74), check.bech32, entity=Entity.PRIVATE_KEY),
    # -- observability ------------------------------------------------------------------------
    _Row("grafana_cloud_token", {"grafana_cloud_token": _starts("glc_", r"[A-Za-z0-9+/]{24,400}={0,2}",
                                                                _B64_BODY + "_", _B64)},
         (36, 410), check.json_payload("glc_", "o", "k")),
    _Row("grafana_service_account_token", {"grafana_service_account_token": _starts(
        "glsa_", r"[A-Za-z0-9]{24,32}_[A-Fa-f0-9]{8}")}, (46, 46), check.grafana_service_account),
    _Row("grafana_api_key", {"grafana_api_key": _starts("eyJrIjoi", r"[A-Za-z0-9+/]{24,400}={0,2}",
                                                        _B64_BODY + r"_.\-", _B64)},
         (70, 410), check.json_payload("", "k", "n")),
    _Row("sentry_user_token", {"sentry_user_token": _starts("sntryu_", r"[a-f0-9]{24,64}")}, (71, 71)),
    _Row("sentry_org_token", {"sentry_org_token": _starts("sntrys_", r"eyJ[A-Za-z0-9+/=]{24,1000}_[A-Za-z0-9+/]{43}",
                                                          _B64_BODY + "_", _B64 + "_")},
         (80, 1060), check.json_payload("sntrys_", "iat", end="_")),
    # Only the legacy DSN with its secret part: a public DSN is meant to ship in client code.
    _Row("sentry_dsn", {"sentry_dsn": _starts(
        "http", r"s?://[a-f0-9]{32}:[a-f0-9]{32}@(?:[a-z0-9-]{1,63}\.){0,5}sentry\.io/[0-9]{1,12}",
        "A-Za-z0-9", "0-9")}, score=0.9),
    _Row("dynatrace_token", {"dynatrace_token": _starts("dt0c01.", r"[A-Z0-9]{24}\.[A-Z0-9]{64}", _DOTTED)}),
    _Row("newrelic_key", {
        "newrelic_user_key": _starts("NRAK-", r"[A-Za-z0-9]{24,27}", _URL64),
        "newrelic_insert_key": _starts("NRII-", r"[A-Za-z0-9_-]{24,32}", _URL64),
        "newrelic_license_key": _alone(r"[a-z0-9]{36}NRAL", "A-Za-z0-9"),
    }, (32, 40), check.varied(32, 40, digits=3)),
    # -- collaboration, messaging, webhooks ---------------------------------------------------
    _Row("notion_token", {"notion_token": _starts("ntn_", r"[0-9]{11}[A-Za-z0-9]{24,35}")}, (50, 50)),
    _Row("notion_legacy_token", {"notion_legacy_token": _starts("secret_", r"[A-Za-z0-9]{24,43}")},
         (50, 50), check.varied(50, 50, digits=3), context=("notion",), needs_context=True, score=0.6),
    # The bot id may follow "bot" in an API URL: only a digit may not precede it.
    _Row("telegram_bot_token", {"telegram_bot_token": r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])"},
         score=0.9),
    _Row("discord_bot_token", {"discord_bot_token": _alone(
        r"[MNO][A-Za-z0-9]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}", _DOTTED)},
         check=check.discord_bot_token, score=0.9),
    _Row("discord_webhook", {"discord_webhook": _starts(
        "http", r"s://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,68}",
        "A-Za-z0-9", _URL64)}),
    _Row("teams_webhook", {"teams_webhook": _starts(
        "http", rf"s://(?:[a-z0-9-]{{1,63}}\.webhook\.office|outlook\.office)\.com/webhook(?:b2)?/{_UUID}@{_UUID}"
        rf"/IncomingWebhook/[0-9a-f]{{32}}/{_UUID}(?:/[A-Za-z0-9_-]{{20,80}})?", "A-Za-z0-9", _URL64)}),
    _Row("mailgun_api_key", {"mailgun_api_key": _starts("key-", r"[0-9a-f]{24,32}")}, (36, 36),
         context=("mailgun",), needs_context=True, score=0.6),
    _Row("mailchimp_api_key", {"mailchimp_api_key": _alone(r"[0-9a-f]{32}-us[0-9]{1,2}", "A-Za-z0-9")},
         check=check.varied(36, 37, digits=3), score=0.9),
    _Row("brevo_api_key", {"brevo_api_key": _starts("xkeysib-", r"[a-f0-9]{24,64}-[A-Za-z0-9]{16}", _URL64)},
         (89, 89)),
    _Row("twitter_bearer_token", {"twitter_bearer_token": _starts("AAAAAAAAAAAAAAAAAAAAA", r"[A-Za-z0-9%]{24,200}",
                                                                  "A-Za-z0-9%")},
         (100, 221), context=("twitter", "bearer", "tweet", "x.com"), needs_context=True, score=0.6, skip=40),
    _Row("facebook_access_token", {"facebook_access_token": _starts("EAA", r"[A-Za-z0-9]{24,500}", "A-Za-z0-9",
                                                                    _B64 + "_-")},
         (100, 503), check.varied(100, 503, digits=3)),
    _Row("okta_api_token", {"okta_api_token": _starts("00", r"[A-Za-z0-9_-]{24,40}", _URL64)}, (42, 42),
         check.varied(42, 42, digits=2), context=("okta",), needs_context=True, score=0.6),
    _Row("hubspot_token", {"hubspot_token": _starts("pat-", rf"(?:na|eu)1-{_UUID}", _URL64)}),
    _Row("salesforce_access_token", {"salesforce_access_token": _starts(
        "00D", r"[A-Za-z0-9]{12,15}![A-Za-z0-9_.]{24,200}", "A-Za-z0-9", "A-Za-z0-9_.")}, (96, 220)),
    _Row("airtable_token", {"airtable_token": _starts("pat", r"[A-Za-z0-9]{14}\.[a-f0-9]{64}", "A-Za-z0-9")}),
    _Row("adafruit_io_key", {"adafruit_io_key": _starts("aio_", r"[A-Za-z0-9]{24,28}")}, (32, 32),
         check.varied(32, 32, digits=2)),
    # -- payments, commerce -------------------------------------------------------------------
    _Row("stripe_webhook_secret", {"stripe_webhook_secret": _starts("whsec_", r"[A-Za-z0-9+/=]{24,88}",
                                                                    _B64_BODY + "_", _B64 + "_")},
         (38, 94), entity=Entity.STRIPE_KEY),
    _Row("square_token", {
        "square_access_token": _starts("sq0atp-", r"[A-Za-z0-9_-]{22}", _URL64),
        "square_oauth_secret": _starts("sq0csp-", r"[A-Za-z0-9_-]{24,43}", _URL64),
        "square_access_token_v2": _starts("EAAA", r"[A-Za-z0-9_-]{24,60}", _URL64),
    }, (29, 64)),
    _Row("braintree_access_token", {"braintree_access_token": _starts(
        "access_token$", r"(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}")}),
    _Row("plaid_access_token", {"plaid_access_token": _starts(
        "access-", rf"(?:sandbox|development|production)-{_UUID}", _URL64)}),
    _Row("flutterwave_secret_key", {"flutterwave_secret_key": _starts("FLWSECK", r"(?:_TEST)?-[a-h0-9]{32}-X",
                                                                      _URL64)}),
    _Row("shopify_access_token", {"shopify_access_token": _starts("shp", r"(?:at|ca|pa)_[a-fA-F0-9]{24,32}")},
         (38, 38)),
    _Row("shopify_shared_secret", {"shopify_shared_secret": _starts("shpss_", r"[a-fA-F0-9]{24,32}")}, (38, 38)),
    _Row("shippo_api_token", {"shippo_api_token": _starts("shippo_", r"(?:live|test)_[a-f0-9]{40}")}),
    _Row("duffel_api_token", {"duffel_api_token": _starts("duffel_", r"(?:test|live)_[A-Za-z0-9_=-]{24,43}",
                                                          _URL64, _URL64 + "=")}, (55, 55)),
    _Row("easypost_api_key", {"easypost_api_key": _starts("EZ", r"[AT]K[A-Za-z0-9]{24,54}", "A-Za-z0-9")},
         (58, 58)),
    # -- maps, Google, AI providers -----------------------------------------------------------
    _Row("google_oauth_client_secret", {"google_oauth_client_secret": _starts("GOCSPX-", r"[A-Za-z0-9_-]{24,28}",
                                                                              _URL64)}, (35, 35)),
    _Row("google_oauth_token", {
        "google_refresh_token": _starts("1//0", r"[A-Za-z0-9_-]{24,512}", _URL64 + "/", _URL64),
        "google_access_token": _starts("ya29.", r"[A-Za-z0-9_-]{24,2048}", _DOTTED, _URL64),
    }, (40, 2060)),
    _Row("firebase_fcm_server_key", {"firebase_fcm_server_key": _starts(
        "AAAA", r"[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{24,200}", _URL64)}, (140, 220), skip=11),
    _Row("mapbox_secret_token", {"mapbox_secret_token": _starts(
        "sk.eyJ", r"[A-Za-z0-9_-]{20,300}\.[A-Za-z0-9_-]{20,100}", _DOTTED)},
         check=check.json_payload("sk.", "u", end=".")),
    _Row("replicate_api_token", {"replicate_api_token": _starts("r8_", r"[A-Za-z0-9]{24,37}")}, (38, 43),
         check.varied(38, 43, digits=2)),
    _Row("groq_api_key", {"groq_api_key": _starts("gsk_", r"[A-Za-z0-9]{24,60}")}, (52, 64)),
    _Row("perplexity_api_key", {"perplexity_api_key": _starts("pplx-", r"[A-Za-z0-9]{24,60}", _URL64)},
         (45, 65)),
    _Row("xai_api_key", {"xai_api_key": _starts("xai-", r"[A-Za-z0-9]{24,100}", _URL64)}, (64, 104)),
    _Row("openrouter_api_key", {"openrouter_api_key": _starts("sk-or-v1-", r"[a-f0-9]{24,64}", _URL64)},
         (73, 73)),
    _Row("langsmith_api_key", {"langsmith_api_key": _starts("lsv2_", r"(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}")}),
    _Row("langfuse_secret_key", {"langfuse_secret_key": _starts("sk-lf-", _UUID, _URL64)}),
    _Row("pinecone_api_key", {"pinecone_api_key": _starts("pcsk_", r"[A-Za-z0-9]{5,6}_[A-Za-z0-9]{24,63}")},
         (74, 75)),
    _Row("nvidia_api_key", {"nvidia_api_key": _starts("nvapi-", r"[A-Za-z0-9_-]{24,80}", _URL64)}, (60, 86)),
    _Row("elevenlabs_api_key", {"elevenlabs_api_key": _starts("sk_", r"[a-f0-9]{24,48}")}, (51, 51),
         check.varied(51, 51, digits=4, letters=4)),
    _Row("yandex_api_key", {"yandex_api_key": _starts("AQVN", r"[A-Za-z0-9_-]{24,38}", _URL64)}, (39, 42)),
    _Row("maxmind_license_key", {"maxmind_license_key": _alone(r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk")},
         check=check.varied(40, 40, digits=2), score=0.9),
)


def _validator(row: _Row) -> Validator:
    size = check.length_between(*row.size, skip=row.skip)
    extra = row.check
    if extra is None:
        return size

    def validate(text: str) -> bool:
        return size(text) and extra(text)

    validate.__name__ = f"check_{row.name}"
    return validate


def _recognizer(row: _Row) -> Recognizer:
    patterns = tuple(Pattern(name, regex, row.score) for name, regex in row.patterns.items())
    return Recognizer(row.name, row.entity, patterns, validator=_validator(row), context=row.context,
                      requires_context=row.needs_context, priority=_PRIORITY)


RECOGNIZERS: tuple[Recognizer, ...] = tuple(_recognizer(row) for row in _TABLE)
