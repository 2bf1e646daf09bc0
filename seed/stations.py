"""Liaison stations (代表之家/联络站), the deputies stationed in them by where they live
(五级代表就近入站), and a year of reception days."""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta

from seed.context import Context
from seed.model import Batch, Deputy, between, pick, rng_for
from seed.names import Weighted
from seed.params import AS_OF, PEOPLE_PER_STATION, YEAR_START
from seed.texts import full_place, place_words, street_address
from seed.world import Region, county_units

STARS = Weighted([("1", 5), ("2", 15), ("3", 40), ("4", 28), ("5", 12)])
LATER_KINDS = Weighted(
    [("STATION", 70), ("HOME", 15), ("WORKSTATION", 13), ("LEGISLATIVE_CONTACT_POINT", 2)]
)
KIND_WORDS = {
    "STATION": "人大代表联络站",
    "HOME": "人大代表之家",
    "WORKSTATION": "人大代表工作站",
    "LEGISLATIVE_CONTACT_POINT": "基层立法联系点",
}
PRESENT = (35, 30, 20, 10, 5)


def _count(rng: random.Random, people: float, factor: float) -> int:
    """Stations for a population: one per PEOPLE_PER_STATION, rounded at random; at least
    one at full scale."""
    expected = people * factor / PEOPLE_PER_STATION
    count = int(expected) + (rng.random() < expected - int(expected))
    return max(count, 1) if factor >= 1.0 else count


class _Station:
    __slots__ = ("day", "deputies", "id")

    def __init__(self, station_id: int, day: int | None) -> None:
        self.id = station_id
        self.day = day
        self.deputies: list[tuple[Deputy, date]] = []


def _station(
    ctx: Context,
    batch: Batch,
    rng: random.Random,
    region: Region,
    kind: str,
    name: str,
    address: str,
) -> _Station:
    star = None if rng.random() < 0.25 else int(STARS(rng))
    day = None if rng.random() < 0.2 else between(rng, 1, 28)
    station = _Station(ctx.ids.next("stations"), day)
    batch.add("stations", (station.id, name, kind, region.code, address, star, day))
    return station


def _town_stations(
    ctx: Context, batch: Batch, rng: random.Random, town: Region, factor: float
) -> list[_Station]:
    count = _count(rng, town.population, factor)
    stations: list[_Station] = []
    urban = town.kind == "SUBDISTRICT"
    for word in place_words(rng, max(count - 1, 0)):
        kind = LATER_KINDS(rng)
        unit = "社区" if urban or rng.random() < 0.3 else "村"
        address = (
            street_address(rng, town) if unit == "社区" else f"{full_place(town)}{word}村村民委员会"
        )
        stations.append(
            _station(
                ctx, batch, rng, town, kind, f"{town.name}{word}{unit}{KIND_WORDS[kind]}", address
            )
        )
    if count:
        kind = "STATION" if urban else "HOME"
        first = _station(
            ctx, batch, rng, town, kind, town.name + KIND_WORDS[kind], street_address(rng, town)
        )
        stations.insert(0, first)
    return stations


def build_stations(
    ctx: Context, batch: Batch, province: Region, deputies: Iterable[Deputy]
) -> None:
    """Stations in every covered township-level division (more where more people live),
    one 代表之家 per county, deputies stationed by locality, and their reception days."""
    by_locality: dict[str, list[Deputy]] = {}
    for deputy in deputies:
        by_locality.setdefault(deputy.locality.code, []).append(deputy)
    factor = ctx.plan.factor
    for unit in county_units(province):
        if not ctx.plan.covers(unit):
            continue
        rng = rng_for(ctx.seed, "stations", unit.code)
        here: dict[str, list[_Station]] = {}
        towns = [unit] if unit.level == "TOWNSHIP" else []
        if unit.level == "COUNTY":
            name = unit.name + KIND_WORDS["HOME"]
            here[unit.code] = [
                _station(ctx, batch, rng, unit, "HOME", name, street_address(rng, unit))
            ]
            if rng.random() < 0.1:
                name = unit.name + KIND_WORDS["LEGISLATIVE_CONTACT_POINT"]
                address = street_address(rng, unit)
                station = _station(
                    ctx, batch, rng, unit, "LEGISLATIVE_CONTACT_POINT", name, address
                )
                here[unit.code].append(station)
            towns = [c for c in unit.children if c.level == "TOWNSHIP"]
        for town in towns:
            here[town.code] = _town_stations(ctx, batch, rng, town, factor)
        for code, stations in here.items():
            if stations:
                _station_deputies(batch, rng, stations, by_locality.get(code, []))
        for stations in here.values():
            for station in stations:
                _receptions(ctx, batch, rng, station)


def _station_deputies(
    batch: Batch, rng: random.Random, stations: list[_Station], deputies: list[Deputy]
) -> None:
    """Each deputy living here enters one of the stations (the county's 代表之家 for those
    living in the county seat)."""
    for deputy in deputies:
        start = deputy.first_current_start()
        if start is None:
            continue
        assigned = min(start + timedelta(days=between(rng, 0, 60)), AS_OF)
        station = stations[0] if len(stations) == 1 else pick(rng, stations)
        station.deputies.append((deputy, assigned))
        batch.add("station_assignments", (station.id, deputy.id, assigned))


def _receptions(ctx: Context, batch: Batch, rng: random.Random, station: _Station) -> None:
    """Reception days over the year: deputies present, visitors, opinions, problems solved."""
    if not station.deputies:
        return
    # Deputies stationed and in office the whole year need no check per reception.
    steady = [d for d, on in station.deputies if on <= YEAR_START and _whole_year(d)]
    others = [(d, on) for d, on in station.deputies if on > YEAR_START or not _whole_year(d)]
    activity = rng.uniform(0.3, 0.9)
    for month in range(1, 13):
        if rng.random() >= activity:
            continue
        day = date(AS_OF.year, month, station.day or between(rng, 1, 28))
        present = steady + [d for d, on in others if on <= day and d.active_on(day)]
        if not present:
            continue
        count = min(len(present), 1 + _weighted_index(rng))
        reception = ctx.ids.next("receptions")
        visitors = int(rng.triangular(0, 61, 8))
        opinions = int(visitors * rng.uniform(0.0, 0.6))
        solved = int(opinions * rng.uniform(0.0, 0.5))
        batch.add("receptions", (reception, station.id, day, visitors, opinions, solved))
        for deputy in rng.sample(present, count):
            batch.add("reception_deputies", (reception, deputy.id))


def _whole_year(deputy: Deputy) -> bool:
    return any(
        m.start <= YEAR_START and m.end is None and m.suspended is None for m in deputy.mandates
    )


def _weighted_index(rng: random.Random) -> int:
    draw = rng.random() * 100
    for i, weight in enumerate(PRESENT):
        if draw < weight:
            return i
        draw -= weight
    return len(PRESENT) - 1
