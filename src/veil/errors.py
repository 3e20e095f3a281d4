"""The Veil error tree.

    VeilError
    ├── InvalidInput            422  bad request data (names the field, never the value)
    │   └── InputTooLarge       413
    ├── NotFound                404
    ├── AccessDenied            403
    │   ├── ConsentMissing
    │   ├── PurposeNotAllowed
    │   ├── ResidencyViolation       the subject's data may not live in this store
    │   ├── TokenInvalid        401  unknown, malformed or revoked token (says nothing more)
    │   └── TokenExpired        401
    ├── BudgetExhausted         409
    ├── IntegrityError          409
    ├── DecryptionFailed        400  (says nothing more, by design)
    ├── ConfigError             500
    │   └── DependencyMissing        an optional extra is not installed
    ├── StorageError            503
    ├── UpstreamError           502
    ├── OutputBlocked           502  the model's answer carries data the output policy blocks
    ├── DetectionUnavailable    503  detection failed or timed out: the gateway forwards nothing
    └── RateLimited             429  too many requests or tokens this minute (Retry-After)

Messages name fields, ids and sizes; they never carry the data being processed.
"""

from __future__ import annotations


class VeilError(Exception):
    """Base of every error Veil raises on purpose."""

    code = "veil_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(VeilError):
    code = "invalid_input"
    http_status = 422


class InputTooLarge(InvalidInput):
    code = "input_too_large"
    http_status = 413


class NotFound(VeilError):
    code = "not_found"
    http_status = 404


class AccessDenied(VeilError):
    code = "access_denied"
    http_status = 403


class ConsentMissing(AccessDenied):
    code = "consent_missing"


class PurposeNotAllowed(AccessDenied):
    code = "purpose_not_allowed"


class ResidencyViolation(AccessDenied):
    code = "residency_violation"


class TokenInvalid(AccessDenied):
    code = "token_invalid"
    http_status = 401

    def __init__(self, message: str = "invalid token") -> None:
        super().__init__(message)


class TokenExpired(AccessDenied):
    code = "token_expired"
    http_status = 401


class BudgetExhausted(VeilError):
    code = "budget_exhausted"
    http_status = 409


class IntegrityError(VeilError):
    code = "integrity_error"
    http_status = 409


class DecryptionFailed(VeilError):
    code = "decryption_failed"
    http_status = 400

    def __init__(self, message: str = "decryption failed") -> None:
        super().__init__(message)


class ConfigError(VeilError):
    code = "config_error"
    http_status = 500


class DependencyMissing(ConfigError):
    """An optional extra is needed: the message is the one line to run."""

    code = "dependency_missing"

    def __init__(self, extra: str, what: str) -> None:
        super().__init__(f"{what} needs an optional extra: pip install 'veil[{extra}]'")
        self.extra = extra


class StorageError(VeilError):
    code = "storage_error"
    http_status = 503


class UpstreamError(VeilError):
    code = "upstream_error"
    http_status = 502


class OutputBlocked(VeilError):
    """The upstream answer may not be relayed: not the caller's fault (so not 4xx), and a
    retry may get a different answer. Not an UpstreamError: the upstream worked."""

    code = "output_blocked"
    http_status = 502


class DetectionUnavailable(VeilError):
    """Detection failed or ran out of time: the gateway fails closed and forwards nothing."""

    code = "detection_unavailable"
    http_status = 503


class RateLimited(VeilError):
    """Too many requests or tokens for one caller in the current minute; ``retry_after`` in seconds."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str = "rate limit exceeded", *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


__all__ = [
    "AccessDenied",
    "BudgetExhausted",
    "ConfigError",
    "ConsentMissing",
    "DecryptionFailed",
    "DependencyMissing",
    "DetectionUnavailable",
    "InputTooLarge",
    "IntegrityError",
    "InvalidInput",
    "NotFound",
    "OutputBlocked",
    "PurposeNotAllowed",
    "RateLimited",
    "ResidencyViolation",
    "StorageError",
    "TokenExpired",
    "TokenInvalid",
    "UpstreamError",
    "VeilError",
]
