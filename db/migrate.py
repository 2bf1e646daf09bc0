"""Bring a database to the current schema and load the reference data."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from seed.reference import load_reference_data

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


def _is_current(connection: Connection) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return set(MigrationContext.configure(connection).get_current_heads()) == heads


async def migrate_connection(connection: AsyncConnection) -> bool:
    """Upgrade to head and load reference data; True when reference data was loaded now."""
    await connection.run_sync(_upgrade)
    return await load_reference_data(connection)


async def migrate(engine: AsyncEngine) -> bool:
    async with engine.begin() as connection:
        return await migrate_connection(connection)


async def migrations_current(connection: AsyncConnection) -> bool:
    return await connection.run_sync(_is_current)
