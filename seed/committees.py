"""Committee work of one congress (county level and up): standing and special committee
members, their contact assignments with logs, and standing committee meetings with the
deputies who attended them (列席).

Every contact target and attendee is an eligible deputy: on the day in question they hold
an active mandate in the congress, or one at a higher level while living in its region.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import TypeVar

from seed.context import Context
from seed.model import Batch, Deputy, Mandate, between, day_between, pick
from seed.names import Weighted
from seed.params import (
    AS_OF,
    ATTENDEES_PER_MEETING,
    CONTACTS_PER_MEMBER,
    HIGHER_PICK,
    LOGS_PER_CONTACT,
    RANK,
    SPECIAL_COMMITTEE_SIZE,
    SPOKE_SHARE,
    STANDING_SIZE,
    VICE_CHAIRS,
    YEAR_START,
)
from seed.seats import scaled
from seed.texts import contact_note, meeting_title, meeting_topics
from seed.world import Congress

# What a draw of `_outsiders` gives back for each deputy taken.
Accepted = TypeVar("Accepted")

CHANNELS = Weighted([("PHONE", 40), ("VISIT", 25), ("MEETING", 20), ("ONLINE", 15)])


def higher_pools(ctx: Context, mandates: Iterable[Mandate]) -> dict[int, list[Mandate]]:
    """For each filled congress with a standing committee, the mandates of higher levels
    held by deputies who live in its region (the second way to be eligible)."""
    pools: dict[int, list[Mandate]] = {}
    for mandate in mandates:
        if mandate.level not in ("NATIONAL", "PROVINCIAL", "PREFECTURAL"):
            continue
        rank = RANK[mandate.level]
        for region in mandate.deputy.locality.ancestors():
            if RANK[region.level] <= rank:
                break
            congress = region.congress
            if congress is not None and congress.standing_id and ctx.plan.fills(congress):
                pools.setdefault(congress.id, []).append(mandate)
    return pools


def _core(congress: Congress, own: list[Mandate]) -> list[Mandate]:
    """Seats held without interruption since the term began: where members come from."""
    start = congress.term.start
    return [
        m
        for m in own
        if m.term is congress.term and m.start == start and m.end is None and m.suspended is None
    ]


def _roles(size: int, vice_chairs: int, secretary: bool) -> list[str]:
    vice = min(vice_chairs, max(0, size - 2))
    roles = ["CHAIR", *["VICE_CHAIR"] * vice]
    if secretary and len(roles) < size:
        roles.append("SECRETARY_GENERAL")
    return (roles + ["MEMBER"] * size)[:size]


def staff_committees(
    ctx: Context, batch: Batch, rng: random.Random, congress: Congress, own: list[Mandate]
) -> list[Deputy]:
    """Members of the standing committee (returned) and of the special committees."""
    core = _core(congress, own)
    if not core or congress.standing_id is None:
        return []
    factor = ctx.plan.factor
    start = congress.term.start
    low, high = STANDING_SIZE[congress.level]
    size = min(scaled(rng.randint(low, high), factor), max(1, len(core) // 3))
    members = [m.deputy for m in rng.sample(core, size)]
    roles = _roles(size, rng.randint(*VICE_CHAIRS[congress.level]), secretary=True)
    for deputy, role in zip(members, roles, strict=True):
        batch.add("committee_memberships", (congress.standing_id, deputy.id, role, start, None))
    for committee_id, _name in congress.specials:
        size = min(scaled(rng.randint(*SPECIAL_COMMITTEE_SIZE), factor), max(1, len(core) // 4))
        roles = _roles(size, rng.randint(2, 4), secretary=False)
        for mandate, role in zip(rng.sample(core, size), roles, strict=True):
            batch.add("committee_memberships", (committee_id, mandate.deputy.id, role, start, None))
    return members


def _pick(
    rng: random.Random, own: list[Mandate], higher: list[Mandate], higher_share: float
) -> Mandate:
    if higher and (not own or rng.random() < higher_share):
        return pick(rng, higher)
    return pick(rng, own)


def assign_contacts(
    ctx: Context,
    batch: Batch,
    rng: random.Random,
    congress: Congress,
    members: list[Deputy],
    own: list[Mandate],
    higher: list[Mandate],
) -> None:
    """Each standing committee member keeps in touch with a few eligible deputies."""
    own = [m for m in own if m.current]
    higher = [m for m in higher if m.current]
    if not own and not higher:
        return
    member_ids = {d.id for d in members}
    share = HIGHER_PICK[congress.level]
    committee_id = congress.standing_id

    def starting(mandate: Mandate) -> tuple[Mandate, date] | None:
        start = max(
            congress.term.start + timedelta(days=between(rng, 10, 120)),
            mandate.start + timedelta(days=between(rng, 0, 60)),
        )
        return (mandate, start) if start <= AS_OF and mandate.active_on(start) else None

    for member in members:
        wanted = between(rng, *CONTACTS_PER_MEMBER)
        for mandate, start in _outsiders(rng, own, higher, share, wanted, member_ids, starting):
            assignment = ctx.ids.next("contact_assignments")
            batch.add(
                "contact_assignments",
                (assignment, member.id, committee_id, mandate.deputy.id, start, mandate.end),
            )
            _log_contacts(batch, rng, assignment, mandate, start)


def _outsiders(
    rng: random.Random,
    own: list[Mandate],
    higher: list[Mandate],
    share: float,
    wanted: int,
    member_ids: set[int],
    accept: Callable[[Mandate], Accepted | None],
) -> Iterator[Accepted]:
    """Up to `wanted` deputies outside the committee, each once, by mandates drawn from
    the congress's own (or, by `share`, higher) ones that `accept` takes (what it returns
    is yielded); four draws per wanted deputy at the most."""
    chosen: set[int] = set()
    for _ in range(wanted * 4):
        if len(chosen) >= wanted:
            break
        mandate = _pick(rng, own, higher, share)
        deputy = mandate.deputy
        if deputy.id in member_ids or deputy.id in chosen:
            continue
        accepted = accept(mandate)
        if accepted is None:
            continue
        chosen.add(deputy.id)
        yield accepted


def _log_contacts(
    batch: Batch, rng: random.Random, assignment: int, mandate: Mandate, start: date
) -> None:
    """Contacts in the last year, only while the deputy's mandate is in force."""
    low = max(start, YEAR_START)
    high = AS_OF
    for stop in (mandate.end, mandate.suspended):
        if stop is not None:
            high = min(high, stop - timedelta(days=1))
    if low > high:
        return
    days = sorted(day_between(rng, low, high) for _ in range(between(rng, *LOGS_PER_CONTACT)))
    for day in days:
        channel = CHANNELS(rng)
        batch.add("contact_logs", (assignment, day, channel, contact_note(rng, channel)))


