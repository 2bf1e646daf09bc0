"""createStation, assignStationDeputies, recordReception."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import StationKind
from resolvers.mutations import stations as writes
from schema.mutations.declare import mutation_input, mutation_type, payload
from schema.stations import Reception, Station

StationPayload = payload("StationPayload", "station", Station)
ReceptionPayload = payload("ReceptionPayload", "reception", Reception)


@mutation_input(StationPayload, ("Region", "region_code"), writes.create_station)
class CreateStationInput:
    name: str
    kind: StationKind
    region_code: str
    address: str | None = None
    star_rating: int | None = None
    reception_day: int | None = None


@mutation_input(StationPayload, ("Station", "station_id"), writes.assign_station_deputies)
class AssignStationDeputiesInput:
    station_id: strawberry.ID
    deputy_ids: list[strawberry.ID]


@mutation_input(ReceptionPayload, ("Station", "station_id"), writes.record_reception)
class RecordReceptionInput:
    station_id: strawberry.ID
    date: date
    deputy_ids: list[strawberry.ID]
    visitors: int
    opinions_collected: int
    problems_resolved: int


StationMutation = mutation_type(
    "StationMutation", CreateStationInput, AssignStationDeputiesInput, RecordReceptionInput
)
