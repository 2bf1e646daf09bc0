"""The process's LISTEN connection (the Broker): PostgreSQL notifications for the
subscriptions of service.live, and token revocations for service.auth.

Triggers (migrations 0003 and 0005) call pg_notify in the writing transaction, so a
notification leaves PostgreSQL only when that transaction commits, whichever process wrote
it. Each service process keeps one dedicated asyncpg connection that LISTENs, started with
the app, and hands each notification on: events to the subscriptions they concern (each a
bounded queue), a revoked token's id to service.auth and to that token's subscriptions.

Twice a second it sends a probe to a channel of its own and waits for it to come back: an
echo proves that every notification committed before the probe has arrived, which is what
lets service.auth trust a checked token (see service.auth._Revocations for the window). A
lost connection (closed, or no echo for PROBE_LOST_SECONDS) ends trust at once, ends the
subscriptions (clients resubscribe and catch up through `updatedSince`) and reconnects.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from service.auth import REVOCATION_CHANNEL, REVOKED_MESSAGE, revocations

log = logging.getLogger(__name__)

CHANNELS = ("registry_attendance", "registry_reception", "registry_mandate")
QUEUE_SIZE = 1000
LISTENER_NAME = "deputy-registry-live"  # the application_name of the listening connection
RECONNECT_SECONDS = (0.5, 1, 2, 5, 10)
PROBE_SECONDS = 0.5  # how often the listener proves that notifications reach it
PROBE_LOST_SECONDS = 10.0  # no probe back for this long: the connection is taken as lost


class Lost(Exception):
    """The events of a subscription can no longer be delivered in full."""


class Revoked(Lost):
    """The subscriber's token has been revoked."""


@dataclass(eq=False)
class _Subscriber:
    channel: str
    accept: Callable[[dict[str, Any]], bool]
    token_id: str | None = None
    queue: asyncio.Queue[dict[str, Any] | Lost] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE)
    )

    def offer(self, item: dict[str, Any] | Lost) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # A client too slow for the events: end it rather than let memory grow.
            self.queue.get_nowait()
            ending = item if isinstance(item, Lost) else None
            self.queue.put_nowait(ending or Lost("Too many events; resubscribe."))


class Broker:
    """One LISTEN connection per process, started with the app (or the first subscription):
    events for the subscriptions, revocations for service.auth."""

    def __init__(self, dsn: Callable[[], str]) -> None:
        # Resolved when it starts: an app that is never served never connects.
        self.dsn = dsn
        self.subscribers: set[_Subscriber] = set()
        self._connection: asyncpg.Connection | None = None
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        # Probes go to a channel of this listener's own, so no other process hears them.
        self._probe_channel = f"registry_probe_{uuid.uuid4().hex}"
        self._probes: dict[str, tuple[int, float]] = {}  # payload -> (epoch, sent at)
        self._last_echo = 0.0

    def _dispatch(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        try:
            event = json.loads(payload)
        except ValueError:
            log.warning("ignoring a malformed notification on %s", channel)
            return
        for subscriber in list(self.subscribers):
            if subscriber.channel == channel and subscriber.accept(event):
                subscriber.offer(event)

    def _revoked(self, _conn: Any, _pid: int, _channel: str, token_id: str) -> None:
        revocations.revoke(token_id)
        for subscriber in list(self.subscribers):
            if subscriber.token_id == token_id:
                subscriber.offer(Revoked(REVOKED_MESSAGE))

    def _echo(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        probe = self._probes.pop(payload, None)
        if probe is not None:
            self._last_echo = time.monotonic()
            revocations.heard_up_to(*probe)

    async def _prove(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Send probes until the connection is lost or no longer delivers them."""
        self._last_echo = time.monotonic()
        for number in itertools.count(1):
            if lost.is_set():
                return
            # Tagged with the epoch it is sent in: an echo counts for that epoch only.
            self._probes[str(number)] = (revocations.epoch, time.monotonic())
            try:
                await conn.execute(
                    "SELECT pg_notify($1, $2)", self._probe_channel, str(number), timeout=5
                )
            except Exception as error:  # whatever it is, this connection cannot be trusted
                log.warning("live listener probe failed (%s)", error)
                return
            if time.monotonic() - self._last_echo > PROBE_LOST_SECONDS:
                log.warning("no notification reaches the live listener (a pooling proxy?)")
                return
            with suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), PROBE_SECONDS)

    async def _listen(self) -> None:
        assert self._ready is not None
        attempt = 0
        while not self._closed:
            lost = asyncio.Event()

            def on_lost(_conn: Any, lost: asyncio.Event = lost) -> None:
                lost.set()

            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(
                    self.dsn(),
                    # Its probes' commits need no flush to disk.
                    server_settings={
                        "application_name": LISTENER_NAME,
                        "synchronous_commit": "off",
                    },
                )
                conn.add_termination_listener(on_lost)
                for channel in CHANNELS:
                    await conn.add_listener(channel, self._dispatch)
                await conn.add_listener(REVOCATION_CHANNEL, self._revoked)
                await conn.add_listener(self._probe_channel, self._echo)
            except Exception as error:  # unreachable, refused, misconfigured: try again later
                if conn is not None:
                    conn.terminate()
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                log.warning("live listener cannot connect (%s); retrying in %ss", error, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self._connection, attempt = conn, 0
            # Revocations sent while no one listened were missed: trust starts afresh.
            revocations.listening()
            self._ready.set()
            try:
                await self._prove(conn, lost)
            finally:
                revocations.lost()
                self._ready.clear()
                self._connection = None
                self._probes.clear()
                conn.terminate()
            log.warning("live listener connection lost; ending subscriptions")
            for subscriber in list(self.subscribers):
                subscriber.offer(Lost("The event stream was interrupted; resubscribe."))

    def start(self) -> None:
        """Connect in the background, retrying: the app starts while the database is down."""
        if self._task is None and not self._closed:
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._listen(), name="live-listener")

    def server_pid(self) -> int | None:
        """The listening connection's PostgreSQL backend, while connected."""
        return self._connection.get_server_pid() if self._connection is not None else None

    @asynccontextmanager
    async def subscribe(
        self, channel: str, accept: Callable[[dict[str, Any]], bool], token_id: str | None
    ) -> AsyncIterator[asyncio.Queue[dict[str, Any] | Lost]]:
        """A queue of the channel's accepted events, from the moment LISTEN is in place,
        ended by Revoked when `token_id` is revoked."""
        self.start()
        assert self._ready is not None
        await self._ready.wait()
        subscriber = _Subscriber(channel, accept, token_id)
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
