"""Writing batches with COPY, continuing the id sequences, and bulk-load index handling."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from seed.model import COLUMNS, ID_TABLES, Batch

# asyncpg's binary COPY has no encoder for tsvector, so deputies go as CSV text.
TEXT_COPY = {"deputies"}


async def driver_of(connection: AsyncConnection) -> Any:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    return driver


async def last_ids(connection: AsyncConnection) -> dict[str, int]:
    """The highest id each table has used (its rows or its sequence), to continue after."""
    parts = ", ".join(
        f"greatest((SELECT coalesce(max(id), 0) FROM {t}), "
        f"coalesce(pg_sequence_last_value(pg_get_serial_sequence('{t}', 'id')::regclass), 0))"
        for t in ID_TABLES
    )
    row = (await connection.execute(text(f"SELECT {parts}"))).one()
    return dict(zip(ID_TABLES, (int(v) for v in row), strict=True))


async def advance_sequences(connection: AsyncConnection, last: dict[str, int]) -> None:
    """Move each id sequence past the ids the generator assigned itself."""
    for table in ID_TABLES:
        if last[table] > 0:
            await connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :value)"),
                {"value": last[table]},
            )


def _csv_bytes(rows: list[tuple[object, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue().encode()


async def write_batch(
    driver: Any, batch: Batch, counts: Counter[str], written: Callable[[int], None]
) -> None:
    """COPY every table of the batch, parents before children."""
    for table, columns in COLUMNS.items():
        rows = batch.rows[table]
        if not rows:
            continue
        if table in TEXT_COPY:
            await driver.copy_to_table(
                table, source=io.BytesIO(_csv_bytes(rows)), columns=list(columns), format="csv"
            )
        else:
            await driver.copy_records_to_table(table, records=rows, columns=list(columns))
        counts[table] += len(rows)
        written(len(rows))
        rows.clear()


class DeferredIndexes:
    """Drops the secondary indexes and foreign keys of the generated tables while they are
    loaded into an empty database, and rebuilds them afterwards (as pg_restore does): one
    sort per index and one join per foreign key instead of a check per row. The rebuild
    runs in the same transaction, so a rule a unique index or foreign key keeps is still
    enforced: if generated data broke one, the whole seed would roll back."""

    def __init__(self, tables: list[str] | None = None, *, foreign_keys: bool = True) -> None:
        self.tables = list(COLUMNS) if tables is None else tables
        self.with_foreign_keys = foreign_keys
        self.indexes: list[tuple[str, str, str]] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    async def drop(self, connection: AsyncConnection) -> None:
        tables = self.tables
        self.indexes = [
            (table, name, definition)
            for table, name, definition in await connection.execute(
                text(
                    """
                    SELECT t.relname::text, i.indexrelid::regclass::text,
                           pg_get_indexdef(i.indexrelid)
                    FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                    WHERE t.relname = ANY(:tables) AND t.relnamespace = 'public'::regnamespace
                      AND NOT i.indisprimary
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                    ORDER BY 1, 2
                    """
                ),
                {"tables": tables},
            )
        ]
        self.foreign_keys = (
            []
            if not self.with_foreign_keys
            else [
                (table, name, definition)
                for table, name, definition in await connection.execute(
                    text(
                        """
                    SELECT t.relname::text, c.conname, pg_get_constraintdef(c.oid)
                    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                    WHERE c.contype = 'f' AND t.relname = ANY(:tables)
                      AND t.relnamespace = 'public'::regnamespace
                    ORDER BY 1, 2
                    """
                    ),
                    {"tables": tables},
                )
            ]
        )
        for table, name, _ in self.foreign_keys:
            await connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for _, name, _ in self.indexes:
            await connection.execute(text(f"DROP INDEX {name}"))

    async def restore(
        self, connection: AsyncConnection, tables: set[str] | None, done: Callable[[str], None]
    ) -> None:
        """Rebuild what was dropped on these tables (all when None): indexes, then the
        foreign keys from them (whose targets must be complete by then)."""
        await connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for index in [i for i in self.indexes if tables is None or i[0] in tables]:
            await connection.execute(text(index[2]))
            self.indexes.remove(index)
            done(index[1])
        for key in [k for k in self.foreign_keys if tables is None or k[0] in tables]:
            table, name, definition = key
            await connection.execute(
                text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            )
            self.foreign_keys.remove(key)
            done(name)
