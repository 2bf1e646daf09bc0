"""Live updates: GraphQL subscriptions over graphql-transport-ws at /graphql (WebSocket).
The Subscription type is the schema's (schema.subscriptions); this module delivers its
events (`BrokerEvents`, the request context's `events`) and serves the WebSocket.

Delivery across processes: triggers (migration 0003) call pg_notify in the writing
transaction, so an event leaves PostgreSQL only when that transaction commits, whichever
service process, command or script wrote it. Every service process keeps one dedicated
asyncpg connection that LISTENs (the Broker, service.listener) and hands each notification
to the subscriptions it concerns; a subscription then reads the rows through the normal types,
so the caller's role applies as in queries (personal fields masked). A subscription holds
no database connection while it waits: each read borrows one from the pool.

The caller authenticates in connection_init ({"Authorization": "Bearer <token>"}; browsers
cannot set WebSocket headers) or with the upgrade request's Authorization header.
If the listener connection is lost, subscriptions end with an error so that clients
resubscribe and catch up through `updatedSince`, rather than silently miss events.

The same connection hears token revocations (migration 0005): a subscription of a revoked
token ends at once with UNAUTHENTICATED, and a new one with it is refused (service.auth
says within how long).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.routing import WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from core.codes import Code
from core.context import Context
from core.settings import Settings
from db.engine import resolve_url
from db.session import RequestDatabase
from schema import build_schema
from service.auth import REVOKED_MESSAGE, AuthError, authenticate, ensure_not_revoked
from service.listener import LISTENER_NAME, Broker, Lost, Revoked
from service.live_front import GuardedTransportWS, decode_frame

__all__ = ["LISTENER_NAME", "Broker", "BrokerEvents", "LiveGraphQL", "live_routes"]


def _unauthenticated(refused: AuthError) -> GraphQLError:
    """service.auth's refusal as a subscription's error: the sentence and code of a 401."""
    return GraphQLError(str(refused), extensions={"code": refused.code})


async def _token_stands(context: Context) -> None:
    """The check of requests (service.auth), again before each event."""
    try:
        await ensure_not_revoked(context.db, context.caller)
    except AuthError as refused:
        raise _unauthenticated(refused) from refused


class EventDatabase:
    """The database of a long-lived WebSocket: a pooled connection per statement, so an
    idle subscription holds none. Duck-types RequestDatabase for the resolvers."""

    def __init__(self, factory: Callable[[], RequestDatabase]) -> None:
        self.factory = factory

    async def execute(self, statement: Any, params: Mapping[str, Any] | None = None) -> Any:
        db = self.factory()
        try:
            return await db.execute(statement, params)
        finally:
            await db.close()

    async def fetch_value(self, sql: str, params: Sequence[Any]) -> Any:
        db = self.factory()
        try:
            return await db.fetch_value(sql, params)
        finally:
            await db.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        db = self.factory()
        try:
            async with db.transaction() as conn:
                yield conn
        finally:
            await db.close()

    async def close(self) -> None:
        pass


@dataclass
class LiveContext(Context):
    # Set by strawberry from the connection_init message.
    connection_params: dict[str, Any] | None = None
    header_authorization: str | None = None


class BrokerEvents:
    """The schema's subscriptions' events (core.context.LiveEvents): the listener's
    notifications, each after a check that the caller's token still stands (the check of
    requests); a revocation ends the subscription at once."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    async def ids(
        self, context: Context, channel: str, accept: Callable[[dict[str, Any]], bool]
    ) -> AsyncIterator[list[int]]:
        token_id = context.caller.token_id
        async with self.broker.subscribe(channel, accept, token_id) as queue:
            # Registered first: a later revocation reaches the queue, an earlier one is found.
            await _token_stands(context)
            while True:
                item = await queue.get()
                if isinstance(item, Revoked):
                    raise _unauthenticated(AuthError(REVOKED_MESSAGE))
                if isinstance(item, Lost):
                    raise GraphQLError(str(item), extensions={"code": Code.EVENTS_LOST})
                await _token_stands(context)
                # Each event is read afresh: nothing cached from earlier events.
                context.clear_loaders()
                yield [int(i) for i in item["ids"]]


# ---------------------------------------------------------------- the WebSocket endpoint


class LiveGraphQL(GraphQL[LiveContext, None]):
    """The WebSocket side of /graphql (the HTTP side stays with service.app)."""

    # Hostile frames and over-limit documents get coded refusals (service.live_front).
    graphql_transport_ws_handler_class = GuardedTransportWS

    def decode_json(self, data: str | bytes) -> object:
        return decode_frame(data, self.settings.max_graphql_body_bytes)

    def __init__(
        self,
        settings: Settings,
        database: Callable[[], RequestDatabase],
        schema: strawberry.Schema | None = None,
    ) -> None:
        schema = schema or build_schema()
        try:
            from service.front.prepare import guard_schema  # the same limits and error masking

            schema = guard_schema(schema, settings)
        except ImportError:  # pragma: no cover - an older tree without limits
            pass
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            max_subscriptions_per_connection=20,
        )
        self.settings = settings
        self.database = database
        self.broker = Broker(lambda: resolve_url(settings))

    async def get_context(self, request: Any, response: Any = None) -> LiveContext:
        return LiveContext(
            self.settings,
            EventDatabase(self.database),  # type: ignore[arg-type]
            events=BrokerEvents(self.broker),
            header_authorization=request.headers.get("authorization"),
        )

    async def on_ws_connect(self, context: LiveContext) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        given = params.get("Authorization") or params.get("authorization")
        if not given and params.get("token"):
            given = f"Bearer {params['token']}"
        try:
            context.caller = await authenticate(
                self.settings,
                context.db,
                given or context.header_authorization,
            )
        except AuthError as refused:
            raise ConnectionRejectionError({"message": str(refused)}) from refused
        return UNSET

    def start(self) -> None:
        """The listener, from the app's start: revocations are heard before any stream."""
        self.broker.start()

    async def close(self) -> None:
        await self.broker.close()


def live_routes(live: LiveGraphQL) -> list[WebSocketRoute]:
    return [WebSocketRoute("/graphql", live)]
