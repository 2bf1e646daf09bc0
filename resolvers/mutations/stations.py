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
from db.enums import Level, MandateStatus, StationKind
from db.rules import mandate_held
from resolvers.mutations.base import Actor
from resolvers.mutations.tables import (
    mandates,
    reception_deputies,
    receptions,
    regions,
    station_assignments,
    stations,
)
from resolvers.mutations.write import Write


@dataclass(frozen=True)
class StationSpec:
    name: str
    kind: StationKind
    region_code: str
    address: str | None = None
    star_rating: int | None = None
    reception_day: int | None = None


async def create_station(conn: AsyncConnection, actor: Actor, spec: StationSpec) -> int:
    w = Write(conn, actor)
    w.refuse(not spec.name.strip(), "name", "A station needs a name.")
    w.refuse(
        spec.star_rating is not None and not 1 <= spec.star_rating <= 5,
        "starRating",
        "A star rating is 1 to 5.",
    )
    w.refuse(
        spec.reception_day is not None and not 1 <= spec.reception_day <= 31,
        "receptionDay",
        "A reception day is a day of the month, 1 to 31.",
    )
    region = await w.region("regionCode", spec.region_code)
    w.check()
    assert region is not None
    values = {"name": spec.name.strip(), "region_code": region.code}
    return await w.create("createStation", "Station", stations, spec, **values)


def _catchment(region: Any) -> str:
    """Deputies are stationed near where they live: a township station serves its county
    (the township's parent), any other station its own region."""
    return str(region.parent_code if region.level is Level.TOWNSHIP else region.code)


async def assign_station_deputies(
    conn: AsyncConnection, actor: Actor, station_id: str, deputy_ids: Sequence[str]
) -> int:
    w = Write(conn, actor)
    station = await w.find("stationId", station_id, "Station")
    found = await w.find_many("deputyIds", deputy_ids, "Deputy")
    present = [d for d in found if d is not None]
    if station is not None:
        area = _catchment(await w.one(regions, code=station.region_code))
        codes = {d.locality_code for d in present}
        localities = {
            row.code: row
            for row in await conn.execute(select(regions).where(regions.c.code.in_(codes)))
        }
        active = set(
            await conn.scalars(
                select(mandates.c.deputy_id).where(
                    mandates.c.deputy_id.in_([d.id for d in present]),
                    mandates.c.status == MandateStatus.ACTIVE,
                )
            )
        )
        for i, deputy in enumerate(found):
            if deputy is None:
                continue
            locality = localities[deputy.locality_code]
            w.refuse(
                area not in locality.lineage,
                ("deputyIds", i),
                f"{deputy.name} lives in {locality.name}, outside the "
                f"area that {station.name} serves.",
                Code.LOCALITY_OUTSIDE_REGION,
            )
            w.refuse(
                deputy.id not in active,
                ("deputyIds", i),
                f"{deputy.name} holds no active mandate.",
                Code.NOT_ELIGIBLE,
            )
    w.check()
    assert station is not None
    new = sorted({d.id for d in present})
    added: list[int] = []
    if new:
        today = date.today()
        added = list(
            await conn.scalars(
                pg_insert(station_assignments)
                .values(
                    [{"station_id": station.id, "deputy_id": d, "assigned_on": today} for d in new]
                )
                .on_conflict_do_nothing()
                .returning(station_assignments.c.deputy_id)
            )
        )
    await conn.execute(
        update(stations).where(stations.c.id == station.id).values(updated_at=func.now())
    )
    after = {"added_deputy_ids": added}
    await w.audit("assignStationDeputies", "Station", station.id, after=after)
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
    w = Write(conn, actor)
    for path, value in (
        ("visitors", spec.visitors),
        ("opinionsCollected", spec.opinions_collected),
        ("problemsResolved", spec.problems_resolved),
    ):
        w.refuse(value < 0, path, f"{path} is a count: 0 or more (got {value}).")
    w.refuse(spec.date > date.today(), "date", "A reception is recorded once it has taken place.")
    w.refuse(
        len(set(spec.deputy_ids)) != len(spec.deputy_ids),
        "deputyIds",
        "A deputy is listed twice.",
        Code.DUPLICATE,
    )
    station = await w.find("stationId", spec.station_id, "Station")
    found = await w.find_many("deputyIds", spec.deputy_ids, "Deputy")
    held = set(
        await conn.scalars(
            select(mandates.c.deputy_id).where(
                mandates.c.deputy_id.in_([d.id for d in found if d is not None]),
                mandate_held(mandates, spec.date),
            )
        )
    )
    for i, deputy in enumerate(found):
        if deputy is not None:
            w.refuse(
                deputy.id not in held,
                ("deputyIds", i),
                f"{deputy.name} held no mandate on {spec.date}.",
                Code.NOT_ELIGIBLE,
            )
    w.check()
    assert station is not None
    row = await w.insert(receptions, spec, station_id=station.id)
    present = sorted({d.id for d in found if d is not None})
    if present:
        await conn.execute(
            insert(reception_deputies), [{"reception_id": row.id, "deputy_id": d} for d in present]
        )
    after = {**row._mapping, "deputy_ids": present}
    await w.audit("recordReception", "Reception", row.id, after=after)
    return int(row.id)
