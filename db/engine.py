"""The async engine, the session factory and a per-request SQL statement counter."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.settings import Settings
from db.embedded import start_embedded
from db.pool import ReadPool

# Counts statements sent by the current task (a request or a test) so that cost tests
# can assert the exact number of round trips.
statement_count: ContextVar[list[int] | None] = ContextVar("statement_count", default=None)


def resolve_url(settings: Settings) -> str:
    """The libpq-style URL of the database: the configured one, or the embedded server's."""
    return settings.database_url or start_embedded(settings.data_dir)


def async_url(url: str) -> str:
    """Turn a libpq URL (postgresql://...) into SQLAlchemy's asyncpg form."""
    parts = urlsplit(url)
    scheme = "postgresql+asyncpg"
    query = parse_qs(parts.query)
    # asyncpg takes a Unix socket directory as `host` in the query, as libpq does.
    kept = "&".join(f"{k}={v[0]}" for k, v in query.items() if k in {"host", "port"})
    return urlunsplit((scheme, parts.netloc, parts.path, kept, ""))


def sync_url(url: str) -> str:
    """The same URL for code that wants a libpq-compatible string (psql, pg_dump)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def count_statement(*_: Any) -> None:
    counter = statement_count.get()
    if counter is not None:
        counter[0] += 1


@contextmanager
def counting_statements() -> Iterator[Callable[[], int]]:
    """Count this task's SQL statements, into the caller's counter when one is set (a test
    measuring statements); yields a function that tells how many were sent so far."""
    counter = statement_count.get()
    token = None
    if counter is None:
        counter = [0]
        token = statement_count.set(counter)
    before = counter[0]
    try:
        yield lambda: counter[0] - before
    finally:
        if token is not None:
            statement_count.reset(token)


APPLICATION_NAME = "deputy-registry"


def server_settings(settings: Settings, application_name: str = APPLICATION_NAME) -> dict[str, str]:
    """The session settings of every connection the service opens."""
    return {
        "statement_timeout": str(settings.statement_timeout_ms),
        "application_name": application_name,
        # JIT compilation cost seconds on national reports and never paid back here.
        "jit": "off",
        "work_mem": "64MB",
        "timezone": "UTC",
    }


def create_read_pool(settings: Settings, url: str | None = None) -> ReadPool:
    """Connections for the compiled path's single-statement reads (db.pool)."""
    dsn = sync_url(url or resolve_url(settings))

    def connect() -> Awaitable[asyncpg.Connection]:
        return asyncpg.connect(
            dsn,
            timeout=settings.connect_timeout_seconds,
            server_settings=server_settings(settings),
            # Compiled statements are long and repeat: keep them prepared.
            statement_cache_size=512,
            max_cacheable_statement_size=256 * 1024,
        )

    return ReadPool(connect, settings.read_pool_size, settings.pool_timeout_s)


def refuse_closed_connection(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """On checkout: a connection the server has closed (a restart, a terminated backend) is
    never handed out. asyncpg marks it closed as soon as the socket ends, so this costs no
    round trip; the pool then replaces it, and every connection older than it (they
    likely died with it) is replaced on its next checkout."""
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise sa_exc.InvalidatePoolError("the server closed this pooled connection")


def create_engine(
    settings: Settings,
    url: str | None = None,
    *,
    pool_size: int | None = None,
    application_name: str = APPLICATION_NAME,
) -> AsyncEngine:
    engine = create_async_engine(
        async_url(url or resolve_url(settings)),
        pool_size=pool_size or settings.pool_size,
        # No overflow: connections opened past the pool are closed on return, and opening
        # one per request under load costs more than waiting for a pooled one.
        max_overflow=0,
        pool_timeout=settings.pool_timeout_s,
        # No ping per checkout (a round trip per request): a connection the server closed
        # is found by `refuse_closed_connection` without one, and one that fails mid-request
        # invalidates the whole pool (SQLAlchemy's disconnect handling).
        pool_pre_ping=False,
        # The most recently returned connection first: its backend is warm in the CPU
        # caches, and idle ones stay idle instead of every backend taking turns.
        pool_use_lifo=True,
        # Rolling back is enough to clean a returned connection; asyncpg's reset
        # (RESET ALL, UNLISTEN, ...) would cost an extra round trip per request.
        pool_reset_on_return="rollback",
        connect_args={
            "timeout": settings.connect_timeout_seconds,
            "server_settings": server_settings(settings, application_name),
        },
    )
    event.listen(engine.sync_engine, "before_cursor_execute", count_statement)
    event.listen(engine.sync_engine.pool, "checkout", refuse_closed_connection)
    return engine
