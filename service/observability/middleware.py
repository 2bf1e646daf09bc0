"""The observing middleware: request id, metrics, access and slow logs, span."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.engine import counting_statements
from db.pool import ReadPool
from service.observability.metrics import (
    IN_FLIGHT,
    OPERATION_SECONDS,
    REQUESTS,
    SLOW_OPERATIONS,
    SQL_STATEMENTS,
    count_errors,
    operation_label,
    route_label,
    sample_pool,
)
from service.observability.requests import (
    REQUEST_ID_HEADER,
    RequestInfo,
    current_request,
    new_request_info,
    setting,
)
from service.observability.tracing import Span

access_log = logging.getLogger("registry.access")
slow_log = logging.getLogger("registry.slow")

DEFAULT_SLOW_OPERATION_MS = 1000
MAX_INSPECTED_BODY = 1_048_576  # response bodies larger than this are not read for codes


class ObservabilityMiddleware:
    """Outermost middleware: request id, metrics, access and slow logs, span.

    `engine` returns the application's engine (or None before it exists) for the pool gauges.
    """

    def __init__(
        self,
        app: ASGIApp,
        settings: object = None,
        engine: Callable[[], AsyncEngine | None] | None = None,
        reads: Callable[[], ReadPool | None] | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.reads = reads
        self.slow_seconds = setting(settings, "slow_operation_ms", DEFAULT_SLOW_OPERATION_MS) / 1000
        # The one switch for access logs: uvicorn's in text mode, this line in JSON mode.
        self.log_requests = bool(setting(settings, "access_log", True))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The operation is named by the front (service.front) as it prepares it.
        info = new_request_info(scope)
        status = 500
        inspect_response = False
        response_chunks: list[bytes] = []
        response_size = 0

        async def observed_send(message: Message) -> None:
            nonlocal status, inspect_response, response_size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), info.request_id.encode()))
                message = {**message, "headers": headers}
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                inspect_response = b"json" in kind.lower()
            elif message["type"] == "http.response.body" and inspect_response:
                chunk = message.get("body", b"")
                response_size += len(chunk)
                if response_size > MAX_INSPECTED_BODY:
                    inspect_response = False
                    response_chunks.clear()
                else:
                    response_chunks.append(chunk)
            await send(message)

        with counting_statements() as sent:
            request_token = current_request.set(info)
            span = Span(scope)
            started = time.perf_counter()
            IN_FLIGHT.inc()
            try:
                await self.app(scope, receive, observed_send)
            finally:
                IN_FLIGHT.dec()
                seconds = time.perf_counter() - started
                try:
                    self.record(info, status, seconds, sent(), b"".join(response_chunks))
                finally:
                    span.end(info, status, sent())
                    current_request.reset(request_token)

    def record(
        self, info: RequestInfo, status: int, seconds: float, statements: int, body: bytes
    ) -> None:
        """Metrics, the access log line and the slow log of one answered request."""
        REQUESTS.labels(route_label(info.path), info.method, str(status)).inc()
        if body:
            count_errors(body, info.operation_type == "mutation")
        if self.engine is not None:
            sample_pool(self.engine(), self.reads() if self.reads is not None else None)
        labels: tuple[str, str] | None = None
        if info.operation is not None:
            labels = (operation_label(info.operation), info.operation_type or "query")
            OPERATION_SECONDS.labels(*labels).observe(seconds)
            SQL_STATEMENTS.labels(*labels).observe(statements)
        duration_ms = round(seconds * 1000, 1)
        if self.log_requests:
            access_log.info(
                "%s %s %s",
                info.method,
                info.path,
                status,
                extra={"status": status, "duration_ms": duration_ms, "sql_statements": statements},
            )
        if seconds >= self.slow_seconds:
            SLOW_OPERATIONS.labels(labels[0] if labels else route_label(info.path)).inc()
            slow_log.warning(
                "slow operation %s took %.0f ms with %d SQL statements",
                info.operation or f"{info.method} {info.path}",
                duration_ms,
                statements,
                extra={
                    "duration_ms": duration_ms,
                    "sql_statements": statements,
                    "threshold_ms": round(self.slow_seconds * 1000),
                },
            )
