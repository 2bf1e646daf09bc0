"""What the service tells operators: JSON logs, Prometheus metrics, slow operations, tracing.

- **Logs**: one JSON object per line on stderr (`uvicorn_log_config` installs the formatter
  in every worker). Every line written while a request runs carries its `request_id`
  (the caller's `X-Request-ID` when it sends a sane one, else a new one, echoed back in
  the response) and the GraphQL `operation` name and type. Each request ends with one
  `registry.access` line: method, path, status, duration and SQL statements.
- **Metrics** at `/metrics` (Prometheus text format, `prometheus_client`): requests by
  route and status, latency by operation, errors by code (GraphQL `extensions.code`,
  userErrors apart), SQL statements per request, requests in flight and database
  connections in use. With several worker processes `PROMETHEUS_MULTIPROC_DIR` makes every
  worker's figures add up in whichever worker answers the scrape.
- **Slow operations**: a request over `slow_operation_ms` is logged on `registry.slow`
  with its duration and SQL count.
- **Tracing** (optional): with `tracing` set to `otlp` or `console` and the OpenTelemetry
  SDK installed, each request is a server span (W3C `traceparent` honoured) and log lines
  carry its `trace_id`.

The operation name comes from the request itself (`operationName`, or the name in the
document), read as the body streams past to the application, so that both read paths
(compiled and resolver) and the mutations are described alike without parsing twice in
the application. Names become metric labels only within a bounded set: clients choose
them, and an unbounded label set would grow the metrics without end.
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
from graphql.error import GraphQLSyntaxError
from graphql.language import Lexer, Source, Token, TokenKind
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.engine import counting_statements
from db.metrics import TRANSACTION_RETRIES  # noqa: F401  (the database's own, served here)
from db.pool import ReadPool

log = logging.getLogger("registry")
access_log = logging.getLogger("registry.access")
slow_log = logging.getLogger("registry.slow")

# Defaults for settings that core/settings.py may not define (yet).
DEFAULT_SLOW_OPERATION_MS = 1000
DEFAULT_LOG_LEVEL = "INFO"
MAX_OPERATION_LABELS = 100  # distinct operation names per process before "other"
MAX_INSPECTED_BODY = 1_048_576  # bodies larger than this are not parsed for names or codes
REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")
_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_OPERATION_TYPES = ("query", "mutation", "subscription")


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


DESCRIBE_TOKENS = 20_000  # tokens read at most (comments too) to find the operation


def _tokens(query: str, budget: int) -> Iterator[Token]:
    """The document's tokens but comments, one at a time, never more than `budget` read
    (comments counted: the lexer's own `advance` reads a whole run of them at once)."""
    lexer = Lexer(Source(query))
    position = 0
    for _ in range(budget):
        token = lexer.read_next_token(position)
        if token.kind is TokenKind.EOF:
            return
        position = token.end
        if token.kind is not TokenKind.COMMENT:
            yield token


def describe_document(query: str, operation_name: str | None) -> tuple[str, str | None]:
    """(operation type, operation name or None) of the operation a document would run.

    Reads tokens only at the top level, up to the operation wanted, so that a large
    document costs little; comments and strings are the lexer's business, not a regex's.
    """
    try:
        tokens = _tokens(query, DESCRIBE_TOKENS)
        depth = 0
        first: tuple[str, str | None] | None = None
        for token in tokens:
            kind = token.kind
            if kind is TokenKind.BRACE_L:
                if depth == 0 and first is None:
                    first = ("query", None)  # the { ... } shorthand is an anonymous query
                    if operation_name is None:
                        return first  # the one that runs: no need to read further
                depth += 1
            elif kind is TokenKind.BRACE_R:
                depth -= 1
            elif depth == 0 and kind is TokenKind.NAME and token.value in _OPERATION_TYPES:
                after = next(tokens, None)
                name = after.value if after is not None and after.kind is TokenKind.NAME else None
                found = (token.value, name)
                if operation_name is None or name == operation_name:
                    return found
                first = first or found
                if after is not None and after.kind is TokenKind.BRACE_L:
                    depth += 1
        return first or ("query", None)
    except GraphQLSyntaxError:
        return ("query", None)  # the application will refuse it; the metrics call it a query


_seen_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded metric label for a client-chosen operation name."""
    if name is None:
        return "anonymous"
    if not _OPERATION_NAME.match(name):
        return "invalid"
    if name in _seen_operations:
        return name
    if len(_seen_operations) >= MAX_OPERATION_LABELS:
        return "other"
    _seen_operations.add(name)
    return name


def _describe_body(body: bytes, content_type: str, info: RequestInfo) -> None:
    if "json" not in content_type:
        return
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    if isinstance(payload, dict) and isinstance(payload.get("query"), str):
        name = payload.get("operationName")
        _describe(payload["query"], name if isinstance(name, str) else None, info)


def _describe(query: str, operation_name: str | None, info: RequestInfo) -> None:
    kind, name = describe_document(query, operation_name)
    info.operation_type = kind
    info.operation = operation_name or name or "anonymous"


# --- logs ----------------------------------------------------------------------------------

# LogRecord attributes that are the record's own, not `extra=` fields worth printing.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "color_message",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request's id and
    operation, the trace id when tracing, any `extra=` fields, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        info = current_request.get()
        if info is not None:
            entry["request_id"] = info.request_id
            if info.operation is not None:
                entry["operation"] = info.operation
                entry["operation_type"] = info.operation_type
        trace_id = _current_trace_id()
        if trace_id is not None:
            entry["trace_id"] = trace_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


def uvicorn_log_config(settings: object) -> dict[str, Any] | None:
    """A logging config for `uvicorn.run(log_config=...)`: JSON lines on stderr for our
    loggers, uvicorn's and the root; uvicorn's own access log is left out (ours has more).
    None keeps uvicorn's plain-text default (`log_format = "text"`)."""
    if setting(settings, "log_format", "json") != "json":
        return None
    level = str(setting(settings, "log_level", DEFAULT_LOG_LEVEL)).upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.observability.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level},
    }


