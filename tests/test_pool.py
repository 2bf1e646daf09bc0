"""The compiled path's read pool (db.pool) on a real PostgreSQL: first come, first served,
bounded, and never handing on a connection in an unknown state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from core.settings import Settings
from db.engine import create_read_pool, sync_url
from db.pool import PoolClosed, ReadPool

PID = "SELECT pg_backend_pid() + 0 * $1::int"
SLEEP_THEN_PID = "SELECT pg_backend_pid() FROM pg_sleep($1::float)"


def _pool(database_url: str, size: int, timeout: float = 5.0) -> ReadPool:
    dsn = sync_url(database_url)
    return ReadPool(lambda: asyncpg.connect(dsn), size=size, timeout=timeout)


@pytest.fixture
async def one(database_url: str) -> AsyncIterator[ReadPool]:
    pool = _pool(database_url, size=1)
    yield pool
    await pool.close()


async def _backend_alive(database_url: str, pid: int) -> bool:
    conn = await asyncpg.connect(sync_url(database_url))
    try:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)", pid
            )
        )
    finally:
        await conn.close()


async def _sleeping_backend_or_none(database_url: str) -> int | None:
    conn = await asyncpg.connect(sync_url(database_url))
    try:
        return await conn.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query = $1",
            SLEEP_THEN_PID,
        )
    finally:
        await conn.close()


async def _sleeping_backend(database_url: str) -> int:
    pid = await _sleeping_backend_or_none(database_url)
    assert pid is not None
    return pid


async def test_waiters_are_served_in_the_order_they_came(one: ReadPool) -> None:
    finished: list[str] = []

    async def read(name: str, sql: str, arg: object) -> int:
        pid = await one.fetch_value(sql, [arg])
        finished.append(name)
        return int(pid)

    holder = asyncio.create_task(read("holder", SLEEP_THEN_PID, 0.3))
    await asyncio.sleep(0.05)  # the holder has the only connection
    waiters = []
    for name in ("first", "second", "third"):
        waiters.append(asyncio.create_task(read(name, PID, 0)))
        await asyncio.sleep(0.01)
    # A newcomer arriving as the connection comes back must queue behind them.
    await holder
    late = asyncio.create_task(read("late", PID, 0))
    pids = await asyncio.gather(*waiters, late)
    assert finished == ["holder", "first", "second", "third", "late"]
    assert len(set(pids)) == 1  # one connection, reused, never a second one opened
    assert one.in_use == 0


async def test_no_more_connections_than_the_size(database_url: str) -> None:
    pool = _pool(database_url, size=3)
    try:
        pids = await asyncio.gather(*(pool.fetch_value(SLEEP_THEN_PID, [0.05]) for _ in range(12)))
        assert len(set(pids)) == 3
        assert pool.in_use == 0
    finally:
        await pool.close()


async def test_a_waiter_gives_up_after_the_timeout(database_url: str) -> None:
    pool = _pool(database_url, size=1, timeout=0.1)
    try:
        holder = asyncio.create_task(pool.fetch_value(SLEEP_THEN_PID, [0.5]))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError, match=r"no database connection free within 0\.1 s"):
            await pool.fetch_value(PID, [0])
        first = await holder
        assert await pool.fetch_value(PID, [0]) == first  # the pool goes on as before
    finally:
        await pool.close()


async def test_a_failed_statement_keeps_its_connection(one: ReadPool) -> None:
    before = await one.fetch_value(PID, [0])
    with pytest.raises(asyncpg.DivisionByZeroError):
        await one.fetch_value("SELECT 1 / $1::int", [0])
    assert await one.fetch_value(PID, [0]) == before


async def test_a_cancelled_read_stops_its_statement(one: ReadPool, database_url: str) -> None:
    reading = asyncio.create_task(one.fetch_value(SLEEP_THEN_PID, [30]))
    await asyncio.sleep(0.2)
    busy = await _sleeping_backend(database_url)
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading
    # The next read waits for the server to cancel the sleep, then gets the connection back.
    after = await asyncio.wait_for(one.fetch_value(PID, [0]), 5)
    assert after == busy
    assert await _sleeping_backend_or_none(database_url) is None
    assert one.in_use == 0


async def _terminate(database_url: str, pids: list[int]) -> None:
    admin = await asyncpg.connect(sync_url(database_url))
    try:
        await admin.fetchval("SELECT count(pg_terminate_backend(p)) FROM unnest($1::int[]) p", pids)
    finally:
        await admin.close()
    await asyncio.sleep(0.2)  # the sockets' ends reach this process


async def test_a_connection_killed_by_the_server_is_replaced(
    one: ReadPool, database_url: str
) -> None:
    """Issue 17, point 13: the first read after the server ended an idle connection succeeds
    (on a new one), instead of failing on the dead one."""
    pid = await one.fetch_value(PID, [0])
    await _terminate(database_url, [pid])
    replaced = await one.fetch_value(PID, [0])
    assert replaced != pid
    assert one.in_use == 0 and one._opened == 1


async def test_every_idle_connection_dead_after_a_restart(database_url: str) -> None:
    """Issue 17, point 13: with every idle connection dead (as after a database restart), the
    next reads all succeed, on new connections, and the pool stays within its size."""
    pool = _pool(database_url, size=3)
    try:
        old = set(
            await asyncio.gather(*(pool.fetch_value(SLEEP_THEN_PID, [0.1]) for _ in range(3)))
        )
        assert len(old) == 3
        await _terminate(database_url, list(old))
        new = await asyncio.gather(*(pool.fetch_value(SLEEP_THEN_PID, [0.1]) for _ in range(3)))
        assert not set(new) & old
        assert pool._opened == 3 and pool.in_use == 0
    finally:
        await pool.close()


async def test_the_engine_never_hands_out_a_closed_connection(settings: Settings) -> None:
    """Issue 17, point 13: the write/resolver pool (db.engine) after the server ended all of
    its idle connections: the next requests succeed, each on a new connection."""
    from sqlalchemy import text

    from db.engine import create_engine
    from db.session import RequestDatabase

    engine = create_engine(settings, pool_size=3)

    async def backend_pid(hold: float) -> int:
        db = RequestDatabase(engine=engine)
        try:
            found = await db.execute(text("SELECT pg_backend_pid() FROM pg_sleep(:s)"), {"s": hold})
            return int(found.scalar_one())
        finally:
            await db.close()

    try:
        old = set(await asyncio.gather(*(backend_pid(0.1) for _ in range(3))))
        assert len(old) == 3
        assert settings.database_url is not None
        await _terminate(settings.database_url, list(old))
        new = await asyncio.gather(*(backend_pid(0.1) for _ in range(3)))
        assert not set(new) & old
    finally:
        await engine.dispose()


async def test_closing_refuses_new_reads_and_releases_waiters(database_url: str) -> None:
    pool = _pool(database_url, size=1)
    holder = asyncio.create_task(pool.fetch_value(SLEEP_THEN_PID, [0.3]))
    await asyncio.sleep(0.05)
    waiter = asyncio.create_task(pool.fetch_value(PID, [0]))
    await asyncio.sleep(0.01)
    await pool.close()
    with pytest.raises(PoolClosed):
        await waiter
    pid = await holder  # the read in flight finishes, then its connection is closed
    with pytest.raises(PoolClosed):
        await pool.fetch_value(PID, [0])
    for _ in range(50):
        if not await _backend_alive(database_url, pid):
            break
        await asyncio.sleep(0.1)
    assert not await _backend_alive(database_url, pid)


async def test_the_service_pool_uses_the_service_session_settings(settings: Settings) -> None:
    pool = create_read_pool(settings.model_copy(update={"statement_timeout_ms": 1234}))
    try:
        assert await pool.fetch_value("SHOW statement_timeout", []) == "1234ms"
        assert await pool.fetch_value("SHOW application_name", []) == "deputy-registry"
        assert pool.size == settings.read_pool_size
    finally:
        await pool.close()
