"""Live updates: GraphQL subscriptions over graphql-transport-ws at /graphql (WebSocket).

    attendanceRecorded(meetingId)   an attendance (列席) recorded at a meeting
    receptionRecorded(stationId)    a reception recorded at a station
    mandateChanged(regionCode)      a mandate created or changed in a congress of the subtree

Delivery across processes: triggers (migration 0003) call pg_notify in the writing
transaction, so an event leaves PostgreSQL only when that transaction commits, whichever
service process, command or script wrote it. Every service process keeps one dedicated
asyncpg connection that LISTENs (the Broker) and hands each notification to the
subscriptions it concerns; a subscription then reads the rows through the normal types,
so the caller's role applies as in queries (personal fields masked). A subscription holds
no database connection while it waits: each read borrows one from the pool.

The caller authenticates in connection_init ({"Authorization": "Bearer <token>"}; browsers
cannot set WebSocket headers) or with the upgrade request's Authorization header.
If the listener connection is lost, subscriptions end with an error so that clients
resubscribe and catch up through `updatedSince`, rather than silently miss events.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import strawberry
from graphql import GraphQLError
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.routing import WebSocketRoute
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import Info
from strawberry.types.unset import UNSET, UnsetType

from db.attendance import Attendance as AttendanceRow
from db.deputies import Mandate as MandateRow
from db.engine import resolve_url
from db.session import RequestDatabase
from db.stations import Reception as ReceptionRow
from resolvers.ids import decode_int_id
from schema.attendance import Attendance
from schema.deputies import Mandate
from schema.stations import Reception
from service.auth import AuthError, caller_from_header, is_revoked
from service.context import Context
from service.settings import Settings

log = logging.getLogger(__name__)

CHANNELS = ("registry_attendance", "registry_reception", "registry_mandate")
QUEUE_SIZE = 1000
LISTENER_NAME = "deputy-registry-live"  # the application_name of the listening connection
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)


class Lost(Exception):
    """The events of a subscription can no longer be delivered in full."""


@dataclass(eq=False)
class _Subscriber:
    channel: str
    accept: Callable[[dict[str, Any]], bool]
    queue: asyncio.Queue[dict[str, Any] | Lost] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )

    def offer(self, item: dict[str, Any] | Lost) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # A client too slow for the events: end it rather than let memory grow.
            self.queue.get_nowait()
            self.queue.put_nowait(Lost("Too many events for this subscription; resubscribe."))


class Broker:
    """One LISTEN connection per process, started with the first subscription."""

    def __init__(self, dsn: Callable[[], str]) -> None:
        # Resolved at the first subscription: an app that never streams never connects.
        self.dsn = dsn
        self.subscribers: set[_Subscriber] = set()
        self._connection: asyncpg.Connection | None = None
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def _dispatch(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            log.warning("ignoring a malformed notification on %s", channel)
            return
        for subscriber in list(self.subscribers):
            if subscriber.channel == channel and subscriber.accept(event):
                subscriber.offer(event)

    async def _listen(self) -> None:
        assert self._ready is not None
        attempt = 0
        while not self._closed:
            lost = asyncio.Event()

            def on_lost(_conn: Any, lost: asyncio.Event = lost) -> None:
                lost.set()

            try:
                conn = await asyncpg.connect(
                    self.dsn(), server_settings={"application_name": LISTENER_NAME}
                )
                conn.add_termination_listener(on_lost)
                for channel in CHANNELS:
                    await conn.add_listener(channel, self._dispatch)
            except (OSError, asyncpg.PostgresError) as error:
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                log.warning("live listener cannot connect (%s); retrying in %ss", error, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self._connection, attempt = conn, 0
            self._ready.set()
            await lost.wait()
            self._ready.clear()
            self._connection = None
            log.warning("live listener connection lost; ending subscriptions")
            for subscriber in list(self.subscribers):
                subscriber.offer(Lost("The event stream was interrupted; resubscribe."))

    async def _start(self) -> None:
        if self._task is None:
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._listen(), name="live-listener")
        assert self._ready is not None
        await self._ready.wait()

    @asynccontextmanager
    async def subscribe(
        self, channel: str, accept: Callable[[dict[str, Any]], bool]
    ) -> AsyncIterator[asyncio.Queue[dict[str, Any] | Lost]]:
        """A queue of the channel's accepted events, from the moment LISTEN is in place."""
        await self._start()
        subscriber = _Subscriber(channel, accept)
        self.subscribers.add(subscriber)
        try:
            yield subscriber.queue
        finally:
            self.subscribers.discard(subscriber)

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await self._connection.close()


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
    broker: Broker | None = None
    # Set by strawberry from the connection_init message.
    connection_params: dict[str, Any] | None = None
    header_authorization: str | None = None


# ---------------------------------------------------------------- the subscriptions


