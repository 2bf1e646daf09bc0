"""Starlette's own refusals (no such route, a method a route does not take) as JSON with a
stable code, like every other answer of the service, instead of its plain-text defaults."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from core.codes import Code

# The codes of HTTP refusals by status (the router's, and strawberry's own).
HTTP_CODES = {404: Code.NOT_FOUND, 405: Code.METHOD_NOT_ALLOWED}


def refusal(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A refused HTTP request outside GraphQL (a route's own checks, a gate, a bad file): a
    sentence and a stable code, the one body shape of every such answer."""
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


async def coded_http_error(request: Request, exc: Exception) -> Response:
    """The answer to a routing refusal: its status, its headers (405 keeps `Allow`) and a
    JSON body with a sentence and a code."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 405:
        message = f"{request.method} is not accepted at {request.url.path}."
    else:
        message = "Nothing is served at this path."
    return refusal(
        status, HTTP_CODES.get(status, Code.BAD_REQUEST), message, dict(exc.headers or {})
    )


# For Starlette(exception_handlers=...): the statuses the router raises by itself.
HTTP_ERROR_HANDLERS = {404: coded_http_error, 405: coded_http_error}
