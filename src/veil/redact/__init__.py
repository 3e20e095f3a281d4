"""Redaction: replace detected personal data and secrets with typed operators.

``redact(text)`` tags every finding (``<EMAIL_ADDRESS_1>``): the sensible default,
readable and consistent, and holding nothing that could be reversed. A
``Redactor`` takes a per-entity policy of operators (``Mask``, ``Hash``,
``Pseudonymize``, ``Fake``, ``Generalize``, ``Drop``); the walkers apply one to
JSON values and to CSV, JSONL and Parquet files with bounded memory.
"""

from __future__ import annotations

from veil._callable_module import make_callable as _make_callable
from veil.redact._json import redact_json
from veil.redact._operators import Drop, Fake, Generalize, Hash, Mask, Operator, Pseudonymize, Tag
from veil.redact._parquet import redact_parquet
from veil.redact._pseudonym import PseudonymSession
from veil.redact._redactor import Redactor, default_redactor
from veil.redact._spans import Redacted, Replacement
from veil.redact._streams import redact_csv, redact_jsonl


def redact(text: str) -> str:
    """``text`` with every finding of the built-in detector replaced by a numbered tag."""
    return default_redactor().redact(text)


_make_callable(__name__, redact)

__all__ = [
    "Drop",
    "Fake",
    "Generalize",
    "Hash",
    "Mask",
    "Operator",
    "PseudonymSession",
    "Pseudonymize",
    "Redacted",
    "Redactor",
    "Replacement",
    "Tag",
    "default_redactor",
    "redact",
    "redact_csv",
    "redact_json",
    "redact_jsonl",
    "redact_parquet",
]
