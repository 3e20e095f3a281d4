"""What ``Client`` and ``AsyncClient`` share: the base URL, the token, requests and answers.

The token lives in one private attribute and goes only into the ``Authorization`` header of
each request: never in a repr, an exception or the shared ``httpx`` client's defaults.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, Any

from veil.client._calls import Call
from veil.client._errors import error_from
from veil.errors import DependencyMissing, InvalidInput, UpstreamError

if TYPE_CHECKING:
    import httpx

#: Seconds per request (a chat completion waits on the model); a stream applies it per read.
DEFAULT_TIMEOUT = 60.0


def load_httpx(what: str) -> ModuleType:
    try:
        import httpx
    except ModuleNotFoundError:
        raise DependencyMissing("server", what) from None
    return httpx


class BaseClient:
    """The service's root URL (``http://localhost:8000``, routes are under ``/v1``) and a bearer token."""

    def __init__(self, base_url: str, token: str, *, timeout: float) -> None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise InvalidInput("base_url must start with http:// or https://")
        if not isinstance(token, str) or not token.strip() or any(c in token for c in "\r\n"):
            raise InvalidInput("token must be a non-empty string on one line")
        self.base_url = base_url.rstrip("/")
        self.__authorization = f"Bearer {token.strip()}"
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r})"  # never the token

    def _build(self, http: httpx.Client | httpx.AsyncClient, call: Call[Any]) -> httpx.Request:
        headers = {"Authorization": self.__authorization, **(call.headers or {})}
        return http.build_request(call.method, self.base_url + call.path, params=call.params, json=call.body,
                                  headers=headers, timeout=self._timeout)  # fmt: skip


def answer_of(response: httpx.Response) -> Any:
    """The parsed JSON of a read 2xx answer (None when empty); any other status raises its error."""
    raise_for_status(response)
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise UpstreamError("the Veil service's answer is not JSON") from None


def raise_for_status(response: httpx.Response) -> None:
    """The error a read non-2xx answer stands for, raised."""
    if not response.is_success:
        raise error_from(response.status_code, response.content, response.headers)


def unreachable(exc: Exception) -> UpstreamError:
    # the class name only: httpx messages may carry the URL with its query
    return UpstreamError(f"the connection to the Veil service failed ({type(exc).__name__})")