async def _events(
    info: Info, channel: str, accept: Callable[[dict[str, Any]], bool]
) -> AsyncIterator[list[int]]:
    """The ids each accepted notification carries, after a check that the caller's token
    still stands (revocation is honoured as in requests)."""
    context: LiveContext = info.context
    assert context.broker is not None
    async with context.broker.subscribe(channel, accept) as queue:
        while True:
            item = await queue.get()
            if isinstance(item, Lost):
                raise GraphQLError(str(item), extensions={"code": "EVENTS_LOST"})
            if await is_revoked(context.db, context.caller.token_id):  # type: ignore[arg-type]
                raise GraphQLError(
                    "The token has been revoked.", extensions={"code": "UNAUTHENTICATED"}
                )
            # Each event is read afresh: nothing cached from earlier events.
            context.clear_loaders()
            yield [int(i) for i in item["ids"]]


def _key(global_id: str, type_name: str) -> int:
    key = decode_int_id(global_id, type_name)
    if key is None:
        raise GraphQLError(f"{global_id!r} is not a {type_name} ID.")
    return key


async def _rows(info: Info, table: Any, ids: list[int]) -> list[Any]:
    found = await info.context.db.execute(
        select(table).where(table.c.id.in_(ids)).order_by(table.c.id)
    )
    return list(found)


async def _exists(info: Info, sql: str, key: object, what: str) -> None:
    row = (await info.context.db.execute(text(sql), {"key": key})).first()
    if row is None:
        raise GraphQLError(f"No {what} {key!r}.", extensions={"code": "NOT_FOUND"})


@strawberry.enum(description="What happened to a mandate.")
class MandateChangeKind(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"


@strawberry.type(description="A mandate created or changed (suspended, ended, corrected).")
class MandateChange:
    kind: MandateChangeKind
    mandate: Mandate


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Attendances (列席) as they are recorded at a meeting, from now on."
    )
    async def attendance_recorded(
        self, info: Info, meeting_id: strawberry.ID
    ) -> AsyncGenerator[Attendance, None]:
        key = _key(meeting_id, "Meeting")
        await _exists(info, "SELECT 1 FROM meetings WHERE id = :key", key, "meeting")
        table = AttendanceRow.__table__
        async for ids in _events(info, "registry_attendance", lambda e: e.get("meeting") == key):
            for row in await _rows(info, table, ids):
                yield Attendance.from_row(row)

    @strawberry.subscription(description="Receptions as they are recorded at a station.")
    async def reception_recorded(
        self, info: Info, station_id: strawberry.ID
    ) -> AsyncGenerator[Reception, None]:
        key = _key(station_id, "Station")
        await _exists(info, "SELECT 1 FROM stations WHERE id = :key", key, "station")
        table = ReceptionRow.__table__
        async for ids in _events(info, "registry_reception", lambda e: e.get("station") == key):
            for row in await _rows(info, table, ids):
                yield Reception.from_row(row)

    @strawberry.subscription(
        description="Mandates created or changed in the congresses of a region and below."
    )
    async def mandate_changed(
        self, info: Info, region_code: str
    ) -> AsyncGenerator[MandateChange, None]:
        code = region_code.strip()
        await _exists(info, "SELECT 1 FROM regions WHERE code = :key", code, "region with code")
        table = MandateRow.__table__
        kinds: dict[int, MandateChangeKind] = {}

        def accept(event: dict[str, Any]) -> bool:
            if code not in event.get("lineage", ()):
                return False
            kind = (
                MandateChangeKind.CREATED
                if event.get("op") == "INSERT"
                else MandateChangeKind.UPDATED
            )
            kinds.update(dict.fromkeys(event.get("ids", ()), kind))
            return True

        async for ids in _events(info, "registry_mandate", accept):
            for row in await _rows(info, table, ids):
                yield MandateChange(
                    kind=kinds.pop(row.id, MandateChangeKind.UPDATED), mandate=Mandate.from_row(row)
                )


# ---------------------------------------------------------------- the WebSocket endpoint


class LiveGraphQL(GraphQL[LiveContext, None]):
    """The WebSocket side of /graphql (the HTTP side stays with service.app)."""

    def __init__(
        self,
        settings: Settings,
        database: Callable[[], RequestDatabase],
        schema: strawberry.Schema | None = None,
    ) -> None:
        from schema import build_schema  # here: schema imports this module's Subscription

        schema = schema or build_schema()
        try:
            from service.limits import guard_schema  # the same limits and error masking

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
            broker=self.broker,
            header_authorization=request.headers.get("authorization"),
        )

    async def on_ws_connect(self, context: LiveContext) -> UnsetType | dict[str, object] | None:
        params = context.connection_params or {}
        given = params.get("Authorization") or params.get("authorization")
        if not given and params.get("token"):
            given = f"Bearer {params['token']}"
        try:
            context.caller = caller_from_header(
                self.settings, given or context.header_authorization
            )
        except AuthError as refused:
            raise ConnectionRejectionError({"message": str(refused)}) from refused
        if await is_revoked(context.db, context.caller.token_id):  # type: ignore[arg-type]
            raise ConnectionRejectionError({"message": "The token has been revoked."})
        return UNSET

    async def close(self) -> None:
        await self.broker.close()


def live_routes(live: LiveGraphQL) -> list[WebSocketRoute]:
    return [WebSocketRoute("/graphql", live)]
