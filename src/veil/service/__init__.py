"""The HTTP service (``veil serve``): the REST API under ``/v1`` and the LLM privacy gateway.

``create_app(Service(...))`` is a FastAPI application; ``open_service(settings)`` builds the
``Service`` of a project on its own databases and keys. Needs the ``server`` extra.
"""

from __future__ import annotations

from veil.service._app import SESSION_HEADER, create_app
from veil.service._state import Service, open_service

__all__ = ["SESSION_HEADER", "Service", "create_app", "open_service"]