def configure_logging(settings: object) -> None:
    """Install the JSON logging of `uvicorn_log_config` in this process (for servers
    other than uvicorn, and for commands)."""
    config = uvicorn_log_config(settings)
    if config is not None:
        logging.config.dictConfig(config)


# --- metrics -------------------------------------------------------------------------------

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATEMENT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)

REQUESTS = Counter(
    "registry_http_requests_total",
    "HTTP requests answered, by route, method and status code.",
    ["route", "method", "status"],
)
IN_FLIGHT = Gauge(
    "registry_http_requests_in_flight",
    "HTTP requests being served now.",
    multiprocess_mode="livesum",
)
OPERATION_SECONDS = Histogram(
    "registry_graphql_operation_duration_seconds",
    "Time to answer a GraphQL request, by operation name and type.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
SQL_STATEMENTS = Histogram(
    "registry_sql_statements_per_request",
    "SQL statements a GraphQL request sent to PostgreSQL, by operation name and type.",
    ["operation", "type"],
    buckets=STATEMENT_BUCKETS,
)
ERRORS = Counter(
    "registry_errors_total",
    "Errors in responses by code: GraphQL errors' extensions.code and refusals such as "
    "DATABASE_UNAVAILABLE (503); INTERNAL marks a bug.",
    ["code"],
)
USER_ERRORS = Counter(
    "registry_user_errors_total",
    "userErrors returned by mutations (refused input), by code.",
    ["code"],
)
SLOW_OPERATIONS = Counter(
    "registry_slow_operations_total",
    "Requests slower than the slow-operation threshold, by operation name.",
    ["operation"],
)
POOL_IN_USE = Gauge(
    "registry_db_pool_in_use",
    "Database connections checked out of the pools now (resolver and read pools).",
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "registry_db_pool_capacity",
    "Most connections the pools will open (pool size plus overflow, plus the read pool).",
    multiprocess_mode="livesum",
)


def sample_pool(engine: AsyncEngine | None, reads: ReadPool | None = None) -> None:
    """Set the pool gauges from the engine's pool and the read pool (cheap: counters in
    memory)."""
    if engine is None:
        return
    pool = engine.pool
    in_use = getattr(pool, "checkedout", None)
    size = getattr(pool, "size", None)
    overflow = getattr(pool, "_max_overflow", 0)
    if not (callable(in_use) and callable(size)):
        return
    extra_in_use, extra_size = (reads.in_use, reads.size) if reads is not None else (0, 0)
    POOL_IN_USE.set(in_use() + extra_in_use)
    POOL_CAPACITY.set(size() + max(overflow, 0) + extra_size)


def _route_label(path: str) -> str:
    if path in ("/graphql", "/healthz", "/readyz", "/metrics"):
        return path
    for prefix in ("/reports/", "/static/"):
        if path.startswith(prefix):
            return prefix + "*"
    return "other"


def _count_errors(body: bytes, mutation: bool) -> None:
    """Count error codes of a JSON response (only parsed when it may hold any)."""
    if b'"errors"' not in body and not (mutation and b'"userErrors"' in body):
        return
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return
    if not isinstance(payload, dict):
        return
    for error in payload.get("errors") or ():
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        ERRORS.labels(str(code) if code else "UNCODED").inc()
    data = payload.get("data")
    if mutation and isinstance(data, dict):
        for field in data.values():
            problems = field.get("userErrors") if isinstance(field, dict) else None
            for problem in problems or ():
                code = problem.get("code") if isinstance(problem, dict) else None
                USER_ERRORS.labels(str(code) if code else "UNCODED").inc()


def metrics_registry() -> CollectorRegistry:
    """The registry to expose: every worker's files in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def metrics_route(
    engine: Callable[[], AsyncEngine | None] | None = None,
    reads: Callable[[], ReadPool | None] | None = None,
) -> Route:
    """GET /metrics in Prometheus' text format."""

    async def metrics(_: Request) -> Response:
        sample_pool(
            engine() if engine is not None else None, reads() if reads is not None else None
        )
        return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics, methods=["GET"])


