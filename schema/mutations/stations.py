"""createStation, assignStationDeputies, recordReception."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import StationKind
from resolvers.mutations import stations as writes
from schema.mutations.base import mutation, payload, with_spec
from schema.stations import Reception, Station


@strawberry.input
class CreateStationInput:
    name: str
    kind: StationKind
    region_code: str
    address: str | None = None
    star_rating: int | None = None
    reception_day: int | None = None


StationPayload = payload("StationPayload", "station", Station)


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


ReceptionPayload = payload("ReceptionPayload", "reception", Reception)


@strawberry.type
class StationMutation:
    create_station = mutation(
        CreateStationInput,
        StationPayload,
        ("Region", "region_code"),
        with_spec(writes.create_station, writes.StationSpec),
    )
    assign_station_deputies = mutation(
        AssignStationDeputiesInput,
        StationPayload,
        ("Station", "station_id"),
        lambda conn, actor, input: writes.assign_station_deputies(
            conn, actor, input.station_id, input.deputy_ids
        ),
    )
    record_reception = mutation(
        RecordReceptionInput,
        ReceptionPayload,
        ("Station", "station_id"),
        with_spec(writes.record_reception, writes.ReceptionSpec),
    )
