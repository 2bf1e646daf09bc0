"""The units of work, in three phases.

1. Seats: the national congress's delegations, then every filled congress one province at a
   time (deputies and mandates).
2. Work: the national standing committee, then per province the committees' members,
   contacts, meetings and attendance, the groups and the stations.
3. Duty work: the nation, then per province, suggestions, activities and voter contacts.

Each batch is written while the next is generated; between the phases PostgreSQL rebuilds
indexes (and, after the work phase, the report totals) while the next phase is generated.
Seats are kept in memory per province until that province's duty work is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seed.committees import assign_contacts, higher_pools, hold_meetings, staff_committees
from seed.context import Context
from seed.groups import professional_groups, regional_groups
from seed.model import Batch, Deputy, Mandate, rng_for
from seed.params import RANK
from seed.roster import DutyBatch, Staffing, bodies_of, staffing_of
from seed.seats import congress_seats, fill_congress, national_seats
from seed.stations import build_stations
from seed.suggestions import duty_work
from seed.world import Congress


@dataclass
class Seated:
    """What the seats phase leaves for the work phase of one province (or the nation)."""

    congresses: list[Congress]
    # Mandates by congress id, every term.
    mandates: dict[int, list[Mandate]]
    deputies: list[Deputy]
    # Leaders and groups, once the work phase has staffed the committees.
    staffing: Staffing = field(default_factory=Staffing)


def filled_congresses(ctx: Context) -> dict[str, list[Congress]]:
    """Filled congresses below the national one by province code, top level first."""
    by_province: dict[str, list[Congress]] = {}
    for congress in ctx.world.congresses:
        if congress.level != "NATIONAL" and ctx.plan.fills(congress):
            by_province.setdefault(congress.region.province().code, []).append(congress)
    for congresses in by_province.values():
        congresses.sort(key=lambda c: (RANK[c.level], c.region.path))
    return by_province


def national_congress(ctx: Context) -> Congress:
    return next(c for c in ctx.world.congresses if c.level == "NATIONAL")


def national_seats_batch(ctx: Context, seated: dict[str, Seated]) -> Batch:
    """The delegations of the National People's Congress."""
    batch = Batch("全国人民代表大会")
    congress = national_congress(ctx)
    own: list[Mandate] = []
    for code, seats in sorted(
        national_seats(sorted(ctx.plan.delegations), ctx.plan.factor).items()
    ):
        province = ctx.world.region(code)
        rng = rng_for(ctx.seed, "congress", f"{congress.region.code}/{code}")
        created = fill_congress(ctx, batch, congress, seats, province, rng)
        own.extend(created)
        ctx.national[code] = list({m.deputy.id: m.deputy for m in created}.values())
        ctx.tick(province.name, 1)
    seated[congress.region.code] = Seated([congress], {congress.id: own}, batch.deputies)
    return batch


def province_seats_batch(
    ctx: Context, seated: dict[str, Seated], code: str, congresses: list[Congress]
) -> Batch:
    """Deputies and mandates of every filled congress of one province, top level first (so
    that deputies who also sit lower down are there when the lower congress is filled)."""
    batch = Batch(ctx.world.region(code).name)
    mandates: dict[int, list[Mandate]] = {}
    for congress in congresses:
        rng = rng_for(ctx.seed, "congress", congress.region.code)
        seats = congress_seats(congress, ctx.plan.factor)
        mandates[congress.id] = fill_congress(ctx, batch, congress, seats, congress.region, rng)
        ctx.tick(batch.label, 1)
    seated[code] = Seated(congresses, mandates, batch.deputies)
    return batch


def national_work_batch(ctx: Context, seated: dict[str, Seated]) -> Batch:
    congress = national_congress(ctx)
    done = seated[congress.region.code]
    batch = Batch("全国人民代表大会常务委员会")
    _committee_work(ctx, batch, congress, done.mandates[congress.id], [])
    done.staffing = staffing_of(batch, done.congresses)
    ctx.tick(batch.label, 1)
    return batch


def province_work_batch(ctx: Context, seated: dict[str, Seated], code: str) -> Batch:
    """Committees, groups and stations of one province."""
    done = seated[code]
    province = ctx.world.region(code)
    batch = Batch(province.name)
    national = ctx.national.get(code, [])
    everyone = [m for mandates in done.mandates.values() for m in mandates]
    everyone += [m for d in national for m in d.mandates if m.level == "NATIONAL"]
    pools = higher_pools(ctx, everyone)
    for congress in done.congresses:
        if congress.standing_id is not None:
            own = done.mandates[congress.id]
            _committee_work(ctx, batch, congress, own, pools.get(congress.id, []))
    if any(ctx.plan.covers(c.region) for c in done.congresses):
        build_stations(ctx, batch, province, [*national, *done.deputies])
    done.staffing = staffing_of(batch, done.congresses)
    ctx.tick(batch.label, 1)
    return batch


def national_duty_batch(ctx: Context, seated: dict[str, Seated]) -> Batch:
    """The National People's Congress's suggestions and activities; its seats are then
    kept only by the province each deputy lives in (for the provinces' duty work)."""
    congress = national_congress(ctx)
    done = seated.pop(congress.region.code)
    batch = Batch("全国人民代表大会代表建议")
    bodies = bodies_of(done.congresses, done.mandates, [], done.staffing)
    duty_work(DutyBatch(batch, ctx.ids, ctx.pseudonyms), ctx.seed, bodies)
    for mandate in done.mandates[congress.id]:
        home = mandate.deputy.locality.province().code
        ctx.national_by_residence.setdefault(home, []).append(mandate)
    ctx.tick(batch.label, 1)
    return batch


def province_duty_batch(ctx: Context, seated: dict[str, Seated], code: str) -> Batch:
    done = seated.pop(code)
    batch = Batch(ctx.world.region(code).name + "代表建议")
    residents = ctx.national_by_residence.pop(code, [])
    bodies = bodies_of(done.congresses, done.mandates, residents, done.staffing)
    duty_work(DutyBatch(batch, ctx.ids, ctx.pseudonyms), ctx.seed, bodies)
    # The province is done with: free its people now (a deputy and their mandates refer to
    # each other, which only the cycle collector, off while seeding, would undo).
    for mandates in (*done.mandates.values(), residents):
        for mandate in mandates:
            mandate.deputy.mandates.clear()
    ctx.tick(batch.label, 1)
    return batch


def _committee_work(
    ctx: Context, batch: Batch, congress: Congress, own: list[Mandate], higher: list[Mandate]
) -> None:
    rng = rng_for(ctx.seed, "committees", congress.region.code)
    members = staff_committees(ctx, batch, rng, congress, own)
    assign_contacts(ctx, batch, rng, congress, members, own, higher)
    hold_meetings(ctx, batch, rng, congress, members, own, higher)
    if congress.level in ("COUNTY", "PREFECTURAL"):
        regional_groups(ctx, batch, rng, congress, own, higher)
    if congress.level in ("PROVINCIAL", "PREFECTURAL"):
        professional_groups(ctx, batch, rng, congress, own)
