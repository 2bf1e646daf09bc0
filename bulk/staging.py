"""The staging table an import's rows are COPYed into, and the audit of what its writes do."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bulk.columns import KINDS

# Appended to a `WITH written AS (INSERT ... RETURNING ...)`: one audit entry per written
# row, as the mutations' `audit` writes it, and the count of them as the statement's answer.
AUDIT = """, audit AS (
    INSERT INTO audit_log (actor, role, action, entity, entity_id, before, after)
    SELECT :actor, :role, 'import', '{entity}', id::text, {before}, to_jsonb(w) - '{{search_vector,before}}'::text[]
    FROM written w RETURNING 1)
SELECT count(*) FROM audit"""


async def stage(conn: AsyncConnection, kind: str, records: list[tuple[Any, ...]]) -> None:
    """The parsed rows (line first) as the temporary table import_rows."""
    spec = KINDS[kind]
    await conn.execute(text("DROP TABLE IF EXISTS import_rows"))
    await conn.execute(text(f"CREATE TEMP TABLE import_rows ({spec.staging_ddl()}) ON COMMIT DROP"))
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(
        "import_rows", records=records, columns=["line", *spec.column_names()]
    )
    # Temporary tables are never analysed by autovacuum, and the joins need their size.
    await conn.execute(text("ANALYZE import_rows"))
