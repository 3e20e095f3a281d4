"""Veil: a privacy layer for AI applications."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from veil.detect import Detector, Entity, Finding
from veil.errors import VeilError

if TYPE_CHECKING:
    from veil.access import Policy
    from veil.audit import AuditLog
    from veil.detect import detect
    from veil.redact import Redactor, redact
    from veil.vault import Vault
else:  # the package itself, made callable (see veil._callable_module)
    from veil import detect

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``veil.redact``, ``veil.Vault``, ``veil.AuditLog``, ``veil.Policy`` and ``veil.Client`` on
    first use: callers that only detect (a scan) or redact import no SQLAlchemy or httpx."""
    if name in ("redact", "Redactor"):  # the redaction package, callable; not loaded by `veil scan`
        module = importlib.import_module("veil.redact")
        return module if name == "redact" else module.Redactor
    if name == "Vault":
        from veil.vault import Vault

        return Vault
    if name == "AuditLog":
        from veil.audit import AuditLog

        return AuditLog
    if name == "Policy":
        from veil.access import Policy

        return Policy
    if name in ("Client", "AsyncClient"):
        # by name, not an import statement: the service imports ``veil`` and may not depend on the client
        return getattr(importlib.import_module("veil.client"), name)
    raise AttributeError(f"module 'veil' has no attribute {name!r}")


__all__ = [
    "AsyncClient",
    "AuditLog",
    "Client",
    "Detector",
    "Entity",
    "Finding",
    "Policy",
    "Redactor",
    "Vault",
    "VeilError",
    "__version__",
    "detect",
    "redact",
]
