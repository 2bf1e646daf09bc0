"""createStation, assignStationDeputies, recordReception."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from db.enums import StationKind
from resolvers.mutations import stations as writes
from schema.mutations.base import UserError, perform
from schema.stations import Reception, Station


@strawberry.input
class CreateStationInput:
    name: str
    kind: StationKind
    region_code: str
    address: str | None = None
    star_rating: int | None = None
    reception_day: int | None = None


@strawberry.type
class StationPayload:
    station: Station | None
    user_errors: list[UserError]


@strawberry.input
class AssignStationDeputiesInput:
    station_id: strawberry.ID
    deputy_ids: list[strawberry.ID]


@strawberry.input
class RecordReceptionInput:
    station_id: strawberry.ID
    date: date
    deputy_ids: list[strawberry.ID]
    visitors: int
    opinions_collected: int
    problems_resolved: int


@strawberry.type
class ReceptionPayload:
    reception: Reception | None
    user_errors: list[UserError]


@strawberry.type
class StationMutation:
    @strawberry.mutation
    async def create_station(self, info: Info, input: CreateStationInput) -> StationPayload:
        spec = writes.StationSpec(
            name=input.name,
            kind=input.kind,
            region_code=input.region_code,
            address=input.address,
            star_rating=input.star_rating,
            reception_day=input.reception_day,
        )
        key, errors = await perform(
            info,
            lambda conn, actor: writes.create_station(conn, actor, spec),
            ("Region", input.region_code),
        )
        return StationPayload(
            station=await Station.load(info, key) if key else None, user_errors=errors
        )

    @strawberry.mutation
    async def assign_station_deputies(
        self, info: Info, input: AssignStationDeputiesInput
    ) -> StationPayload:
        key, errors = await perform(
            info,
            lambda conn, actor: writes.assign_station_deputies(
                conn, actor, input.station_id, input.deputy_ids
            ),
            ("Station", input.station_id),
        )
        return StationPayload(
            station=await Station.load(info, key) if key else None, user_errors=errors
        )

    @strawberry.mutation
    async def record_reception(self, info: Info, input: RecordReceptionInput) -> ReceptionPayload:
        spec = writes.ReceptionSpec(
            station_id=input.station_id,
            date=input.date,
            deputy_ids=tuple(input.deputy_ids),
            visitors=input.visitors,
            opinions_collected=input.opinions_collected,
            problems_resolved=input.problems_resolved,
        )
        key, errors = await perform(
            info,
            lambda conn, actor: writes.record_reception(conn, actor, spec),
            ("Station", input.station_id),
        )
        reception = await Reception.load(info, key) if key else None
        return ReceptionPayload(reception=reception, user_errors=errors)
