"""The database handle of one request: one connection, taken from the pool on first use.

DataLoaders of one request dispatch their batches concurrently; an asyncpg connection
runs one statement at a time, so statements are serialised with a lock. One connection
per request keeps the pool small and makes the SQL count of a request exact.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from db.engine import count_statement
from db.faults import is_unavailable
from db.pool import ReadPool


class RequestDatabase:
    def __init__(
        self,
        engine: AsyncEngine | None = None,
        connection: AsyncConnection | None = None,
        reads: ReadPool | None = None,
        writes: AsyncEngine | None = None,
    ):
        if (engine is None) == (connection is None):
            raise ValueError("give an engine or a connection")
        self._engine = engine
        # Connections kept for mutations: no number of slow reads can leave a write waiting.
        self._writes = writes
        self.for_writes = False
        self._reads = reads
        self._connection = connection
        # A connection handed in (by a test) belongs to the caller: never closed here.
        self._owned = connection is None
        self._lock = asyncio.Lock()
        self._closed = False

    async def _get(self) -> AsyncConnection:
        if self._closed:
            raise RuntimeError("the request's database handle is closed")
        if self._connection is None:
            engine = self._writes if self.for_writes and self._writes else self._engine
            assert engine is not None
            self._connection = await engine.connect()
        return self._connection

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> Result[*tuple[Any, ...]]:
        async with self._lock:
            connection = await self._get()
            return await connection.execute(statement, params)

    async def fetch_value(self, sql: str, params: Sequence[Any]) -> Any:
        """One value from SQL text with positional ($n) parameters, straight through the
        driver (asyncpg prepares and caches the statement per connection)."""
        if self._reads is not None and self._connection is None:
            # A read on its own needs none of the request's connection: the read pool's.
            count_statement()
            return await self._reads.fetch_value(sql, params)
        async with self._lock:
            connection = await self._get()
            # Straight to the driver: a single read needs no BEGIN/ROLLBACK round trips.
            raw = await connection.get_raw_connection()
            count_statement()
            return await raw.driver_connection.fetchval(sql, *params)  # type: ignore[union-attr]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (a savepoint inside a caller's transaction)."""
        async with self._lock:
            connection = await self._get()
            if connection.in_transaction():
                async with connection.begin_nested():
                    yield connection
                if self._owned:
                    await connection.commit()
            else:
                async with connection.begin():
                    yield connection

    async def close(self) -> None:
        self._closed = True
        if self._owned and self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                await connection.close()
            except Exception as error:
                # The connection died under the request (a database restart): the answer is
                # made already. Hand the dead connection back to the pool as invalid (unless
                # closing it got that far already).
                with contextlib.suppress(Exception):
                    await connection.invalidate()
                if not is_unavailable(error):
                    raise
