"""Request-body limits, ahead of the application: a body over its path's limit gets 413, a
JSON body that is not a single operation object 400 (both as JSON GraphQL errors)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.codes import Code

DEFAULT_MAX_BODY_BYTES = 1_048_576
# Where the body read here is kept in the request's scope: its one buffer, which every
# later reader (the fast lane, the compiled path, the GraphQL view) reads.
BODY = "registry.body"


def buffered_body(scope: Scope) -> bytes | None:
    """The request's body as BodyLimitMiddleware read it, or None (a path it exempts)."""
    body = scope.get(BODY)
    return body if isinstance(body, bytes) else None


def error_body(message: str, code: str) -> bytes:
    """A GraphQL response body holding one request error."""
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


class BodyLimitMiddleware:
    """Refuses a request body over `max_bytes` with 413, and a JSON body that is not one object.

    The body is read here (at most `max_bytes` of it), kept in the scope (`BODY`) and
    replayed to the app from there, so the limit
    holds whether the client sends Content-Length or streams the body in chunks. A JSON body
    must be a single object: strawberry has operation batching (a JSON array) switched off
    and would answer a bare string or number with a 500.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        exempt_prefixes: tuple[str, ...] = (),
        path_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose routes read and limit their bodies themselves (file uploads).
        self.exempt_prefixes = exempt_prefixes
        # Lower limits for some paths (GraphQL: a document has no need of a megabyte).
        self.path_limits = dict(path_limits or {})

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _too_large(size: int, limit: int, exact: bool) -> bytes:
        if exact:
            message = (
                f"Request body of {size} bytes exceeds the limit of {limit} bytes "
                f"(by {size - limit})."
            )
        else:
            message = (
                f"Request body exceeds the limit of {limit} bytes "
                f"(more than {size} bytes were sent)."
            )
        return error_body(message, Code.BODY_TOO_LARGE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_bytes)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await self._answer(
                    send, 400, error_body("Content-Length is not a number.", Code.BAD_REQUEST)
                )
                return
            if size > limit:
                await self._answer(send, 413, self._too_large(size, limit, exact=True))
                return

        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client has gone; nobody to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await self._answer(send, 413, self._too_large(received, limit, exact=False))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)

        content_type = headers.get(b"content-type", b"").lower()
        if scope["method"] == "POST" and b"application/json" in content_type:
            first = body.lstrip()[:1]
            if first == b"[":
                await self._answer(
                    send,
                    400,
                    error_body(
                        "Batched operations (a JSON array) are not supported: "
                        "send one operation per request.",
                        Code.BATCH_NOT_SUPPORTED,
                    ),
                )
                return
            if first and first != b"{":
                await self._answer(
                    send,
                    400,
                    error_body(
                        'The request body must be a JSON object such as {"query": "..."}.',
                        Code.BAD_REQUEST,
                    ),
                )
                return

        scope[BODY] = body
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: http.disconnect, when it comes

        await self.app(scope, replay, send)
