"""Input types of the deputy and station lists, and what their arguments mean to the loaders.

The functions below are the arguments of list fields (resolvers.relations: PageOf.extra,
Listing.query): their parameters are the fields' arguments.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable
from datetime import date

import strawberry

from db.enums import Gender, Level, MandateStatus, StationKind
from resolvers import deputies as resolve
from resolvers.ids import decode_int_id


@strawberry.enum
class DeputyOrderField(enum.Enum):
    NAME_PINYIN = "NAME_PINYIN"
    LEVEL = "LEVEL"
    BIRTH_YEAR = "BIRTH_YEAR"


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class DeputyOrder:
    field: DeputyOrderField
    direction: OrderDirection | None = OrderDirection.ASC


@strawberry.input
class DeputyFilter:
    levels: list[Level] | None = strawberry.field(
        default=None, description="Only mandates at these levels."
    )
    region_code: str | None = strawberry.field(
        default=None,
        description="Only mandates in congresses of this region and below (division code).",
    )
    locality_code: str | None = strawberry.field(
        default=None,
        description="Only deputies whose locality lies in this region or below, whatever the "
        "level of their mandates (a place's 五级代表).",
    )
    as_of: date | None = strawberry.field(
        default=None, description="Mandates as they stood on this date instead of today (history)."
    )
    congress_id: strawberry.ID | None = None
    status: MandateStatus | None = strawberry.field(default=None, description="Defaults to ACTIVE.")
    is_grassroots: bool | None = None
    gender: Gender | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Name, pinyin or pinyin initials: '李俊峰', 'li jun feng', 'lijunfeng', 'ljf'.",
    )
    station_id: strawberry.ID | None = None
    group_id: strawberry.ID | None = None


@strawberry.input
class StationFilter:
    kinds: list[StationKind] | None = None
    min_stars: int | None = None


def _id_key(global_id: str | None, type_name: str) -> tuple[int | None, bool]:
    """(key, impossible): an ID of another type or a malformed one matches nothing."""
    if global_id is None:
        return None, False
    key = decode_int_id(global_id, type_name)
    return key, key is None


def deputy_spec(
    given: DeputyFilter | None, *, term_number: int | None = None
) -> resolve.DeputySpec:
    f = given or DeputyFilter()
    congress, bad_congress = _id_key(f.congress_id, "Congress")
    station, bad_station = _id_key(f.station_id, "Station")
    group, bad_group = _id_key(f.group_id, "DeputyGroup")
    return resolve.DeputySpec(
        levels=tuple(f.levels) if f.levels else None,
        region_code=f.region_code.strip() if f.region_code else None,
        locality_code=f.locality_code.strip() if f.locality_code else None,
        as_of=f.as_of,
        congress_id=congress,
        term_number=term_number,
        status=f.status or MandateStatus.ACTIVE,
        is_grassroots=f.is_grassroots,
        gender=f.gender,
        search=f.search if f.search and f.search.strip() else None,
        station_id=station,
        group_id=group,
        impossible=bad_congress or bad_station or bad_group,
    )


def deputy_order(order: DeputyOrder | None) -> resolve.DeputyOrder:
    if order is None:
        return resolve.DeputyOrder()
    return resolve.DeputyOrder(order.field.value, order.direction is OrderDirection.DESC)


def station_extra(f: StationFilter | None) -> tuple[tuple[StationKind, ...] | None, int | None]:
    if f is None:
        return None, None
    return (tuple(f.kinds) if f.kinds else None), f.min_stars


def deputies_of_region(
    filter: DeputyFilter | None = None, order_by: DeputyOrder | None = None
) -> Hashable:
    return deputy_spec(filter), deputy_order(order_by)


def deputies_of_congress(
    filter: DeputyFilter | None = None,
    order_by: DeputyOrder | None = None,
    term_number: int | None = None,
) -> Hashable:
    # The congress itself is the loader's partition, so one statement serves every congress.
    return deputy_spec(filter, term_number=term_number or 0), deputy_order(order_by)


def deputies_of_station(levels: list[Level] | None = None) -> Hashable:
    return deputy_spec(DeputyFilter(levels=levels))


def stations_of_region(filter: StationFilter | None = None) -> Hashable:
    return station_extra(filter)
