"""Prometheus metrics: what they count, the pool gauges, GET /metrics, and the files that
make several worker processes add up."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
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

from db.pool import ReadPool

MAX_OPERATION_LABELS = 100  # distinct operation names per process before "other"
_OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")

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
PLAN_LOOKUPS = Counter(
    "registry_plan_cache_lookups_total",
    "Compiled-path requests by whether a plan of their shape was ready (hit) or not (miss).",
    ["result"],
)
CACHE_ENTRIES = Gauge(
    "registry_cache_entries",
    "Entries of the compiled path's caches: plans, documents (parsed), shapes (documents "
    "whose variables' shapes are known).",
    ["cache"],
    multiprocess_mode="livesum",
)
CACHE_CHARACTERS = Gauge(
    "registry_cache_characters",
    "Characters the plan and document caches hold (SQL and parameters; document texts).",
    ["cache"],
    multiprocess_mode="livesum",
)


def count_plan_lookup(hit: bool) -> None:
    PLAN_LOOKUPS.labels("hit" if hit else "miss").inc()


def sample_caches(compiled: Any) -> None:
    """Set the cache gauges from the compiled path (compiled.execute.CompiledPath)."""
    if compiled is None:
        return
    plans, documents = compiled.plans, compiled.documents
    CACHE_ENTRIES.labels("plans").set(plans.count)
    CACHE_CHARACTERS.labels("plans").set(plans.held)
    CACHE_ENTRIES.labels("documents").set(len(documents.entries))
    CACHE_CHARACTERS.labels("documents").set(documents.held)
    CACHE_ENTRIES.labels("shapes").set(len(compiled.shapes))


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


def route_label(path: str) -> str:
    if path in ("/graphql", "/healthz", "/readyz", "/metrics"):
        return path
    for prefix in ("/reports/", "/static/"):
        if path.startswith(prefix):
            return prefix + "*"
    return "other"


def count_errors(body: bytes, mutation: bool) -> None:
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
    compiled: Any = None,
) -> Route:
    """GET /metrics in Prometheus' text format."""

    async def metrics(_: Request) -> Response:
        sample_pool(
            engine() if engine is not None else None, reads() if reads is not None else None
        )
        sample_caches(compiled)
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
