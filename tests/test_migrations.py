"""The models and the migrations describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncConnection

from db.migrate import migrations_current
from db.models import metadata


async def test_models_and_migrations_agree(connection: AsyncConnection) -> None:
    def diff(sync_connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    assert await connection.run_sync(diff) == []


async def test_database_is_at_the_latest_migration(connection: AsyncConnection) -> None:
    assert await migrations_current(connection)
