"""The units of work: the national congress, then one province at a time.

A province's batch holds everything below the national level that lives there, so memory
stays bounded by the largest province and batches can be written while the next one is
generated.
"""

from __future__ import annotations

from seed.committees import assign_contacts, higher_pools, hold_meetings, staff_committees
from seed.context import Context
from seed.groups import professional_groups, regional_groups
from seed.model import Batch, Mandate, rng_for
from seed.params import RANK
from seed.seats import congress_seats, fill_congress, national_seats
from seed.stations import build_stations
from seed.world import Congress


def filled_congresses(ctx: Context) -> dict[str, list[Congress]]:
    """Filled congresses below the national one by province code, top level first."""
    by_province: dict[str, list[Congress]] = {}
    for congress in ctx.world.congresses:
        if congress.level != "NATIONAL" and ctx.plan.fills(congress):
            by_province.setdefault(congress.region.province().code, []).append(congress)
    for congresses in by_province.values():
        congresses.sort(key=lambda c: (RANK[c.level], c.region.path))
    return by_province


def national_batch(ctx: Context) -> Batch:
    """The delegations of the National People's Congress and its standing committee's work."""
    batch = Batch("全国人民代表大会")
    congress = next(c for c in ctx.world.congresses if c.level == "NATIONAL")
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
    _committee_work(ctx, batch, congress, own, [])
    return batch


def province_batch(ctx: Context, code: str, congresses: list[Congress]) -> Batch:
    """Every filled congress of one province, their committees, groups and stations."""
    province = ctx.world.region(code)
    batch = Batch(province.name)
    seated: dict[int, list[Mandate]] = {}
    for congress in congresses:
        rng = rng_for(ctx.seed, "congress", congress.region.code)
        seats = congress_seats(congress, ctx.plan.factor)
        seated[congress.id] = fill_congress(ctx, batch, congress, seats, congress.region, rng)
        ctx.tick(province.name, 1)
    national = ctx.national.get(code, [])
    everyone = [m for mandates in seated.values() for m in mandates]
    everyone += [m for d in national for m in d.mandates if m.level == "NATIONAL"]
    pools = higher_pools(ctx, everyone)
    for congress in congresses:
        if congress.standing_id is not None:
            _committee_work(ctx, batch, congress, seated[congress.id], pools.get(congress.id, []))
    if ctx.plan.covers(province) or any(ctx.plan.covers(c.region) for c in congresses):
        build_stations(ctx, batch, province, [*national, *batch.deputies])
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
