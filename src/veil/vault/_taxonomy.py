"""The small vocabularies a collection, a purpose and a regulation profile are written in.

Categories follow the spirit of fideslang's data categories, flattened to what a
deployment actually decides on: how sensitive a field is and what caps apply to it.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Sensitivity category of a declared field."""

    CONTACT = "contact"  # e-mail, phone, postal address
    IDENTITY = "identity"  # names, national ids, account ids
    FINANCIAL = "financial"  # cards, bank accounts, income
    HEALTH = "health"  # special category (GDPR art. 9)
    BIOMETRIC = "biometric"  # special category
    LOCATION = "location"  # precise location, travel
    BEHAVIOURAL = "behavioural"  # activity, preferences, history
    DEMOGRAPHIC = "demographic"  # age, gender, nationality
    TECHNICAL = "technical"  # device ids, IP addresses, cookies
    CREDENTIALS = "credentials"  # passwords, tokens, security answers
    FREE_TEXT = "free_text"  # notes, messages, transcripts: may hold anything


#: Categories that data protection laws treat as special or sensitive.
SENSITIVE_CATEGORIES = frozenset({Category.HEALTH, Category.BIOMETRIC, Category.CREDENTIALS})


class LegalBasis(StrEnum):
    """Why a purpose may process personal data (GDPR art. 6 terms, used by every profile)."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


class ConsentModel(StrEnum):
    """What a purpose needs from the consent ledger before it sees a subject."""

    OPT_IN = "opt_in"  # a current grant
    OPT_OUT = "opt_out"  # no current revocation
    NONE = "none"  # the legal basis does not rest on consent


class RequestKind(StrEnum):
    """Data subject requests tracked with a deadline."""

    ACCESS = "access"
    PORTABILITY = "portability"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
