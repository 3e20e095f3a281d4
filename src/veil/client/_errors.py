"""A service's error answer, ``{"error": code, "message": text}``, back to the ``VeilError`` it was.

The class is found by the stable ``code`` over the whole tree in ``veil.errors``; an unknown code
(or an answer that is not Veil's, say a proxy's HTML page) is a plain ``VeilError`` carrying the
HTTP status. The message is the server's, which never quotes data; the token never appears.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from veil import errors
from veil.errors import DependencyMissing, RateLimited, VeilError

#: Every class of the tree by its code, plus the service's own subclass for unreadable bodies.
BY_CODE: dict[str, type[VeilError]] = {
    **{cls.code: cls for cls in (getattr(errors, name) for name in errors.__all__)},
    "malformed_body": errors.InvalidInput,
}
DEFAULT_RETRY_AFTER = 60
_EXTRA = re.compile(r"veil\[([A-Za-z0-9_-]+)\]")


def error_of(code: str | None, message: str, status: int, *, retry_after: int | None = None) -> VeilError:
    """The ``VeilError`` subclass named by ``code``, with the server's message and status."""
    cls = BY_CODE.get(code, VeilError) if code else VeilError
    # built without the subclass's __init__: some take other arguments, but the message is the server's
    exc = cls.__new__(cls)
    VeilError.__init__(exc, message)
    if code:
        exc.code = code
    exc.http_status = status
    if isinstance(exc, RateLimited):
        exc.retry_after = retry_after if retry_after is not None else DEFAULT_RETRY_AFTER
    if isinstance(exc, DependencyMissing):
        found = _EXTRA.search(message)
        exc.extra = found.group(1) if found else ""
    return exc


def error_from(status: int, body: bytes, headers: Mapping[str, str]) -> VeilError:
    """The error a non-2xx answer stands for."""
    code, message = _problem(body)
    fallback = f"the Veil service answered HTTP {status}"
    return error_of(code, message or fallback, status, retry_after=_retry_after(headers))


def error_in_stream(problem: object) -> VeilError:
    """The error a stream reports in its last event (the status was 200 by then)."""
    code = problem.get("code") if isinstance(problem, dict) else None
    message = problem.get("message") if isinstance(problem, dict) else None
    cls = BY_CODE.get(code, VeilError) if isinstance(code, str) else VeilError
    text = message if isinstance(message, str) and message else "the stream ended with an error"
    return error_of(code if isinstance(code, str) else None, text, cls.http_status)


def _problem(body: bytes) -> tuple[str | None, str | None]:
    """(code, message) of a Veil error body; (None, None) for anything else (never echoed)."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    code, message = parsed.get("error"), parsed.get("message")
    return (code if isinstance(code, str) else None), (message if isinstance(message, str) else None)


def _retry_after(headers: Mapping[str, str]) -> int | None:
    value = headers.get("retry-after", "")
    return int(value) if value.isdigit() else None