def hold_meetings(
    ctx: Context,
    batch: Batch,
    rng: random.Random,
    congress: Congress,
    members: list[Deputy],
    own: list[Mandate],
    higher: list[Mandate],
) -> None:
    """Standing committee meetings about every two months of the current term."""
    if congress.standing_id is None:
        return
    member_ids = {d.id for d in members}
    share = HIGHER_PICK[congress.level]
    day = congress.term.start + timedelta(days=rng.randint(15, 45))
    number = 1
    while day + timedelta(days=3) <= AS_OF:
        end = day + timedelta(days=rng.randint(0, 2))
        meeting = ctx.ids.next("meetings")
        batch.add(
            "meetings",
            (
                meeting,
                congress.standing_id,
                number,
                meeting_title(congress, number),
                day,
                end,
                meeting_topics(rng, congress, day.year),
            ),
        )
        if own or higher:
            _attend(batch, rng, meeting, day, end, member_ids, own, higher, share, ctx.plan.factor)
        day = end + timedelta(days=rng.randint(45, 75))
        number += 1


def _attend(
    batch: Batch,
    rng: random.Random,
    meeting: int,
    start: date,
    end: date,
    member_ids: set[int],
    own: list[Mandate],
    higher: list[Mandate],
    share: float,
    factor: float,
) -> None:
    wanted = scaled(between(rng, *ATTENDEES_PER_MEETING), factor)

    def present(mandate: Mandate) -> Mandate | None:
        return mandate if mandate.active_on(start) and mandate.active_on(end) else None

    for mandate in _outsiders(rng, own, higher, share, wanted, member_ids, present):
        batch.add(
            "attendances",
            (meeting, mandate.deputy.id, mandate.id, mandate.level, rng.random() < SPOKE_SHARE),
        )
