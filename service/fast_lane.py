"""Answers to repeated reads straight from their cached plans, ahead of the middleware stack.

Once the compiled path has planned a request (the same body, role and region), answering
it again needs the caller's token checked, one prepared statement and the bytes sent back:
routing, the middleware stack and the GraphQL view cost several times that. This lane
does just those steps, and still records the request's metrics and access log line and
sends its request id. Anything else (no plan yet, a refused token, the database gone, a
body too large, tracing on) goes through the whole stack unchanged, its body replayed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.engine import counting_statements
from service.observability import (
    IN_FLIGHT,
    REQUEST_ID_HEADER,
    ObservabilityMiddleware,
    current_request,
    new_request_info,
    tracing_on,
)

if TYPE_CHECKING:
    from service.app import RegistryGraphQL


class FastLane:
    def __init__(
        self,
        app: ASGIApp,
        graphql: RegistryGraphQL,
        observer: ObservabilityMiddleware,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.graphql = graphql
        self.observer = observer
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != "/graphql"
            or tracing_on()
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"")
        if not content_type.startswith(b"application/json") or b"x-registry-path" in headers:
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        body = await self._read_body(receive, received)
        if body is None:
            await self.app(scope, _replay(received, receive), send)
            return
        info = new_request_info(scope)
        request = current_request.set(info)
        started = time.perf_counter()
        IN_FLIGHT.inc()
        try:
            with counting_statements() as sent:
                authorization = headers.get(b"authorization")
                answer = await self.graphql.answer_from_cache(
                    body, authorization.decode("latin-1") if authorization is not None else None
                )
        finally:
            IN_FLIGHT.dec()
            current_request.reset(request)
        statements = sent()
        if answer is None:
            await self.app(scope, _replay(received, receive), send)
            return
        data, operation = answer
        info.operation, info.operation_type = operation, "query"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                    (b"x-sql-statements", str(statements).encode()),
                    (b"x-registry-plan", b"cached"),
                    (REQUEST_ID_HEADER.encode(), info.request_id.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
        # A compiled answer's errors are the statement's own (masked), never a GraphQL
        # error list worth counting: no body to inspect.
        self.observer.record(info, 200, time.perf_counter() - started, statements, b"")

    async def _read_body(self, receive: Receive, received: list[Message]) -> bytes | None:
        """The whole body, or None when the stack must see the request (too large, or the
        client went away)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(received: list[Message], receive: Receive) -> Receive:
    """A receive that first gives back what the lane has read already."""
    pending = list(received)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
