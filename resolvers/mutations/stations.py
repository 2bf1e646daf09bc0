"""Stations: creating them, stationing deputies (就近入站) and recording receptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.columns import table_of
from db.deputies import Deputy as DeputyRow
from db.deputies import Mandate as MandateRow
from db.enums import Level, MandateStatus, StationKind
from db.stations import Reception as ReceptionRow
from db.stations import ReceptionDeputy as ReceptionDeputyRow
from db.stations import Station as StationRow
from db.stations import StationAssignment as AssignmentRow
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit

stations = table_of(StationRow)
assignments = table_of(AssignmentRow)
receptions = table_of(ReceptionRow)
reception_deputies = table_of(ReceptionDeputyRow)
deputies = table_of(DeputyRow)
mandates = table_of(MandateRow)


@dataclass(frozen=True)
class StationSpec:
    name: str
    kind: StationKind
    region_code: str
    address: str | None = None
    star_rating: int | None = None
    reception_day: int | None = None


async def create_station(conn: AsyncConnection, actor: Actor, spec: StationSpec) -> int:
    problems = Problems()
    if not spec.name.strip():
        problems.add(("name",), "A station needs a name.", Code.INVALID_VALUE)
    if spec.star_rating is not None and not 1 <= spec.star_rating <= 5:
        problems.add(("starRating",), "A star rating is 1 to 5.", Code.INVALID_VALUE)
    if spec.reception_day is not None and not 1 <= spec.reception_day <= 31:
        problems.add(
            ("receptionDay",), "A reception day is a day of the month, 1 to 31.", Code.INVALID_VALUE
        )
    region = await lookups.region(conn, problems, ("regionCode",), spec.region_code)
    problems.check()
    assert region is not None
    row = (
        await conn.execute(
            insert(stations)
            .values(
                name=spec.name.strip(),
                kind=spec.kind,
                region_code=region.code,
                address=spec.address,
                star_rating=spec.star_rating,
                reception_day=spec.reception_day,
            )
            .returning(*stations.c)
        )
    ).one()
    await audit(conn, actor, "createStation", "Station", row.id, after=row)
    return int(row.id)


def _catchment(region: Any) -> str:
    """Deputies are stationed near where they live: a township station serves its county
    (the township's parent), any other station its own region."""
    return str(region.parent_code if region.level is Level.TOWNSHIP else region.code)


async def assign_station_deputies(
    conn: AsyncConnection, actor: Actor, station_id: str, deputy_ids: Sequence[str]
) -> int:
    problems = Problems()
    station = await lookups.by_id(conn, problems, ("stationId",), station_id, "Station", stations)
    found = await lookups.many_by_id(conn, problems, ("deputyIds",), deputy_ids, "Deputy", deputies)
    if station is not None:
        region = (
            await conn.execute(
                select(lookups.regions).where(lookups.regions.c.code == station.region_code)
            )
        ).one()
        area = _catchment(region)
        localities = {
            row.code: row
            for row in await conn.execute(
                select(lookups.regions).where(
                    lookups.regions.c.code.in_({d.locality_code for d in found if d is not None})
                )
            )
        }
        active = set(
            await conn.scalars(
                select(mandates.c.deputy_id).where(
                    mandates.c.deputy_id.in_([d.id for d in found if d is not None]),
                    mandates.c.status == MandateStatus.ACTIVE,
                )
            )
        )
        for i, deputy in enumerate(found):
            if deputy is None:
                continue
            if area not in localities[deputy.locality_code].lineage:
                problems.add(
                    ("deputyIds", i),
                    f"{deputy.name} lives in {localities[deputy.locality_code].name}, outside the "
                    f"area that {station.name} serves.",
                    Code.LOCALITY_OUTSIDE_REGION,
                )
            if deputy.id not in active:
                problems.add(
                    ("deputyIds", i), f"{deputy.name} holds no active mandate.", Code.NOT_ELIGIBLE
                )
    problems.check()
    assert station is not None
    new = sorted({d.id for d in found if d is not None})
    added = (
        await conn.scalars(
            pg_insert(assignments)
            .values(
                [
                    {"station_id": station.id, "deputy_id": d, "assigned_on": date.today()}
                    for d in new
                ]
            )
            .on_conflict_do_nothing()
            .returning(assignments.c.deputy_id)
        )
        if new
        else []
    )
    added_ids = list(added)
    await conn.execute(
        update(stations).where(stations.c.id == station.id).values(updated_at=func.now())
    )
    await audit(
        conn,
        actor,
        "assignStationDeputies",
        "Station",
        station.id,
        after={"added_deputy_ids": added_ids},
    )
    return int(station.id)


@dataclass(frozen=True)
class ReceptionSpec:
    station_id: str
    date: date
    deputy_ids: tuple[str, ...]
    visitors: int
    opinions_collected: int
    problems_resolved: int


async def record_reception(conn: AsyncConnection, actor: Actor, spec: ReceptionSpec) -> int:
    problems = Problems()
    for path, value in (
        ("visitors", spec.visitors),
        ("opinionsCollected", spec.opinions_collected),
        ("problemsResolved", spec.problems_resolved),
    ):
        if value < 0:
            problems.add(
                (path,), f"{path} is a count: 0 or more (got {value}).", Code.INVALID_VALUE
            )
    if spec.date > date.today():
        problems.add(
            ("date",), "A reception is recorded once it has taken place.", Code.INVALID_VALUE
        )
    if len(set(spec.deputy_ids)) != len(spec.deputy_ids):
        problems.add(("deputyIds",), "A deputy is listed twice.", Code.DUPLICATE)
    station = await lookups.by_id(
        conn, problems, ("stationId",), spec.station_id, "Station", stations
    )
    found = await lookups.many_by_id(
        conn, problems, ("deputyIds",), spec.deputy_ids, "Deputy", deputies
    )
    held = set(
        await conn.scalars(
            select(mandates.c.deputy_id).where(
                mandates.c.deputy_id.in_([d.id for d in found if d is not None]),
                mandates.c.start_date <= spec.date,
                (mandates.c.end_date.is_(None)) | (mandates.c.end_date >= spec.date),
            )
        )
    )
    for i, deputy in enumerate(found):
        if deputy is not None and deputy.id not in held:
            problems.add(
                ("deputyIds", i),
                f"{deputy.name} held no mandate on {spec.date}.",
                Code.NOT_ELIGIBLE,
            )
    problems.check()
    assert station is not None
    row = (
        await conn.execute(
            insert(receptions)
            .values(
                station_id=station.id,
                date=spec.date,
                visitors=spec.visitors,
                opinions_collected=spec.opinions_collected,
                problems_resolved=spec.problems_resolved,
            )
            .returning(*receptions.c)
        )
    ).one()
    present = sorted({d.id for d in found if d is not None})
    if present:
        await conn.execute(
            insert(reception_deputies), [{"reception_id": row.id, "deputy_id": d} for d in present]
        )
    await audit(
        conn,
        actor,
        "recordReception",
        "Reception",
        row.id,
        after={**row._mapping, "deputy_ids": present},
    )
    return int(row.id)
