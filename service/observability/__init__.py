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

The operation name and type come from the request's prepared operation (service.front:
`operationName`, or the name in the document), so that both read paths (compiled and
resolver), the fast lane and the mutations are described alike, from the one parse.
Names become metric labels only within a bounded set: clients choose them, and an
unbounded label set would grow the metrics without end.

One module per concept: requests (the request being served), logs, metrics, tracing,
middleware; this package gives their public names.
"""

from __future__ import annotations

from db.metrics import TRANSACTION_RETRIES  # counted by db.transactions, served with the rest
from service.observability.logs import (
    JsonFormatter,
    configure_logging,
    parse_json_lines,
    uvicorn_log_config,
)
from service.observability.metrics import (
    ERRORS,
    IN_FLIGHT,
    OPERATION_SECONDS,
    POOL_CAPACITY,
    POOL_IN_USE,
    REQUESTS,
    SLOW_OPERATIONS,
    SQL_STATEMENTS,
    USER_ERRORS,
    count_plan_lookup,
    metrics_registry,
    metrics_route,
    operation_label,
    prepare_multiprocess_metrics,
    remove_multiprocess_folder,
    sample_pool,
    shutdown_metrics,
)
from service.observability.middleware import ObservabilityMiddleware
from service.observability.requests import (
    REQUEST_ID_HEADER,
    RequestInfo,
    current_request,
    new_request_info,
    request_id,
    setting,
)
from service.observability.tracing import setup_tracing, shutdown_tracing, tracing_on

__all__ = [
    "ERRORS",
    "IN_FLIGHT",
    "OPERATION_SECONDS",
    "POOL_CAPACITY",
    "POOL_IN_USE",
    "REQUESTS",
    "REQUEST_ID_HEADER",
    "SLOW_OPERATIONS",
    "SQL_STATEMENTS",
    "TRANSACTION_RETRIES",
    "USER_ERRORS",
    "JsonFormatter",
    "ObservabilityMiddleware",
    "RequestInfo",
    "configure_logging",
    "count_plan_lookup",
    "current_request",
    "metrics_registry",
    "metrics_route",
    "new_request_info",
    "operation_label",
    "parse_json_lines",
    "prepare_multiprocess_metrics",
    "remove_multiprocess_folder",
    "request_id",
    "sample_pool",
    "setting",
    "setup_tracing",
    "shutdown_metrics",
    "shutdown_tracing",
    "tracing_on",
    "uvicorn_log_config",
]
