"""GraphQL types of the division tree: Region and its connection, and the region queries."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from db.enums import Level
from resolvers import regions as resolve
from resolvers.committees import CongressByRegionLoader
from resolvers.deputies import DeputiesByRegionLoader
from resolvers.relations import Ancestors, Listing, Lookup, PageOf, ToOne
from resolvers.stations import StationsByRegionLoader
from schema.fields import declared, relation
from schema.inputs import deputies_of_region, stations_of_region
from schema.node import Node
from schema.pagination import Connection, page_args_for, to_connection
from schema.refs import CongressRef, DeputyRef, StationRef


def _descendants(level: Level) -> Level:
    return level


@strawberry.type(
    description="An administrative division (行政区划). The nation is the single root."
)
class Region(Node):
    key_loader = resolve.RegionByCodeLoader

    code: str = strawberry.field(
        description="Official division code: 6 digits (GB/T 2260) down to county level, "
        "9 digits for townships."
    )
    name: str
    level: Level
    kind: str = strawberry.field(
        description="Finer kind of division: PROVINCE, CITY, PREFECTURE (地区), LEAGUE (盟), "
        "DISTRICT, COUNTY, TOWN, TOWNSHIP, SUBDISTRICT (街道), OTHER_TOWNSHIP, ..."
    )
    parent: Region | None = relation(ToOne(resolve.RegionByCodeLoader, "parent_code"))
    ancestors: list[Region] = relation(
        Ancestors(), description="From the nation down to the parent."
    )
    children: Connection[Region] = relation(PageOf(resolve.ChildrenByRegionLoader, "code"))
    descendants: Connection[Region] = relation(
        PageOf(resolve.DescendantsByRegionLoader, "code", _descendants),
        description="Regions of one level anywhere below this one.",
    )
    congress: CongressRef | None = relation(
        ToOne(CongressByRegionLoader, "code"),
        description="The people's congress of this region; null where there is none "
        "(a sub-district 街道 has none).",
    )
    deputies: Connection[DeputyRef] = relation(
        PageOf(DeputiesByRegionLoader, "code", deputies_of_region),
        description="Deputies of the congresses of this region and every region below it (use "
        "filter.localityCode for the deputies of every level who live or work here).",
    )
    stations: Connection[StationRef] = relation(
        PageOf(StationsByRegionLoader, "code", stations_of_region),
        description="Stations in this region and every region below it.",
    )


def _region_code(code: str) -> Any:
    return code.strip()


def _regions(level: Level | None = None, search: str | None = None) -> Any:
    return resolve.region_search_query(level, search), resolve.BY_CODE


@strawberry.type
class RegionQuery:
    region: Region | None = relation(Lookup(resolve.RegionByCodeLoader, _region_code))

    @declared(Listing(_regions))
    async def regions(
        self,
        info: Info,
        level: Level | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Region]:
        # By hand, through resolvers.regions.search_regions (the tests' hook for failures).
        page = await resolve.search_regions(
            info.context, level, search, page_args_for(info, first, after)
        )
        return to_connection(page, Region.from_row)
