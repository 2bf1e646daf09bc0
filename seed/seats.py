"""Deputies and mandates of one congress: seats by law, people reused from higher levels,
by-elections, terminations, suspensions and seats held in the previous term."""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import partial

from seed.context import Context
from seed.model import Batch, Deputy, Mandate, day_between
from seed.names import Weighted
from seed.params import (
    ALSO_SITS,
    AS_OF,
    END_REASONS,
    LATE_BY_ELECTION_SHARE,
    NATIONAL_BASE_SEATS,
    NATIONAL_SEATS,
    PREVIOUS_TERM_SHARE,
    PROVINCE_POPULATION,
    PROVINCE_SHORT,
    RANK,
    REPLACED_SHARE,
    REUSED_SEAT_CAP,
    SUSPENDED_SHARE,
    TERMINATED_SHARE,
    legal_seats,
)
from seed.world import Congress, Region, child_on_path, electing_congress, pick_locality

END_REASON = Weighted(END_REASONS)


def scaled(value: float, factor: float, least: int = 1) -> int:
    return max(least, round(value * factor))


def congress_seats(congress: Congress, factor: float) -> int:
    return scaled(legal_seats(congress.level, congress.region.population), factor)


def national_seats(provinces: list[str], factor: float) -> dict[str, int]:
    """National seats by province: a base for each, the rest by population (largest
    remainders), computed over all 31 so that a province's share never depends on which
    provinces are generated."""
    total = round(NATIONAL_SEATS * factor)
    base = min(NATIONAL_BASE_SEATS, total // len(PROVINCE_POPULATION))
    rest = total - base * len(PROVINCE_POPULATION)
    people = sum(PROVINCE_POPULATION.values())
    quotas = {code: rest * pop / people for code, pop in PROVINCE_POPULATION.items()}
    seats = {code: base + int(q) for code, q in quotas.items()}
    left = total - sum(seats.values())
    for code in sorted(quotas, key=lambda c: (int(quotas[c]) - quotas[c], c))[:left]:
        seats[code] += 1
    return {code: max(1, seats[code]) for code in provinces}


def electoral_unit(congress: Congress, deputy: Deputy, slot: int) -> str:
    """Directly elected levels name the district; higher levels the congress that elected."""
    if congress.level in ("COUNTY", "TOWNSHIP"):
        return f"第{slot // 2 + 1}选区"
    lower = electing_congress(congress.region, deputy.locality)
    return lower.name if lower is not None else f"第{slot // 3 + 1}选区"


def delegation(congress: Congress, deputy: Deputy) -> str | None:
    if congress.level == "NATIONAL":
        return PROVINCE_SHORT[deputy.locality.province().code] + "代表团"
    if congress.level in ("PROVINCIAL", "PREFECTURAL"):
        child = child_on_path(congress.region, deputy.locality)
        return child.short_name() + "代表团" if child is not None else None
    return None


def _plan_lower_seats(ctx: Context, rng: random.Random, deputy: Deputy, level: str) -> bool:
    """Decide which lower congresses covering the deputy's locality they also sit in."""
    planned = False
    for region in deputy.locality.ancestors():
        if RANK[region.level] <= RANK[level] or region.congress is None:
            continue
        chance = ALSO_SITS.get((level, region.level))
        if chance and ctx.plan.fills(region.congress) and rng.random() < chance:
            ctx.pending.setdefault(region.code, []).append(deputy)
            planned = True
    return planned


def fill_congress(
    ctx: Context,
    batch: Batch,
    congress: Congress,
    seats: int,
    area: Region,
    rng: random.Random,
) -> list[Mandate]:
    """Seat `seats` deputies (living in `area`) in the current term of `congress`.

    Returns every mandate created in the congress, current and previous term.
    """
    term = congress.term
    level = congress.level
    reused = ctx.pending.pop(congress.region.code, []) if level != "NATIONAL" else []
    cap = int(seats * REUSED_SEAT_CAP)
    if len(reused) > cap:
        reused = rng.sample(reused, cap)
    created: list[Mandate] = []
    last_day = AS_OF - timedelta(days=30)
    for slot in range(seats):
        fresh = slot >= len(reused)
        deputy = (
            ctx.person(batch, rng, level, area, pick_locality(rng, area, level))
            if fresh
            else reused[slot]
        )
        unit = electoral_unit(congress, deputy, slot)
        group = delegation(congress, deputy)
        planned = fresh and _plan_lower_seats(ctx, rng, deputy, level)
        seat = partial(ctx.mandate, batch, deputy, congress, unit=unit, delegation=group)
        if fresh and rng.random() < LATE_BY_ELECTION_SHARE:
            start = day_between(rng, term.start + timedelta(days=120), last_day)
            created.append(seat(term, start, by_election=True))
            continue
        draw = rng.random() if fresh and not planned else 1.0
        if draw < TERMINATED_SHARE:
            end = day_between(rng, term.start + timedelta(days=60), last_day)
            created.append(seat(term, term.start, end=end, reason=END_REASON(rng)))
            if rng.random() < REPLACED_SHARE and end + timedelta(days=60) < AS_OF:
                created.append(_by_election(ctx, batch, rng, congress, area, end, unit, group))
        else:
            suspended = None
            if draw < TERMINATED_SHARE + SUSPENDED_SHARE:
                suspended = day_between(rng, term.start + timedelta(days=180), last_day)
            created.append(seat(term, term.start, suspended=suspended))
        if fresh and congress.previous is not None and rng.random() < PREVIOUS_TERM_SHARE:
            previous = congress.previous
            if (previous.start - deputy.born).days > 25 * 365 and previous.end is not None:
                created.append(
                    seat(previous, previous.start, end=previous.end, reason="TERM_ENDED")
                )
    return created


def _by_election(
    ctx: Context,
    batch: Batch,
    rng: random.Random,
    congress: Congress,
    area: Region,
    vacated: date,
    unit: str,
    group: str | None,
) -> Mandate:
    """A new deputy elected to a seat left vacant on `vacated`."""
    start = day_between(
        rng, vacated + timedelta(days=30), min(vacated + timedelta(days=240), AS_OF)
    )
    locality = pick_locality(rng, area, congress.level)
    deputy = ctx.person(batch, rng, congress.level, area, locality)
    return ctx.mandate(
        batch,
        deputy,
        congress,
        congress.term,
        start,
        unit=unit,
        delegation=delegation(congress, deputy) if group else None,
        by_election=True,
    )
