"""Alembic environment: runs migrations over the service's async engine."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from core.settings import get_settings
from db.engine import create_engine
from db.models import metadata

target_metadata = metadata


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online(url: str | None) -> None:
    engine = create_engine(get_settings(), url)
    async with engine.connect() as connection:
        await connection.run_sync(run_on)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `registry migrate`")

# The `migrate` command and the tests hand over a connection of their own; the alembic
# command line does not, and gets one from the configured database.
_given = context.config.attributes.get("connection")
if _given is not None:
    run_on(_given)
else:
    asyncio.run(run_online(context.config.attributes.get("url")))
