"""The ASGI application: GraphQL at /graphql (GraphiQL on GET), health at /healthz and
/readyz, Prometheus metrics at /metrics."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.unset import UNSET

from compiled.execute import CompiledPath
from compiled.prepared import documents_at
from core.codes import Code
from core.context import Context
from core.settings import Settings, get_settings
from db.engine import create_engine, create_read_pool, statement_count
from db.session import RequestDatabase
from schema import build_schema
from service.auth import bearer_auth, request_caller
from service.body_limits import BodyLimitMiddleware, buffered_body, error_body
from service.bulk_export import export_routes
from service.errors import SUBSCRIPTION_OVER_HTTP, NoSubscriptionsOverHttp
from service.examples import EXAMPLES
from service.export_streams import ExportPool
from service.exports import report_routes
from service.fast_lane import FastLane
from service.faults import FaultMiddleware, with_fault_handling
from service.front import front_of, guard_schema
from service.graphiql import graphiql_page, static_mount
from service.health import ReadinessPool, health_routes
from service.http_errors import HTTP_CODES, HTTP_ERROR_HANDLERS
from service.imports import import_routes
from service.live import LiveGraphQL, live_routes
from service.observability import (
    ObservabilityMiddleware,
    count_plan_lookup,
    metrics_route,
    setup_tracing,
    shutdown_metrics,
    shutdown_tracing,
)
from service.write_pool import MutationsOnTheWritePool

log = logging.getLogger("registry")

DatabaseFactory = Callable[[], RequestDatabase]
# The application name of the connections kept for mutations (service.write_pool).
WRITES_NAME = "deputy-registry-writes"
# Requests with this header set to 'resolver' skip the compiled path (for the differential test).
RESOLVER_PATH_HEADER = "x-registry-path"


def http_only(schema: Any) -> Any:
    """A shallow copy of `schema` for HTTP requests: subscriptions refused (WebSocket only),
    mutations on the connections kept for them."""
    import copy

    served = copy.copy(schema)
    served.extensions = (*schema.extensions, NoSubscriptionsOverHttp, MutationsOnTheWritePool)
    return served


class RegistryGraphQL(GraphQL[Context, None]):
    def __init__(self, settings: Settings, database: DatabaseFactory) -> None:
        super().__init__(
            http_only(with_fault_handling(guard_schema(build_schema(), settings), settings)),
            graphql_ide="graphiql" if settings.graphiql else None,
        )
        self.settings = settings
        self.database = database
        # The compiled path reads the same prepared operations as strawberry (service.front).
        front = front_of(self.schema)
        self.compiled = CompiledPath(front.schema, front, counted=count_plan_lookup)
        # Trusted documents parsed and validated before the first request.
        for document in [e.query for e in EXAMPLES] + documents_at(settings.prepared_documents):
            self.compiled.prepare(document)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Our offline GraphiQL (vendored assets, example tabs) instead of strawberry's CDN page.
        return await graphiql_page(request)

    def encode_json(self, data: object) -> bytes:
        # orjson keeps Chinese text as UTF-8 (no \u escapes) and is several times faster.
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses invalid UTF-8 and nesting past its limit with a JSONDecodeError
        # (json's own would raise UnicodeDecodeError or RecursionError: a 500).
        return orjson.loads(data)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await self._run(request, context, root_value)
        except HTTPException as refused:
            # Strawberry answers these in plain text: a GraphQL error with a code instead.
            message = refused.reason
            if isinstance(refused.__cause__, InvalidOperationTypeError) and (
                refused.__cause__.operation_type.value == "subscription"
            ):
                message = SUBSCRIPTION_OVER_HTTP
            code = HTTP_CODES.get(refused.status_code, Code.BAD_REQUEST)
            return Response(
                error_body(message, code),
                status_code=refused.status_code,
                media_type="application/json",
            )

    async def _run(self, request: Any, context: Any, root_value: Any) -> Any:
        db = self.database()  # (a connection only on first use)
        # Count this request's SQL statements (unless a caller, e.g. a test, already does).
        counter = statement_count.get()
        token = statement_count.set([0]) if counter is None else None
        try:
            response = await self._respond(request, db, root_value)
            counted = statement_count.get()
            if counted is not None and hasattr(response, "headers"):
                response.headers["X-SQL-Statements"] = str(counted[0])
            return response
        finally:
            if token is not None:
                statement_count.reset(token)
            await db.close()

    async def _respond(self, request: Any, db: RequestDatabase, root_value: Any) -> Any:
        context = Context(self.settings, db, request_caller(request))
        compiled = await self._try_compiled(request, context)
        if compiled is not None:
            return Response(compiled, media_type="application/json")
        return await super().run(request, context=context, root_value=root_value)

    async def _try_compiled(self, request: Any, context: Context) -> bytes | None:
        """The compiled path's answer to a POSTed query, or None for the resolver path."""
        if request.method != "POST" or request.headers.get(RESOLVER_PATH_HEADER) == "resolver":
            return None
        if not request.headers.get("content-type", "").startswith("application/json"):
            return None
        body = buffered_body(request.scope)
        return await self.compiled.run(body if body is not None else await request.body(), context)


