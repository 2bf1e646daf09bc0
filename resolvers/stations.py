"""Stations, the deputies stationed there, and their receptions."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select, true

from core.context import Context
from db.enums import StationKind
from db.models import deputies, reception_deputies, receptions, regions, stations
from db.models import station_assignments as assignments
from resolvers.counts import LevelCountsLoader
from resolvers.deputies import BY_NAME, DeputySpec, deputies_linked, deputy_query
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader, linked
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages
from resolvers.regions import in_subtree, subtree_codes

BY_ID = Ordering("station", (stations.c.id,))


def station_query(kinds: tuple[StationKind, ...] | None, min_stars: int | None) -> Select[Any]:
    query = select(stations)
    if kinds:
        query = query.where(stations.c.kind.in_(kinds))
    if min_stars is not None:
        query = query.where(stations.c.star_rating >= min_stars)
    return query


def station_search_query(
    region_code: str | None, kinds: tuple[StationKind, ...] | None, min_stars: int | None
) -> Select[Any]:
    query = station_query(kinds, min_stars)
    if region_code:
        query = query.where(stations.c.region_code.in_(subtree_codes(region_code)))
    return query


async def search_stations(
    context: Context,
    region_code: str | None,
    kinds: tuple[StationKind, ...] | None,
    min_stars: int | None,
    args: PageArgs,
) -> Page:
    query = station_search_query(region_code, kinds, min_stars)
    return (await fetch_pages(context.db, query, BY_ID, args))[None]


class StationByIdLoader(RowByKeyLoader, key=stations.c.id): ...


_parent_region = regions.alias()


class StationsByRegionLoader(PageLoader[tuple[tuple[StationKind, ...] | None, int | None]]):
    """Region.stations: stations in the region and every region below it.

    The subtree's codes are found once per parent region (a LATERAL join), not per station.
    """

    partition = _parent_region.c.code
    ordering = BY_ID

    def source(self, extra: tuple[tuple[StationKind, ...] | None, int | None]) -> Select[Any]:
        kinds, min_stars = extra
        subtree = (
            select(regions.c.code)
            .where(in_subtree(regions.c.lineage, _parent_region.c.code))
            .lateral()
        )
        joined = _parent_region.join(subtree, true()).join(
            stations, stations.c.region_code == subtree.c.code
        )
        return station_query(kinds, min_stars).select_from(joined)


class StationsByDeputyLoader(RowsByKeyLoader):
    query = linked(stations, assignments.c.station_id, assignments.c.deputy_id).order_by(
        stations.c.id
    )
    key = assignments.c.deputy_id


class DeputiesByStationLoader(PageLoader[DeputySpec]):
    """Station.deputies, optionally only those with an active mandate at given levels."""

    partition = assignments.c.station_id

    def source(self, extra: DeputySpec) -> Select[Any]:
        return deputy_query(extra).join(assignments, assignments.c.deputy_id == deputies.c.id)

    def page_ordering(self, extra: DeputySpec) -> Ordering:
        return BY_NAME


class DeputyCountByLevelForStationLoader(
    LevelCountsLoader, key=assignments.c.station_id, deputy=assignments.c.deputy_id
):
    """Deputies stationed, by the level of each active mandate."""


class ReceptionByIdLoader(RowByKeyLoader, key=receptions.c.id): ...


class ReceptionsByStationLoader(PageLoader[tuple[date | None, date | None]]):
    """Station.receptions between two dates (inclusive), newest first."""

    partition = receptions.c.station_id
    ordering = Ordering("reception", (receptions.c.date, receptions.c.id), descending=True)

    def source(self, extra: tuple[date | None, date | None]) -> Select[Any]:
        start, end = extra
        query = select(receptions)
        if start is not None:
            query = query.where(receptions.c.date >= start)
        if end is not None:
            query = query.where(receptions.c.date <= end)
        return query


class DeputiesByReceptionLoader(RowsByKeyLoader):
    query = deputies_linked(reception_deputies.c.deputy_id, reception_deputies.c.reception_id)
    key = reception_deputies.c.reception_id
