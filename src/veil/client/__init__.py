"""The Python SDK: ``Client`` and ``AsyncClient`` for ``veil serve``, and ``private_openai``.

``Client(base_url, token)`` calls the REST API and the gateway; a refusal raises the same
``VeilError`` subclass the service raised (by its ``code``). ``private_openai(openai.OpenAI())``
applies the gateway's pseudonymization in-process, with the same tags. Needs the ``server``
extra for ``httpx``; ``openai`` is never a dependency.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from veil.client._async import AsyncClient
from veil.client._calls import SESSION_HEADER
from veil.client._sync import Client

if TYPE_CHECKING:
    from veil.client._openai import PrivateOpenAI, private_openai


def __getattr__(name: str) -> Any:
    """The openai wrapper without importing the gateway (and SQLAlchemy) for REST-only callers."""
    if name in ("PrivateOpenAI", "private_openai"):
        from veil.client import _openai

        return getattr(_openai, name)
    raise AttributeError(f"module 'veil.client' has no attribute {name!r}")


__all__ = ["SESSION_HEADER", "AsyncClient", "Client", "PrivateOpenAI", "private_openai"]
