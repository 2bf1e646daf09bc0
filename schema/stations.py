"""GraphQL types of stations and receptions, and the station list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db.enums import Level, StationKind
from resolvers import changes
from resolvers import stations as resolve
from schema.counts import LevelCount, level_counts
from schema.deputies import Deputy, DeputyFilter, deputy_spec
from schema.node import Node
from schema.pagination import Connection, page_args_for, to_connection
from schema.regions import Region


@strawberry.input
class StationFilter:
    kinds: list[StationKind] | None = None
    min_stars: int | None = None


def station_extra(f: StationFilter | None) -> tuple[tuple[StationKind, ...] | None, int | None]:
    if f is None:
        return None, None
    return (tuple(f.kinds) if f.kinds else None), f.min_stars


@strawberry.type(description="A place where deputies of any level meet the people they represent.")
class Station(Node):
    name: str
    kind: StationKind
    address: str | None
    star_rating: int | None = strawberry.field(description="1 to 5 stars; null until rated.")
    reception_day: int | None = strawberry.field(
        description="Day of the month of the regular reception day (选民接待日), if any."
    )
    updated_at: datetime = strawberry.field(
        description="When the record, or the list of its deputies, last changed."
    )
    id_: strawberry.Private[int]
    region_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> Station:
        return cls(
            node_key=row.id,
            id_=row.id,
            name=row.name,
            kind=row.kind,
            address=row.address,
            star_rating=row.star_rating,
            reception_day=row.reception_day,
            updated_at=row.updated_at,
            region_code=row.region_code,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Station | None:
        row = await info.context.loader(resolve.StationByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def region(self, info: Info) -> Region:
        found = await Region.load(info, self.region_code)
        assert found is not None
        return found

    @strawberry.field(
        description="Deputies stationed here with an active mandate (at these levels)."
    )
    async def deputies(
        self,
        info: Info,
        levels: list[Level] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Deputy]:
        spec = deputy_spec(DeputyFilter(levels=levels))
        args = page_args_for(info, first, after)
        page = await info.context.loader(resolve.DeputiesByStationLoader).load(
            (self.id_, spec, args)
        )
        return to_connection(page, Deputy.from_row)

    @strawberry.field(description="Stationed deputies by the level of each active mandate.")
    async def deputy_count_by_level(self, info: Info) -> list[LevelCount]:
        loader = info.context.loader(resolve.DeputyCountByLevelForStationLoader)
        return level_counts(await loader.load(self.id_))

    @strawberry.field(description="Reception sessions between two dates (inclusive), newest first.")
    async def receptions(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Reception]:
        args = page_args_for(info, first, after)
        loader = info.context.loader(resolve.ReceptionsByStationLoader)
        return to_connection(await loader.load((self.id_, (from_, to), args)), Reception.from_row)


@strawberry.type(description="One reception session at a station (接待选民).")
class Reception(Node):
    date: date
    visitors: int
    opinions_collected: int
    problems_resolved: int
    id_: strawberry.Private[int]
    station_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Reception:
        return cls(
            node_key=row.id,
            id_=row.id,
            date=row.date,
            visitors=row.visitors,
            opinions_collected=row.opinions_collected,
            problems_resolved=row.problems_resolved,
            station_id=row.station_id,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Reception | None:
        row = await info.context.loader(resolve.ReceptionByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def station(self, info: Info) -> Station:
        found = await Station.load(info, self.station_id)
        assert found is not None
        return found

    @strawberry.field(description="Deputies present (代表进站).")
    async def deputies(self, info: Info) -> list[Deputy]:
        rows = await info.context.loader(resolve.DeputiesByReceptionLoader).load(self.id_)
        return [Deputy.from_row(r) for r in rows]


async def region_stations(
    info: Info, region_code: str, f: StationFilter | None, first: int | None, after: str | None
) -> Connection[Station]:
    args = page_args_for(info, first, after)
    loader = info.context.loader(resolve.StationsByRegionLoader)
    return to_connection(await loader.load((region_code, station_extra(f), args)), Station.from_row)


async def deputy_stations(info: Info, deputy_id: int) -> list[Station]:
    rows = await info.context.loader(resolve.StationsByDeputyLoader).load(deputy_id)
    return [Station.from_row(r) for r in rows]


@strawberry.type
class StationQuery:
    @strawberry.field
    async def stations(
        self,
        info: Info,
        region_code: str | None = None,
        filter: StationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        updated_since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only stations whose record or deputies changed at or after this time."
            ),
        ] = None,
    ) -> Connection[Station]:
        kinds, min_stars = station_extra(filter)
        page = await changes.search_stations(
            info.context,
            region_code,
            kinds,
            min_stars,
            page_args_for(info, first, after),
            updated_since,
        )
        return to_connection(page, Station.from_row)
