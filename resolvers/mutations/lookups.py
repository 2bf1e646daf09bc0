"""Fetching what an input refers to, turning unknown or wrong-type IDs into NOT_FOUND."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Table, select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.columns import table_of
from db.regions import Region as RegionRow
from resolvers.ids import decode_int_id
from resolvers.mutations.base import Problems, not_found

regions = table_of(RegionRow)


async def by_id(
    conn: AsyncConnection,
    problems: Problems,
    path: Sequence[str | int],
    global_id: str,
    type_name: str,
    table: Table,
    lock: bool = False,
) -> Row[Any] | None:
    """The row a global ID names, or None with a NOT_FOUND problem recorded."""
    key = decode_int_id(global_id, type_name)
    row = None
    if key is not None:
        query = select(table).where(table.c.id == key)
        row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        problems.found.append(not_found(path, type_name, global_id))
    return row


async def many_by_id(
    conn: AsyncConnection,
    problems: Problems,
    path: Sequence[str | int],
    global_ids: Sequence[str],
    type_name: str,
    table: Table,
) -> list[Row[Any] | None]:
    """Rows for a list of IDs in one query; a NOT_FOUND problem for each one missing."""
    keys = [decode_int_id(g, type_name) for g in global_ids]
    wanted = [k for k in keys if k is not None]
    rows = (await conn.execute(select(table).where(table.c.id.in_(wanted)))).all() if wanted else []
    by_key = {row.id: row for row in rows}
    found = [by_key.get(k) if k is not None else None for k in keys]
    for i, (given, row) in enumerate(zip(global_ids, found, strict=True)):
        if row is None:
            problems.found.append(not_found([*path, i], type_name, given))
    return found


async def region(
    conn: AsyncConnection, problems: Problems, path: Sequence[str | int], code: str
) -> Row[Any] | None:
    row = (await conn.execute(select(regions).where(regions.c.code == code.strip()))).first()
    if row is None:
        problems.found.append(not_found(path, "region", code))
    return row