def create_app(
    settings: Settings | None = None, database: DatabaseFactory | None = None
) -> Starlette:
    """The service. Tests pass `database` to run every request on a connection of theirs."""
    settings = settings or get_settings()
    state: dict[str, Any] = {}

    def pooled() -> RequestDatabase:
        if "engine" not in state:  # an app driven without its lifespan (some test clients)
            state["engine"] = create_engine(settings)
        return RequestDatabase(
            engine=state["engine"], reads=state.get("reads"), writes=state.get("writes")
        )

    # Export streams read on connections of their own (service.export_streams).
    export_pool = ExportPool(settings) if database is None else None
    # And /readyz on one of its own, so that a busy pool never makes it fail.
    readiness_pool = ReadinessPool(settings) if database is None else None
    # Subscriptions: the WebSocket side of /graphql, fed by PostgreSQL LISTEN/NOTIFY.
    live = LiveGraphQL(settings, database or pooled)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if database is None:
            state["engine"] = create_engine(settings)
            state["reads"] = create_read_pool(settings)
            state["writes"] = create_engine(
                settings, pool_size=settings.write_pool_size, application_name=WRITES_NAME
            )
        setup_tracing(settings)
        # The schema and modules loaded so far live as long as the process: keep them out
        # of the collector's scans, and collect young objects less often (a request
        # allocates thousands), for fewer and shorter pauses under load.
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        # The listener from the start: revocations reach this process within a second.
        live.start()
        try:
            yield
        finally:
            await live.close()
            if export_pool is not None:
                await export_pool.close()
            if readiness_pool is not None:
                await readiness_pool.close()
            # uvicorn runs this after in-flight requests have finished (SIGTERM).
            if "reads" in state:
                await state.pop("reads").close()
            if "writes" in state:
                await state.pop("writes").dispose()
            if "engine" in state:
                await state["engine"].dispose()
                log.info("database pool closed")
            shutdown_tracing()
            shutdown_metrics()

    graphql = RegistryGraphQL(settings, database or pooled)
    return Starlette(
        routes=[
            Route(
                "/graphql",
                graphql,
                methods=["GET", "POST"],
                # The caller first; then repeated reads answered from their plans.
                middleware=[
                    bearer_auth(settings, database or pooled, graphql=True),
                    Middleware(FastLane, graphql=graphql),
                ],
            ),
            *live_routes(live),
            *health_routes(database or pooled, settings, readiness_pool),
            metrics_route(
                lambda: state.get("engine"), lambda: state.get("reads"), graphql.compiled
            ),
            *report_routes(settings, database or pooled),
            *import_routes(settings, database or pooled),
            *export_routes(settings, database or pooled, export_pool),
            static_mount(),
        ],
        lifespan=lifespan,
        # No plain-text 404/405: a coded JSON answer like every other.
        exception_handlers=HTTP_ERROR_HANDLERS,
        middleware=[
            # Outermost first.
            # Every answer, a 503, a 413 or a 401 included, is logged and counted.
            Middleware(
                ObservabilityMiddleware,
                settings=settings,
                engine=lambda: state.get("engine"),
                reads=lambda: state.get("reads"),
            ),
            Middleware(FaultMiddleware, settings=settings),
            # The body read once, kept for its readers (service.body_limits.BODY). Rosters
            # are larger than any GraphQL request: /imports/ limits its own bodies.
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                exempt_prefixes=("/imports/",),
                path_limits={"/graphql": settings.max_graphql_body_bytes},
            ),
        ],
    )
