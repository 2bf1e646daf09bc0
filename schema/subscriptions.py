"""The subscriptions of the schema: events read through the normal types, so the caller's
role applies as in queries (personal fields masked).

    attendanceRecorded(meetingId)   an attendance (列席) recorded at a meeting
    receptionRecorded(stationId)    a reception recorded at a station
    mandateChanged(regionCode)      a mandate created or changed in a congress of the subtree

The events themselves come through the request context (`Context.events`, core.context):
service.live delivers PostgreSQL's notifications over WebSocket and says when a stream ends.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import select, text
from strawberry.types import Info

from core.codes import Code
from core.context import Context
from db.attendance import Attendance as AttendanceRow
from db.columns import table_of
from db.deputies import Mandate as MandateRow
from db.stations import Reception as ReceptionRow
from resolvers.ids import decode_int_id
from schema.attendance import Attendance
from schema.deputies import Mandate
from schema.stations import Reception

__all__ = ["MandateChange", "MandateChangeKind", "Subscription"]


def _events(
    info: Info, channel: str, accept: Callable[[dict[str, Any]], bool]
) -> AsyncIterator[list[int]]:
    """The ids each accepted notification carries (service.live delivers them and ends the
    stream when the caller's token is revoked)."""
    context: Context = info.context
    if context.events is None:  # over HTTP, which service.errors refuses before this
        raise GraphQLError("Subscriptions are served over WebSocket.")
    return context.events.ids(context, channel, accept)


def _key(global_id: str, type_name: str) -> int:
    key = decode_int_id(global_id, type_name)
    if key is None:
        raise GraphQLError(f"{global_id!r} is not a {type_name} ID.")
    return key


async def _rows(info: Info, table: Any, ids: list[int]) -> list[Any]:
    found = await info.context.db.execute(
        select(table).where(table.c.id.in_(ids)).order_by(table.c.id)
    )
    return list(found)


async def _exists(info: Info, sql: str, key: object, what: str) -> None:
    row = (await info.context.db.execute(text(sql), {"key": key})).first()
    if row is None:
        raise GraphQLError(f"No {what} {key!r}.", extensions={"code": Code.NOT_FOUND})


async def _recorded(
    info: Info, global_id: str, type_name: str, row_model: Any, event: str
) -> AsyncIterator[Any]:
    """The rows recorded at one meeting or station (`type_name`), as their events arrive on
    the channel `registry_<event>` (each event names its meeting or station in lower case)."""
    key = _key(global_id, type_name)
    what = type_name.lower()
    await _exists(info, f"SELECT 1 FROM {what}s WHERE id = :key", key, what)
    table = table_of(row_model)
    async for ids in _events(info, f"registry_{event}", lambda e: e.get(what) == key):
        for row in await _rows(info, table, ids):
            yield row


@strawberry.enum(description="What happened to a mandate.")
class MandateChangeKind(enum.Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"


@strawberry.type(description="A mandate created or changed (suspended, ended, corrected).")
class MandateChange:
    kind: MandateChangeKind
    mandate: Mandate


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Attendances (列席) as they are recorded at a meeting, from now on."
    )
    async def attendance_recorded(
        self, info: Info, meeting_id: strawberry.ID
    ) -> AsyncGenerator[Attendance, None]:
        async for row in _recorded(info, meeting_id, "Meeting", AttendanceRow, "attendance"):
            yield Attendance.from_row(row)

    @strawberry.subscription(description="Receptions as they are recorded at a station.")
    async def reception_recorded(
        self, info: Info, station_id: strawberry.ID
    ) -> AsyncGenerator[Reception, None]:
        async for row in _recorded(info, station_id, "Station", ReceptionRow, "reception"):
            yield Reception.from_row(row)

    @strawberry.subscription(
        description="Mandates created or changed in the congresses of a region and below."
    )
    async def mandate_changed(
        self, info: Info, region_code: str
    ) -> AsyncGenerator[MandateChange, None]:
        code = region_code.strip()
        await _exists(info, "SELECT 1 FROM regions WHERE code = :key", code, "region with code")
        table = table_of(MandateRow)
        kinds: dict[int, MandateChangeKind] = {}

        def accept(event: dict[str, Any]) -> bool:
            if code not in event.get("lineage", ()):
                return False
            kind = (
                MandateChangeKind.CREATED
                if event.get("op") == "INSERT"
                else MandateChangeKind.UPDATED
            )
            kinds.update(dict.fromkeys(event.get("ids", ()), kind))
            return True

        async for ids in _events(info, "registry_mandate", accept):
            for row in await _rows(info, table, ids):
                yield MandateChange(
                    kind=kinds.pop(row.id, MandateChangeKind.UPDATED), mandate=Mandate.from_row(row)
                )
