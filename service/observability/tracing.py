"""Optional OpenTelemetry tracing: a server span per request, its trace id in the logs."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from starlette.types import Scope

from service.observability.metrics import route_label
from service.observability.requests import RequestInfo, setting

log = logging.getLogger("registry")


@dataclass
class _Tracing:
    tracer: Any
    provider: Any


_tracing: _Tracing | None = None


def setup_tracing(settings: object = None, exporter: Any = None) -> bool:
    """Start OpenTelemetry tracing when configured; True when it is on.

    `tracing` = "otlp" exports over OTLP/HTTP (the standard OTEL_EXPORTER_OTLP_* variables
    say where), "console" prints spans; a test may pass its own `exporter`. Without the
    OpenTelemetry SDK installed, tracing stays off with a warning: it is optional.
    """
    global _tracing
    mode = str(setting(settings, "tracing", "") or os.environ.get("REGISTRY_TRACING", ""))
    if exporter is None and mode not in ("otlp", "console"):
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            ConsoleSpanExporter,
            SimpleSpanProcessor,
        )
    except ImportError:
        log.warning("tracing=%s but the OpenTelemetry SDK is not installed: tracing is off", mode)
        return False
    name = str(setting(settings, "service_name", "deputy-registry"))
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif mode == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    else:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning("tracing=otlp needs opentelemetry-exporter-otlp-proto-http: tracing is off")
            return False
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _tracing = _Tracing(provider.get_tracer("deputy-registry"), provider)
    return True


def shutdown_tracing() -> None:
    """Flush and stop tracing (at shutdown, so the last spans are not lost)."""
    global _tracing
    if _tracing is not None:
        _tracing.provider.shutdown()
        _tracing = None


def current_trace_id() -> str | None:
    if _tracing is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class Span:
    """A server span around one request, or nothing when tracing is off."""

    def __init__(self, scope: Scope) -> None:
        self.span: Any = None
        self.token: Any = None
        if _tracing is None:
            return
        from opentelemetry import context, trace
        from opentelemetry.propagate import extract

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.span = _tracing.tracer.start_span(
            f"{scope['method']} {route_label(scope['path'])}",
            context=extract(headers),
            kind=trace.SpanKind.SERVER,
        )
        self.token = context.attach(trace.set_span_in_context(self.span))

    def end(self, info: RequestInfo, status: int, statements: int) -> None:
        if self.span is None:
            return
        from opentelemetry import context
        from opentelemetry.trace import Status, StatusCode

        if info.operation is not None:
            self.span.update_name(f"{info.operation_type} {info.operation}")
            self.span.set_attribute("graphql.operation.name", info.operation)
            self.span.set_attribute("graphql.operation.type", info.operation_type or "")
        self.span.set_attribute("http.request.method", info.method)
        self.span.set_attribute("url.path", info.path)
        self.span.set_attribute("http.response.status_code", status)
        self.span.set_attribute("db.statement_count", statements)
        self.span.set_attribute("registry.request_id", info.request_id)
        if status >= 500:
            self.span.set_status(Status(StatusCode.ERROR))
        self.span.end()
        context.detach(self.token)


def tracing_on() -> bool:
    return _tracing is not None