def prepare_multiprocess_metrics(workers: int) -> None:
    """Before starting several workers: give them one fresh folder for their metric files.

    Must run before the workers import prometheus_client (it picks its storage at import)."""
    if workers <= 1:
        return
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        # A folder kept from an earlier run would add the dead processes' counts.
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
        return
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="registry-metrics-")


def shutdown_metrics() -> None:
    """At a worker's exit: drop its live gauges so the others' sums stay right."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder and Path(folder).is_dir():
        multiprocess.mark_process_dead(os.getpid(), folder)


def remove_multiprocess_folder() -> None:
    """At the supervisor's exit, remove the folder `prepare_multiprocess_metrics` made."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if Path(folder).name.startswith("registry-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)


# --- tracing (optional) --------------------------------------------------------------------


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


def _current_trace_id() -> str | None:
    if _tracing is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class _Span:
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
            f"{scope['method']} {_route_label(scope['path'])}",
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


# --- the middleware ------------------------------------------------------------------------


def new_request_info(scope: Scope) -> RequestInfo:
    """The request's id (the caller's, when sane) with its method and path."""
    given = _header(scope, REQUEST_ID_HEADER.encode())
    return RequestInfo(
        request_id=given if given and _SANE_REQUEST_ID.match(given) else uuid.uuid4().hex,
        method=scope["method"],
        path=scope["path"],
    )


def tracing_on() -> bool:
    return _tracing is not None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


class ObservabilityMiddleware:
    """Outermost middleware: request id, operation name, metrics, access and slow logs, span.

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
        info = new_request_info(scope)
        graphql = scope["path"] == "/graphql"
        if graphql and scope["method"] == "GET":
            params = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            if "query" in params:
                _describe(params["query"][0], (params.get("operationName") or [None])[0], info)
        content_type = (_header(scope, b"content-type") or "").lower()
        request_chunks: list[bytes] = []
        request_size = 0

        async def observed_receive() -> Message:
            nonlocal request_size
            message = await receive()
            if graphql and message["type"] == "http.request" and request_size >= 0:
                chunk = message.get("body", b"")
                request_size += len(chunk)
                if request_size > MAX_INSPECTED_BODY:
                    request_size = -1  # too large to describe; the application decides
                    request_chunks.clear()
                else:
                    request_chunks.append(chunk)
                    if not message.get("more_body", False):
                        _describe_body(b"".join(request_chunks), content_type, info)
                        request_chunks.clear()
            return message

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
            span = _Span(scope)
            started = time.perf_counter()
            IN_FLIGHT.inc()
            try:
                await self.app(scope, observed_receive, observed_send)
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
        REQUESTS.labels(_route_label(info.path), info.method, str(status)).inc()
        if body:
            _count_errors(body, info.operation_type == "mutation")
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
            SLOW_OPERATIONS.labels(labels[0] if labels else _route_label(info.path)).inc()
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


def parse_json_lines(lines: Iterable[str]) -> list[Mapping[str, Any]]:
    """The JSON objects among log lines (for tests and tools reading the service's logs)."""
    entries = []
    for line in lines:
        line = line.strip()
        if line.startswith("{"):
            try:
                entries.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    return entries
