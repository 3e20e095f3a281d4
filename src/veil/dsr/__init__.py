"""Data subject requests: access, portability, erasure and rectification, on a deadline.

``DataSubjectRequests`` tracks each request against the deadline of the subject's
regulation profile and answers it through the vault: an export bundle (``EXPORT_SCHEMA``),
an erasure by crypto-shredding, or a rectification. Every answer is a signed ``Receipt``
that ``verify_receipt`` checks with the deployment's public key.
"""

from __future__ import annotations

from veil.dsr._bundle import load_schema as _load_schema
from veil.dsr._receipts import Receipt, verify_receipt
from veil.dsr._requests import DataSubjectRequests, DsrRequest

#: JSON Schema (draft 2020-12) of the bundle ``DataSubjectRequests.export`` returns.
EXPORT_SCHEMA = _load_schema()

__all__ = [
    "EXPORT_SCHEMA",
    "DataSubjectRequests",
    "DsrRequest",
    "Receipt",
    "verify_receipt",
]
