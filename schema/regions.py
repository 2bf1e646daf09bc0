"""GraphQL types of the division tree: Region and its connection, and the region queries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from db.enums import Level
from resolvers import regions as resolve
from resolvers.committees import CongressByRegionLoader
from schema.node import Node
from schema.pagination import Connection, page_args_for, to_connection

if TYPE_CHECKING:
    from schema.committees import Congress
    from schema.deputies import Deputy, DeputyFilter, DeputyOrder
    from schema.stations import Station, StationFilter

DeputyRef = Annotated["Deputy", strawberry.lazy("schema.deputies")]
StationRef = Annotated["Station", strawberry.lazy("schema.stations")]
StationFilterRef = Annotated["StationFilter", strawberry.lazy("schema.stations")]
DeputyFilterRef = Annotated["DeputyFilter", strawberry.lazy("schema.deputies")]
DeputyOrderRef = Annotated["DeputyOrder", strawberry.lazy("schema.deputies")]


@strawberry.type(
    description="An administrative division (行政区划). The nation is the single root."
)
class Region(Node):
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
    parent_code: strawberry.Private[str | None]
    lineage: strawberry.Private[list[str]]

    @classmethod
    def from_row(cls, row: Any) -> Region:
        return cls(
            node_key=row.code,
            code=row.code,
            name=row.name,
            level=row.level,
            kind=row.kind,
            parent_code=row.parent_code,
            lineage=row.lineage,
        )

    @classmethod
    async def load(cls, info: Info, key: str) -> Region | None:
        row = await info.context.loader(resolve.RegionByCodeLoader).load(key)
        return cls.from_row(row) if row else None

    @strawberry.field
    async def parent(self, info: Info) -> Region | None:
        return await Region.load(info, self.parent_code) if self.parent_code else None

    @strawberry.field(description="From the nation down to the parent.")
    async def ancestors(self, info: Info) -> list[Region]:
        rows = await info.context.loader(resolve.RegionByCodeLoader).load_many(self.lineage[:-1])
        return [Region.from_row(r) for r in rows if r]

    @strawberry.field
    async def children(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Region]:
        args = page_args_for(info, first, after)
        page = await info.context.loader(resolve.ChildrenByRegionLoader).load(
            (self.code, None, args)
        )
        return to_connection(page, Region.from_row)

    @strawberry.field(description="Regions of one level anywhere below this one.")
    async def descendants(
        self, info: Info, level: Level, first: int | None = None, after: str | None = None
    ) -> Connection[Region]:
        args = page_args_for(info, first, after)
        loader = info.context.loader(resolve.DescendantsByRegionLoader)
        return to_connection(await loader.load((self.code, level, args)), Region.from_row)

    @strawberry.field(
        description="The people's congress of this region; null where there is none "
        "(a sub-district 街道 has none)."
    )
    async def congress(
        self, info: Info
    ) -> Annotated[Congress, strawberry.lazy("schema.committees")] | None:
        from schema.committees import Congress

        row = await info.context.loader(CongressByRegionLoader).load(self.code)
        return Congress.from_row(row) if row else None

    @strawberry.field(
        description="Deputies of the congresses of this region and every region below it (use "
        "filter.localityCode for the deputies of every level who live or work here)."
    )
    async def deputies(
        self,
        info: Info,
        filter: DeputyFilterRef | None = None,
        order_by: DeputyOrderRef | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DeputyRef]:
        from schema.deputies import region_deputies

        return await region_deputies(info, self.code, filter, order_by, first, after)

    @strawberry.field(description="Stations in this region and every region below it.")
    async def stations(
        self,
        info: Info,
        filter: StationFilterRef | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StationRef]:
        from schema.stations import region_stations

        return await region_stations(info, self.code, filter, first, after)


@strawberry.type
class RegionQuery:
    @strawberry.field
    async def region(self, info: Info, code: str) -> Region | None:
        return await Region.load(info, code.strip())

    @strawberry.field
    async def regions(
        self,
        info: Info,
        level: Level | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Region]:
        page = await resolve.search_regions(
            info.context, level, search, page_args_for(info, first, after)
        )
        return to_connection(page, Region.from_row)
