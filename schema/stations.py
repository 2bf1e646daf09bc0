"""GraphQL types of stations and receptions, and the station list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from db.enums import StationKind
from resolvers import changes
from resolvers import stations as resolve
from resolvers.regions import RegionByCodeLoader
from resolvers.relations import LevelCounts, Listing, PageOf, ToMany, ToOne
from schema.counts import LevelCount
from schema.fields import relation
from schema.inputs import StationFilter, deputies_of_station, station_extra
from schema.node import Node
from schema.pagination import Connection
from schema.refs import DeputyRef, RegionRef


def _receptions(
    from_: Annotated[date | None, strawberry.argument(name="from")] = None, to: date | None = None
) -> Any:
    return from_, to


@strawberry.type(description="A place where deputies of any level meet the people they represent.")
class Station(Node):
    key_loader = resolve.StationByIdLoader

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
    region: RegionRef = relation(ToOne(RegionByCodeLoader, "region_code"))
    deputies: Connection[DeputyRef] = relation(
        PageOf(resolve.DeputiesByStationLoader, "id", deputies_of_station),
        description="Deputies stationed here with an active mandate (at these levels).",
    )
    deputy_count_by_level: list[LevelCount] = relation(
        LevelCounts(resolve.DeputyCountByLevelForStationLoader, "id"),
        description="Stationed deputies by the level of each active mandate.",
    )
    receptions: Connection[Reception] = relation(
        PageOf(resolve.ReceptionsByStationLoader, "id", _receptions),
        description="Reception sessions between two dates (inclusive), newest first.",
    )


@strawberry.type(description="One reception session at a station (接待选民).")
class Reception(Node):
    key_loader = resolve.ReceptionByIdLoader

    date: date
    visitors: int
    opinions_collected: int
    problems_resolved: int
    station: Station = relation(ToOne(resolve.StationByIdLoader, "station_id"))
    deputies: list[DeputyRef] = relation(
        ToMany(resolve.DeputiesByReceptionLoader, "id"), description="Deputies present (代表进站)."
    )


def _stations(
    region_code: str | None = None,
    filter: StationFilter | None = None,
    *,
    updated_since: Annotated[
        datetime | None,
        strawberry.argument(
            description="Only stations whose record or deputies changed at or after this time."
        ),
    ] = None,
) -> Any:
    kinds, min_stars = station_extra(filter)
    query = changes.station_changes_query(region_code, kinds, min_stars, updated_since)
    return query, resolve.BY_ID


@strawberry.type
class StationQuery:
    stations: Connection[Station] = relation(Listing(_stations))
