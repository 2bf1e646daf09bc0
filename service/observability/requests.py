"""The request being served, as the logs and metrics know it: its id and its operation
(named by the front, service.front, from the prepared operation)."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


def setting(settings: object, name: str, default: Any) -> Any:
    """A setting by name, or the default when the Settings class has no such field."""
    value = getattr(settings, name, None)
    return default if value is None else value


# --- the request being served ------------------------------------------------------------


@dataclass
class RequestInfo:
    request_id: str
    method: str
    path: str
    operation: str | None = None  # the GraphQL operation name ("anonymous" when unnamed)
    operation_type: str | None = None  # query, mutation or subscription


current_request: ContextVar[RequestInfo | None] = ContextVar("current_request", default=None)


def request_id() -> str | None:
    """The id of the request being served by the current task, if any."""
    info = current_request.get()
    return info.request_id if info is not None else None


def new_request_info(scope: Scope) -> RequestInfo:
    """The request's id (the caller's, when sane) with its method and path."""
    given = header(scope, REQUEST_ID_HEADER.encode())
    return RequestInfo(
        request_id=given if given and _SANE_REQUEST_ID.match(given) else uuid.uuid4().hex,
        method=scope["method"],
        path=scope["path"],
    )


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None
