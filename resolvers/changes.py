"""The change feed: `updatedSince` on the deputies, stations and groups lists.

A client syncs incrementally by asking for what changed since its last sync. The stamps
are kept by the database (migration 0003): a deputy's `updated_at` moves when the person,
any of their mandates, station assignments or group memberships change; a station's when
its row or its deputies change; a group's when its row or its members change. Nothing is
ever deleted: an ended mandate stays, with its end date and reason, so a removal shows up
as a changed deputy whose mandate is TERMINATED.

With `updatedSince`, the deputies list matches every mandate status (unless the filter
names one), because a deputy whose last mandate just ended is exactly what a syncing
client must see.

The stamp is the writing transaction's start time (`now()`), and a transaction commits
a little later, so a client should ask from its previous sync's start minus a margin as
long as the longest write (SYNC_OVERLAP); it then sees a few records twice, never misses
one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from core.context import Context
from db.enums import GroupKind, MandateStatus, StationKind
from resolvers import deputies as deputy_sql
from resolvers import groups as group_sql
from resolvers import stations as station_sql
from resolvers.deputies import DeputyOrder, DeputySpec, deputy_conditions, ordering
from resolvers.pagination import Page, PageArgs, fetch_pages

# How far before its previous sync a client should ask from (see the module docstring).
SYNC_OVERLAP = timedelta(minutes=5)


def _since(column: ColumnElement[Any], since: datetime | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [column >= since]


def deputy_changes_query(spec: DeputySpec, since: datetime | None, any_status: bool) -> Select[Any]:
    """The deputies list with `updatedSince`; `any_status` when the filter named no status."""
    table = deputy_sql.deputies
    if since is None or not any_status:
        conditions: list[ColumnElement[bool]] = deputy_conditions(spec)
    else:
        # The same filter once per status, OR-ed (PostgreSQL factors the shared conditions
        # out), so that every rule of deputy_conditions stays in one place.
        conditions = [
            or_(*(and_(*deputy_conditions(replace(spec, status=s))) for s in MandateStatus))
        ]
    return select(table).where(*conditions, *_since(table.c.updated_at, since))


def station_changes_query(
    region_code: str | None,
    kinds: tuple[StationKind, ...] | None,
    min_stars: int | None,
    since: datetime | None,
) -> Select[Any]:
    query = station_sql.station_search_query(region_code, kinds, min_stars)
    return query.where(*_since(station_sql.stations.c.updated_at, since))


def group_changes_query(
    region_code: str | None, kind: GroupKind | None, since: datetime | None
) -> Select[Any]:
    query = group_sql.group_search_query(region_code, kind)
    return query.where(*_since(group_sql.groups.c.updated_at, since))


async def search_deputies(
    context: Context,
    spec: DeputySpec,
    order: DeputyOrder,
    args: PageArgs,
    since: datetime | None,
    any_status: bool,
) -> Page:
    query = deputy_changes_query(spec, since, any_status)
    return (await fetch_pages(context.db, query, ordering(order, spec), args))[None]


async def search_stations(
    context: Context,
    region_code: str | None,
    kinds: tuple[StationKind, ...] | None,
    min_stars: int | None,
    args: PageArgs,
    since: datetime | None,
) -> Page:
    query = station_changes_query(region_code, kinds, min_stars, since)
    return (await fetch_pages(context.db, query, station_sql.BY_ID, args))[None]


async def search_groups(
    context: Context,
    region_code: str | None,
    kind: GroupKind | None,
    args: PageArgs,
    since: datetime | None,
) -> Page:
    query = group_changes_query(region_code, kind, since)
    return (await fetch_pages(context.db, query, group_sql.BY_ID, args))[None]
