"""Remediation texts and severities: every built-in secret rule has its own."""

from __future__ import annotations

import re

import pytest

from veil.detect import SECRET_ENTITIES, builtin_recognizers
from veil.scan._finding import Severity
from veil.scan._remediation import (
    UNKNOWN_RULE_ACTION,
    UNKNOWN_RULE_SEVERITY,
    known_rules,
    remediation_for,
    severity_for,
)

SECRET_RULES = sorted({r.name for r in builtin_recognizers() if r.entity in SECRET_ENTITIES})


def test_every_builtin_secret_rule_has_a_remediation() -> None:
    assert set(SECRET_RULES) - known_rules() == set()


def test_the_table_names_no_rule_that_does_not_exist() -> None:
    assert known_rules() - set(SECRET_RULES) == set()


@pytest.mark.parametrize("rule", SECRET_RULES)
def test_remediation_is_two_short_sentences_that_say_where_and_what_next(rule: str) -> None:
    text = remediation_for(rule)
    sentences = [s for s in re.split(r"(?<=[.)])\s+(?=[A-Z])", text) if s]
    assert len(sentences) == 2, text
    assert len(text) <= 330
    assert "git history" in text
    assert "secret manager" in text
    assert UNKNOWN_RULE_ACTION not in text  # its own text, not the fallback


# Credentials no single provider issues: the text says what to change, not where.
_NO_PROVIDER = {"generic_secret", "jwt"}


@pytest.mark.parametrize("rule", [r for r in SECRET_RULES if r not in _NO_PROVIDER])
def test_remediation_names_where_to_act(rule: str) -> None:
    action = remediation_for(rule).split(" Then ", 1)[0]
    # a console path or page in parentheses, a URL, a CLI command in backticks, an API call, a bot
    assert re.search(r"\([^)]+\)|\w\.\w+/|`[^`]+`|/\w+/|@\w+|\w+\.(?:com|org|io|net)\b", action), action


@pytest.mark.parametrize(
    ("rule", "severity"),
    [("private_key", Severity.CRITICAL), ("gcp_service_account", Severity.CRITICAL),
     ("aws_access_key", Severity.CRITICAL), ("aws_secret_key_pair", Severity.CRITICAL),
     ("azure_key", Severity.CRITICAL), ("stripe_key", Severity.CRITICAL), ("square_token", Severity.CRITICAL),
     ("hashicorp_vault_token", Severity.CRITICAL), ("age_secret_key", Severity.CRITICAL),
     ("github_token", Severity.HIGH), ("shopify_access_token", Severity.HIGH), ("slack_token", Severity.HIGH),
     ("generic_secret", Severity.MEDIUM), ("jwt", Severity.MEDIUM), ("sentry_dsn", Severity.MEDIUM),
     ("teams_webhook", Severity.MEDIUM)],
)
def test_severity_follows_the_blast_radius(rule: str, severity: Severity) -> None:
    assert severity_for(rule) is severity


def test_private_keys_and_payment_keys_are_all_critical() -> None:
    by_entity = {r.name: str(r.entity) for r in builtin_recognizers()}
    critical = [rule for rule in SECRET_RULES if by_entity[rule] in {"PRIVATE_KEY", "STRIPE_KEY"}
                and rule != "stripe_webhook_secret"]
    assert critical
    assert all(severity_for(rule) is Severity.CRITICAL for rule in critical)


def test_most_provider_tokens_are_high() -> None:
    counts = {s: sum(severity_for(rule) is s for rule in SECRET_RULES) for s in Severity}
    assert counts[Severity.HIGH] > counts[Severity.CRITICAL] + counts[Severity.MEDIUM] + counts[Severity.LOW]


def test_unknown_rule_gets_a_generic_credential_remediation() -> None:
    assert remediation_for("acme_internal_token").startswith(UNKNOWN_RULE_ACTION)
    assert severity_for("acme_internal_token") is UNKNOWN_RULE_SEVERITY
