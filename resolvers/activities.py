"""Activities between sessions: the activity list, loaders, and person-times by level."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY, ENUM

from core.context import Context
from db.activities import ActivityKind
from db.enums import Level, pg_enum_name
from db.models import activities
from db.models import activity_participants as participants
from db.session import RequestDatabase
from resolvers.counts import LevelCountsLoader
from resolvers.deputies import deputies_linked
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages
from resolvers.regions import subtree_codes

BY_START = Ordering("activity", (activities.c.start_date, activities.c.id), descending=True)

# (region, kinds, from, to): what an activity list is narrowed by.
ActivityExtra = tuple[str | None, tuple[ActivityKind, ...] | None, date | None, date | None]


def activity_conditions(extra: ActivityExtra) -> list[ColumnElement[bool]]:
    region_code, kinds, start, end = extra
    conditions: list[ColumnElement[bool]] = []
    if region_code:
        conditions.append(activities.c.region_code.in_(subtree_codes(region_code)))
    if kinds:
        conditions.append(activities.c.kind.in_(kinds))
    if start is not None:
        conditions.append(activities.c.start_date >= start)
    if end is not None:
        conditions.append(activities.c.start_date <= end)
    return conditions


async def search_activities(context: Context, extra: ActivityExtra, args: PageArgs) -> Page:
    query = select(activities).where(*activity_conditions(extra))
    return (await fetch_pages(context.db, query, BY_START, args))[None]


class ActivityByIdLoader(RowByKeyLoader, key=activities.c.id): ...


class ActivitiesByDeputyLoader(PageLoader[ActivityExtra | None]):
    """Deputy.activities: those the deputy took part in, the latest first."""

    query = select(activities).join(participants, participants.c.activity_id == activities.c.id)
    partition = participants.c.deputy_id
    ordering = BY_START

    def source(self, extra: ActivityExtra | None) -> Select[Any]:
        return self.query if extra is None else self.query.where(*activity_conditions(extra))


class ParticipantsByActivityLoader(RowsByKeyLoader):
    query = deputies_linked(participants.c.deputy_id, participants.c.activity_id)
    key = participants.c.activity_id


class ParticipantCountByLevelLoader(LevelCountsLoader):
    """Person-times by the level of the mandate each deputy took part under."""

    query = select(participants.c.activity_id, participants.c.level, func.count()).group_by(
        participants.c.activity_id, participants.c.level
    )
    key = participants.c.activity_id


# Person-times over the activities held in a region's subtree (where they took place)
# that started within the dates, every level listed in order, zeros included.
PARTICIPATION = text(
    """
    WITH held AS (
        SELECT a.id FROM activities a
        WHERE a.region_code IN (
                  SELECT code FROM regions WHERE lineage @> ARRAY[CAST(:code AS varchar)])
          AND a.start_date BETWEEN :start AND :end
          AND (CAST(:kinds AS activity_kind[]) IS NULL OR a.kind = ANY(:kinds))
    ),
    counted AS (
        SELECT p.level, count(*) AS n
        FROM activity_participants p JOIN held h ON h.id = p.activity_id
        GROUP BY p.level
    )
    SELECT l.level, coalesce(c.n, 0) AS person_times
    FROM unnest(enum_range(NULL::level)) AS l(level)
    LEFT JOIN counted c ON c.level = l.level
    ORDER BY l.level
    """
).bindparams(
    bindparam(
        "kinds",
        type_=ARRAY(ENUM(ActivityKind, name=pg_enum_name(ActivityKind), create_type=False)),
    )
)


async def participation(
    db: RequestDatabase,
    code: str,
    start: date,
    end: date,
    kinds: tuple[ActivityKind, ...] | None,
) -> list[tuple[Level, int]]:
    params = {"code": code, "start": start, "end": end, "kinds": list(kinds) if kinds else None}
    rows = await db.execute(PARTICIPATION, params)
    return [(Level[row.level], int(row.person_times)) for row in rows]
