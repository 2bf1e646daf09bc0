"""Bulk export of a region's subtree: CSV in the import layout (one file per import kind,
its rows from the kind's module), and Popolo JSON (bulk.popolo).

Everything is streamed: a server-side cursor hands rows over a thousand at a time, and
the response sends them on, so a national export never sits in memory. All sections are
read in one REPEATABLE READ transaction (`begin_snapshot`): one consistent picture of the
registry. CSV files name persons, stations, groups and meetings by natural keys, never by
database IDs, so they can be imported into another registry (docs/import-format.md); a
file without ID numbers or birth dates (a caller who may not see them) cannot be.
The HTTP side (own pool, limits, stalled clients) is service.export_streams.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bulk import attendance, deputies, groups, stations
from bulk.columns import KINDS
from bulk.subtree import params
from core.context import Caller

BATCH = 1000
STATEMENT_TIMEOUT = "10min"

CSV_QUERIES: dict[str, Callable[[Caller], str]] = {
    "deputies": deputies.export_query,
    "station-assignments": stations.export_query,
    "group-memberships": groups.export_query,
    "attendance": attendance.export_query,
}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


async def rows_of(
    conn: AsyncConnection, sql: str, params: dict[str, Any]
) -> AsyncGenerator[list[Any], None]:
    result = await conn.stream(text(sql), params)
    try:
        async for batch in result.partitions(BATCH):
            yield list(batch)
    finally:
        await result.close()


async def stream_csv(
    conn: AsyncConnection, kind: str, code: str, caller: Caller
) -> AsyncGenerator[bytes, None]:
    """The kind's CSV (UTF-8 with a BOM, for Excel), header first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in KINDS[kind].columns])
    yield ("\ufeff" + out.getvalue()).encode()
    rows = rows_of(conn, CSV_QUERIES[kind](caller), params(code, caller))
    async with aclosing(rows):
        async for batch in rows:
            out.seek(0)
            out.truncate()
            writer.writerows([_cell(v) for v in row] for row in batch)
            yield out.getvalue().encode()


async def begin_snapshot(conn: AsyncConnection) -> None:
    """One consistent picture for every section, and time enough for a national export."""
    if not conn.in_nested_transaction():
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    await conn.execute(text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"))
    await conn.execute(text("SET LOCAL jit = off"))  # many small JSON expressions: JIT only costs


FORMATS = {f"{kind}.csv": ("text/csv; charset=utf-8", kind) for kind in KINDS}
FORMATS["popolo.json"] = ("application/json", "popolo")
