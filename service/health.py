"""Health for load balancers and orchestrators.

- `GET /healthz`: the process is alive and its event loop answers. No database work, so
  a database outage never makes an orchestrator restart healthy processes. Failing: restart.
- `GET /readyz`: the process can answer: PostgreSQL is reachable within
  `readiness_timeout_ms` and its schema is at the migrations' head. Failing (503 with
  Retry-After): take the process out of rotation, don't restart it; it comes back by itself.

A database *ahead* of this code (a revision it does not know: the next release's
migrations ran first, as a rolling deploy does) is ready: migrations are written to be
compatible with the release before them (see docs/operations.md). A database *behind* it
is not: this code may use tables or columns that are not there yet.

/readyz has a connection of its own (`ReadinessPool`, one connection): a pool taken by
slow requests or stalled export streams makes requests wait, but does not make a process
whose database answers look unready (docs/operations.md, "Export streams").
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from db.faults import describe, is_unavailable
from db.session import RequestDatabase
from service.faults import retry_after_header
from service.observability import setting

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from core.settings import Settings

log = logging.getLogger("registry.health")

DEFAULT_READINESS_TIMEOUT_MS = 2000
VERSION_TABLE = "alembic_version"
READINESS_APPLICATION_NAME = "deputy-registry-readiness"


class ReadinessPool:
    """The readiness check's own connection (an engine of one, opened on first use)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: AsyncEngine | None = None

    def database(self) -> RequestDatabase:
        if self._engine is None:
            from db.engine import create_engine

            self._engine = create_engine(
                self.settings, pool_size=1, application_name=READINESS_APPLICATION_NAME
            )
        return RequestDatabase(engine=self._engine)

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()


@dataclass(frozen=True)
class Migrations:
    heads: frozenset[str]  # the revisions this code expects the database to be at
    known: frozenset[str]  # every revision this code has


@cache
def migrations() -> Migrations:
    """The migration heads and revisions of this code (read once: they don't change while
    the process runs)."""
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    return Migrations(
        heads=frozenset(script.get_heads()),
        known=frozenset(r.revision for r in script.walk_revisions()),
    )


@dataclass
class Readiness:
    ready: bool
    body: dict[str, Any]


async def _database_revisions(db: RequestDatabase) -> set[str] | None:
    """The revisions recorded in the database, or None when it was never migrated."""
    exists = (await db.execute(text(f"SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL"))).scalar()
    if not exists:
        return None
    rows = await db.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
    return {str(r) for r in rows.scalars()}


def _judge(revisions: set[str] | None, code: Migrations) -> Readiness:
    expected = sorted(code.heads)
    if revisions is None or not revisions:
        return Readiness(
            False,
            {
                "status": "not ready",
                "database": "reachable",
                "migrations": "none applied: run `registry migrate`",
                "expected": expected,
            },
        )
    if revisions == code.heads:
        return Readiness(
            True,
            {
                "status": "ready",
                "database": "reachable",
                "migrations": "current",
                "revision": expected,
            },
        )
    if not revisions <= code.known:
        # Newer migrations than this code knows: a deploy in progress migrated first.
        return Readiness(
            True,
            {
                "status": "ready",
                "database": "reachable",
                "migrations": "ahead of this code",
                "revision": sorted(revisions),
                "expected": expected,
            },
        )
    return Readiness(
        False,
        {
            "status": "not ready",
            "database": "reachable",
            "migrations": "behind: run `registry migrate`",
            "revision": sorted(revisions),
            "expected": expected,
        },
    )


async def check_readiness(database: Callable[[], RequestDatabase], timeout: float) -> Readiness:
    """Whether the database answers in time and its schema is current."""
    code = await asyncio.to_thread(migrations)
    db = database()
    try:
        revisions = await asyncio.wait_for(_database_revisions(db), timeout)
    except TimeoutError:
        return Readiness(
            False,
            {"status": "unavailable", "database": f"no answer within {timeout * 1000:.0f} ms"},
        )
    except Exception as error:
        if not is_unavailable(error):
            log.exception("readiness check failed")
        return Readiness(
            False, {"status": "unavailable", "database": "unreachable", "error": describe(error)}
        )
    finally:
        try:
            await db.close()
        except Exception as error:  # a connection lost mid-check cannot be closed politely
            log.debug("closing after readiness check: %s", describe(error))
    return _judge(revisions, code)


def health_routes(
    database: Callable[[], RequestDatabase],
    settings: object = None,
    readiness: ReadinessPool | None = None,
) -> list[Route]:
    """GET /healthz and GET /readyz (see the module's doc): /readyz on `readiness`'s
    connection when given, else on `database` (tests running on their own connection)."""
    if readiness is not None:
        database = readiness.database
    timeout = int(setting(settings, "readiness_timeout_ms", DEFAULT_READINESS_TIMEOUT_MS)) / 1000
    no_store = {"Cache-Control": "no-store"}

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "pid": os.getpid()}, headers=no_store)

    async def readyz(_: Request) -> JSONResponse:
        readiness = await check_readiness(database, timeout)
        if readiness.ready:
            return JSONResponse(readiness.body, headers=no_store)
        return JSONResponse(
            readiness.body, status_code=503, headers=no_store | retry_after_header(settings)
        )

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
    ]
