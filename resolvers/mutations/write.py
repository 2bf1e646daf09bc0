"""One write in progress: its connection, its actor and the problems found so far.

A domain write looks up what its input names (an unknown or wrong-type ID becomes a
NOT_FOUND problem), records every broken rule, calls `check()`, and then writes its rows
with an audit entry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Row, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from resolvers.ids import decode_int_id
from resolvers.mutations.base import Actor, Problems, audit, not_found
from resolvers.mutations.tables import BY_KIND, regions

Path = str | Sequence[str | int]


def _path(path: Path) -> Sequence[str | int]:
    return (path,) if isinstance(path, str) else path


class Write(Problems):
    def __init__(self, conn: AsyncConnection, actor: Actor) -> None:
        super().__init__()
        self.conn = conn
        self.actor = actor

    def refuse(
        self, wrong: object, path: Path, message: str, code: str = Code.INVALID_VALUE
    ) -> None:
        """Record a problem when `wrong` holds."""
        if wrong:
            self.add(_path(path), message, code)

    async def find(
        self, path: Path, global_id: str, kind: str, lock: bool = False
    ) -> Row[Any] | None:
        """The row a global ID names, or None with a NOT_FOUND problem recorded."""
        table = BY_KIND[kind]
        key = decode_int_id(global_id, kind)
        row = None
        if key is not None:
            query = select(table).where(table.c.id == key)
            row = (await self.conn.execute(query.with_for_update() if lock else query)).first()
        if row is None:
            self.found.append(not_found(_path(path), kind, global_id))
        return row

    async def find_many(
        self, path: str, global_ids: Sequence[str], kind: str
    ) -> list[Row[Any] | None]:
        """Rows for a list of IDs in one query; a NOT_FOUND problem for each one missing."""
        table = BY_KIND[kind]
        keys = [decode_int_id(g, kind) for g in global_ids]
        wanted = [k for k in keys if k is not None]
        query = select(table).where(table.c.id.in_(wanted))
        by_key = {row.id: row for row in await self.conn.execute(query)} if wanted else {}
        found = [by_key.get(k) if k is not None else None for k in keys]
        for i, (given, row) in enumerate(zip(global_ids, found, strict=True)):
            if row is None:
                self.found.append(not_found((path, i), kind, given))
        return found

    async def region(self, path: str, code: str) -> Row[Any] | None:
        row = (
            await self.conn.execute(select(regions).where(regions.c.code == code.strip()))
        ).first()
        if row is None:
            self.found.append(not_found((path,), "region", code))
        return row

    async def one(self, table: Table, **where: object) -> Row[Any]:
        """The row a foreign key of a found row points to."""
        return (await self.conn.execute(select(table).filter_by(**where))).one()

    async def exists(self, table: Table, **where: object) -> bool:
        """Whether a row with these values is there (None: the column is null)."""
        return await self.conn.scalar(select(table.c.id).filter_by(**where)) is not None

    def inside(self, region: Row[Any], congress: Row[Any]) -> None:
        """Where an activity or a group is lies in the region of the congress behind it."""
        self.refuse(
            congress.region_code not in region.lineage,
            "regionCode",
            f"{region.name} lies outside the region of {congress.name}.",
            Code.LOCALITY_OUTSIDE_REGION,
        )

    def listed_twice(
        self, found: Sequence[Row[Any] | None], path: Callable[[int], Path], code: str
    ) -> set[int]:
        """The IDs of the deputies found, with a problem for each one listed again."""
        seen: set[int] = set()
        for i, deputy in enumerate(found):
            if deputy is not None:
                self.refuse(deputy.id in seen, path(i), f"{deputy.name} is listed twice.", code)
                seen.add(deputy.id)
        return seen

    async def insert(self, table: Table, spec: object = None, /, **values: object) -> Row[Any]:
        """Insert one row: the spec's fields that are columns, then `values` (the rows found
        for the spec's IDs, cleaned text)."""
        if spec is not None:
            given = {k: v for k, v in dataclasses.asdict(spec).items() if k in table.c}  # type: ignore[call-overload]
            values = given | values
        return (await self.conn.execute(insert(table).values(**values).returning(*table.c))).one()

    async def audit(
        self, action: str, entity: str, key: object, before: Any = None, after: Any = None
    ) -> None:
        await audit(self.conn, self.actor, action, entity, key, before=before, after=after)

    async def create(
        self, action: str, entity: str, table: Table, spec: object = None, /, **values: object
    ) -> int:
        """Insert one row, audit it as written, and answer its key."""
        row = await self.insert(table, spec, **values)
        await self.audit(action, entity, row.id, after=row)
        return int(row.id)
