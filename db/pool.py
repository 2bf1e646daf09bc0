"""Connections for single-statement reads (the compiled path), handed out first come, first
served, straight from asyncpg.

Why not the engine's pool: a checkout and checkin through SQLAlchemy cost about a tenth of
a cached read's time in the service, and asyncio queues let a newcomer take a returned
connection ahead of the requests already waiting, which stretches the slowest answers under
load. Here a returned connection goes to the longest waiter, and nothing is sent on return:
a read leaves no transaction or session state behind.

After a database restart every idle connection is dead. asyncpg marks a connection closed
as soon as its socket ends, so a closed one is never handed out: finding one (or a read
losing its connection) drops every idle connection at once, and the read that found it
opens a fresh one, so the first request after the database is back succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class PoolClosed(ConnectionError):
    """The pool was closed (the service is stopping)."""


class ReadPool:
    def __init__(self, connect: Connect, size: int, timeout: float) -> None:
        if size < 1:
            raise ValueError("a read pool needs at least one connection")
        self._connect = connect
        self.size = size
        self.timeout = timeout
        self._idle: list[asyncpg.Connection] = []
        # Futures of the requests waiting, oldest first. A waiter is given a connection, or
        # None when a connection was dropped: its place is then reserved for the waiter,
        # which opens a new one.
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._opened = 0
        self._closed = False
        self._settling: set[asyncio.Task[None]] = set()

    @property
    def in_use(self) -> int:
        return self._opened - len(self._idle)

    async def fetch_value(self, sql: str, params: Sequence[Any]) -> Any:
        connection = await self._acquire()
        try:
            value = await connection.fetchval(sql, *params)
        except asyncpg.PostgresError:
            # The statement failed (a timeout, bad input): the connection is still good,
            # unless the server ended the session.
            self._release(connection)
            raise
        except asyncio.CancelledError:
            # The request went away mid-statement: asyncpg asks the server to cancel it.
            self._settle(connection)
            raise
        except BaseException:
            # Broken: never hand it on, nor the idle ones, which likely broke with it.
            self._drop(connection)
            self._drop_idle()
            raise
        self._release(connection)
        return value

    async def _acquire(self) -> asyncpg.Connection:
        if self._closed:
            raise PoolClosed("the read pool is closed")
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
            # The server closed it (restarted, or ended the session): the others went with it.
            self._drop(connection)
            self._drop_idle()
        if self._opened < self.size:
            self._opened += 1
            return await self._open()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[asyncpg.Connection | None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.timeout, self._expire, waiter)
        try:
            connection = await waiter
        except asyncio.CancelledError:
            # Handed a connection in the same moment the request was cancelled: pass it on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                given = waiter.result()
                if given is None:
                    self._opened -= 1
                    self._pass_on_slot()
                else:
                    self._release(given)
            raise
        finally:
            timer.cancel()
        return connection if connection is not None else await self._open()

    async def _open(self) -> asyncpg.Connection:
        """Open a connection in a place already counted in `_opened`."""
        try:
            return await self._connect()
        except BaseException:
            self._opened -= 1
            self._pass_on_slot()
            raise

    def _expire(self, waiter: asyncio.Future[asyncpg.Connection | None]) -> None:
        if not waiter.done():
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
            waiter.set_exception(
                TimeoutError(f"no database connection free within {self.timeout:g} s")
            )

    def _next_waiter(self) -> asyncio.Future[asyncpg.Connection | None] | None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                return waiter
        return None

    def _release(self, connection: asyncpg.Connection) -> None:
        if self._closed or connection.is_closed():
            self._drop(connection)
            self._drop_idle()
            return
        waiter = self._next_waiter()
        if waiter is not None:
            waiter.set_result(connection)
        else:
            self._idle.append(connection)

    def _settle(self, connection: asyncpg.Connection) -> None:
        """Take a connection back once the server has cancelled its statement (as asyncpg's
        own pool does), so that no statement runs on without a connection counted for it;
        closed if that does not come in time."""
        protocol = connection._protocol  # asyncpg exposes cancellation only there

        async def settle() -> None:
            try:
                if protocol is None or not protocol._is_cancelling():
                    raise ConnectionError("not cancelling: state unknown")
                async with asyncio.timeout(self.timeout):
                    await protocol._wait_for_cancellation()
            except Exception:
                self._drop(connection)
            else:
                self._release(connection)

        task = asyncio.get_running_loop().create_task(settle())
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    def _drop(self, connection: asyncpg.Connection) -> None:
        self._opened -= 1
        connection.terminate()
        self._pass_on_slot()

    def _drop_idle(self) -> None:
        """Close every idle connection: after one was found dead, they are suspect too, and
        reopening a few costs less than failing a request on each."""
        idle, self._idle = self._idle, []
        for connection in idle:
            self._drop(connection)

    def _pass_on_slot(self) -> None:
        """A connection's place came free: the longest waiter may open one."""
        if self._closed:
            return
        waiter = self._next_waiter()
        if waiter is not None:
            self._opened += 1  # reserved for the waiter, which opens it (`_acquire`)
            waiter.set_result(None)

    async def close(self) -> None:
        """Close the idle connections now; those in use close when they come back."""
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosed("the read pool is closed"))
        idle, self._idle = self._idle, []
        self._opened -= len(idle)
        for connection in idle:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)
            if not connection.is_closed():
                connection.terminate()
