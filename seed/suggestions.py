"""Duty-work demo data: for every congress with deputies, its suggestion categories and a
year of suggestions (submitted, assigned, replied, supervised, rated) and of activities
between sessions; voter contacts for the deputies of a few prefectures.

Generated after the registry's own batches, one province at a time from what they made
(seed.roster), so it obeys the same rules the mutations check: signers hold a mandate in force in the congress
on the day, steps follow one another in date order, deadlines are those of the Law on
Deputies, participants are eligible deputies. Deterministic for a seed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from db.suggestions import reply_due
from seed.activities import hold_activities
from seed.model import between, day_between, pick, rng_for
from seed.names import Weighted
from seed.params import AS_OF
from seed.roster import (
    Body,
    DutyBatch,
    Seat,
)
from seed.suggestion_texts import (
    CATEGORIES,
    TOP_CATEGORIES,
    Heading,
    county_unit,
    suggestion_title,
    unit_name,
)
from seed.voters import keep_voters

# Suggestions a year per deputy in office: about 8,000 at the NPC's session, 600 to 900 at
# a province, a few hundred at a city, 100 to 300 at a county, a few dozen at a township.
PER_DEPUTY = {
    "NATIONAL": 2.6,
    "PROVINCIAL": 1.2,
    "PREFECTURAL": 0.9,
    "COUNTY": 0.7,
    "TOWNSHIP": 0.35,
}
# When the session may open (earliest, latest) and how many days it lasts.
SESSIONS = {
    "NATIONAL": ((date(2025, 3, 5), date(2025, 3, 5)), (7, 7)),
    "PROVINCIAL": ((date(2025, 1, 10), date(2025, 1, 25)), (5, 7)),
    "PREFECTURAL": ((date(2025, 1, 5), date(2025, 2, 20)), (3, 5)),
    "COUNTY": ((date(2025, 1, 5), date(2025, 3, 10)), (2, 4)),
    "TOWNSHIP": ((date(2025, 1, 5), date(2025, 3, 20)), (1, 2)),
}
DURING_SESSION = 0.85
COSIGNED = 0.6
COSIGNERS = {"NATIONAL": (1, 15)}
DEFAULT_COSIGNERS = (1, 6)
COMPLEX_SHARE = 0.1
CO_HANDLED = 0.3
UNANSWERED, LATE = 0.03, 0.08
RATED = 0.9
OUTCOMES = Weighted([("SOLVED", 55), ("IN_PROGRESS", 33), ("EXPLAINED", 12)])
SATISFACTION = Weighted([("SATISFIED", 86), ("BASICALLY_SATISFIED", 12), ("DISSATISFIED", 2)])
# Share picked for key supervision: 29 of about 800 at a province; a handful at the NPC.
KEY_SHARE = {"NATIONAL": 0.003, "PROVINCIAL": 0.036, "PREFECTURAL": 0.045, "COUNTY": 0.04}
LEADER_LED = 0.7


# (unit, role, assigned on, reply due, replied on, outcome)
Handler = tuple[str, str, date, date, date | None, str | None]


@dataclass(slots=True, eq=False)
class _Draft:
    """A suggestion being generated; written once its steps are known."""

    id: int
    term_id: int
    day: date
    during: bool
    lead: int
    heading: Heading
    category_id: int
    title: str
    cosigners: list[int]
    handlers: list[Handler] = field(default_factory=list)
    rating: tuple[str, date] | None = None


def duty_work(batch: DutyBatch, seed: int, bodies: list[Body]) -> None:
    """Suggestions, activities and voter contacts of these bodies (one province, or the
    nation), generated in order so that ids and pseudonyms come out the same for a seed."""
    voters_seen: set[int] = set()
    for body in bodies:
        leaves = categorise(batch, body)
        suggest(batch, rng_for(seed, "suggestions", body.region_code), body, leaves)
        hold_activities(batch, rng_for(seed, "activities", body.region_code), body)
        keep_voters(batch, rng_for(seed, "voters", body.region_code), body, voters_seen)


def categorise(batch: DutyBatch, body: Body) -> list[tuple[int, Heading]]:
    """The congress's categories (13 and 30 subcategories; 13 alone at a township), and the
    leaves suggestions are filed under."""
    scheme = TOP_CATEGORIES if body.level == "TOWNSHIP" else CATEGORIES
    leaves: list[tuple[int, Heading]] = []
    parent: int | None = None
    for heading in scheme:
        category = batch.next("suggestion_categories")
        batch.add(
            "suggestion_categories",
            (category, body.id, None if heading.top else parent, heading.code, heading.name),
        )
        if heading.top:
            parent = category
        if heading.phrases:
            leaves.append((category, heading))
    return leaves


def _active(rng: random.Random, seats: list[Seat], day: date, tries: int = 20) -> Seat | None:
    for _ in range(tries):
        seat = pick(rng, seats)
        if seat.active_on(day):
            return seat
    return None


def suggest(
    batch: DutyBatch, rng: random.Random, body: Body, leaves: list[tuple[int, Heading]]
) -> None:
    if not body.own or not body.terms:
        return
    (earliest, latest), (low, high) = SESSIONS[body.level]
    opens = day_between(rng, earliest, latest)
    closes = opens + timedelta(days=between(rng, low, high) - 1)
    in_office = {s.deputy_id for s in body.own if s.active_on(opens)}
    wanted = int(len(in_office) * PER_DEPUTY[body.level] + rng.random())
    # Co-signers come from the same delegation (province) at the NPC, anyone elsewhere.
    by_area: dict[str, list[Seat]] = {}
    for seat in body.own:
        by_area.setdefault(seat.locality[1] if body.level == "NATIONAL" else "", []).append(seat)
    drafts: list[_Draft] = []
    for _ in range(wanted):
        during = rng.random() < DURING_SESSION
        day = (
            day_between(rng, opens, closes)
            if during
            else day_between(rng, closes + timedelta(days=7), AS_OF - timedelta(days=10))
        )
        term = body.term_on(day)
        lead = _active(rng, body.own, day)
        if term is None or lead is None:
            continue
        category, heading = pick(rng, leaves)
        area = by_area[lead.locality[1] if body.level == "NATIONAL" else ""]
        drafts.append(
            _Draft(
                0,
                term,
                day,
                during,
                lead.deputy_id,
                heading,
                category,
                suggestion_title(rng, body, heading.phrases),
                _cosigners(rng, body, area, lead, day),
            )
        )
    # Numbered in the order they came in, per term.
    drafts.sort(key=lambda d: (d.term_id, d.day))
    numbers: Counter[int] = Counter()
    meeting = closes + timedelta(days=between(rng, 20, 40))  # the assignment meeting (交办会)
    for draft in drafts:
        draft.id = batch.next("suggestions")
        numbers[draft.term_id] += 1
        assigned = meeting if draft.during else draft.day + timedelta(days=between(rng, 7, 30))
        if assigned <= AS_OF:
            _handle(rng, body, draft, assigned)
        satisfaction, rated_on = draft.rating or (None, None)
        batch.add(
            "suggestions",
            (
                draft.id,
                body.id,
                draft.term_id,
                f"{numbers[draft.term_id]:04d}",
                draft.title,
                draft.category_id,
                draft.day,
                draft.during,
                draft.lead,
                satisfaction,
                rated_on,
            ),
        )
        for deputy in draft.cosigners:
            batch.add("suggestion_cosigners", (draft.id, deputy))
        for handler in draft.handlers:
            batch.add("suggestion_handlers", (draft.id, *handler))
    _supervise(batch, rng, body, drafts)


def _cosigners(
    rng: random.Random, body: Body, area: list[Seat], lead: Seat, day: date
) -> list[int]:
    if rng.random() >= COSIGNED:
        return []
    wanted = between(rng, *COSIGNERS.get(body.level, DEFAULT_COSIGNERS))
    chosen: dict[int, None] = {}
    for _ in range(wanted * 3):
        if len(chosen) >= wanted:
            break
        seat = pick(rng, area)
        if seat.deputy_id != lead.deputy_id and seat.active_on(day):
            chosen[seat.deputy_id] = None
    return list(chosen)


def _handle(rng: random.Random, body: Body, draft: _Draft, assigned: date) -> None:
    """Handling units, their replies, and the lead deputy's rating once all have replied."""
    due = reply_due(assigned, rng.random() < COMPLEX_SHARE)
    heading = draft.heading
    units = [unit_name(body, heading.lead)]
    if rng.random() < CO_HANDLED and heading.co:
        if body.level == "TOWNSHIP":
            units.append(county_unit(body, pick(rng, heading.co)))
        else:
            co = rng.sample(heading.co, between(rng, 1, len(heading.co)))
            units += [u for u in (unit_name(body, k) for k in co) if u not in units]
    replies: list[date] = []
    for i, unit in enumerate(units):
        draw = rng.random()
        replied: date | None = None
        if draw >= UNANSWERED:
            span = (due - assigned).days
            late = draw < UNANSWERED + LATE
            replied = (
                due + timedelta(days=between(rng, 1, 45))
                if late
                else (assigned + timedelta(days=between(rng, 15, span)))
            )
        if replied is not None and replied > AS_OF:
            replied = None
        outcome = OUTCOMES(rng) if replied is not None else None
        role = "LEAD" if i == 0 else "CO"
        draft.handlers.append((unit, role, assigned, due, replied, outcome))
        if replied is not None:
            replies.append(replied)
    if len(replies) == len(units) and rng.random() < RATED:
        rated = max(replies) + timedelta(days=between(rng, 3, 40))
        if rated <= AS_OF:
            draft.rating = (SATISFACTION(rng), rated)


def _supervise(batch: DutyBatch, rng: random.Random, body: Body, drafts: list[_Draft]) -> None:
    """The chair's council picks a few assigned suggestions for key supervision by special
    committees, some led by a leader of the standing committee."""
    committees = body.specials or ([body.standing_id] if body.standing_id else [])
    assigned = [d for d in drafts if d.handlers]
    if body.level not in KEY_SHARE or not committees or not assigned:
        return
    wanted = min(len(assigned), max(1, round(len(drafts) * KEY_SHARE[body.level])))
    for draft in sorted(rng.sample(assigned, wanted), key=lambda d: d.id):
        since = draft.handlers[0][2] + timedelta(days=between(rng, 0, 14))
        if since > AS_OF or (draft.rating is not None and since >= draft.rating[1]):
            continue
        leaders = [
            d for d, start, end in body.leaders if start <= since and (end is None or since <= end)
        ]
        leader = pick(rng, leaders) if leaders and rng.random() < LEADER_LED else None
        batch.add("key_supervisions", (draft.id, pick(rng, committees), leader, since))
