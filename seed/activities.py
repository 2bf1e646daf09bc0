"""A year of activities between sessions for one congress: inspections, surveys, checks,
consultations, budget review, trainings, group activities and duty reports to voters.

Participants are eligible deputies on the first day (DESIGN.md): a mandate in force in the
congress, or one at a higher level held by someone living in its region; each takes part
under the highest such mandate, as recordActivity does.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from seed.model import between, day_between, pick
from seed.params import AS_OF, RANK
from seed.roster import Body, DutyBatch, Seat
from seed.suggestion_texts import activity_title

# Activities of each kind a congress holds in a year, by level.
YEARLY = {
    "NATIONAL": {
        "INSPECTION": 12,
        "SURVEY": 10,
        "LAW_ENFORCEMENT_CHECK": 6,
        "LEGISLATIVE_CONSULTATION": 8,
        "BUDGET_REVIEW": 2,
        "TRAINING": 4,
    },
    "PROVINCIAL": {
        "INSPECTION": 8,
        "SURVEY": 10,
        "LAW_ENFORCEMENT_CHECK": 5,
        "LEGISLATIVE_CONSULTATION": 6,
        "BUDGET_REVIEW": 2,
        "TRAINING": 3,
    },
    "PREFECTURAL": {
        "INSPECTION": 6,
        "SURVEY": 6,
        "LAW_ENFORCEMENT_CHECK": 3,
        "LEGISLATIVE_CONSULTATION": 3,
        "BUDGET_REVIEW": 1,
        "TRAINING": 3,
    },
    "COUNTY": {
        "INSPECTION": 3,
        "SURVEY": 3,
        "LAW_ENFORCEMENT_CHECK": 1,
        "BUDGET_REVIEW": 1,
        "TRAINING": 2,
        "DUTY_REPORT": 2,
    },
    "TOWNSHIP": {"INSPECTION": 2, "SURVEY": 1, "DUTY_REPORT": 1},
}
# Participants (fewest, most) and days (fewest, most) by kind.
SIZE = {
    "INSPECTION": (8, 25),
    "SURVEY": (5, 15),
    "LAW_ENFORCEMENT_CHECK": (6, 20),
    "LEGISLATIVE_CONSULTATION": (10, 30),
    "BUDGET_REVIEW": (8, 20),
    "DUTY_REPORT": (2, 6),
}
DAYS = {
    "INSPECTION": (1, 3),
    "SURVEY": (1, 5),
    "LAW_ENFORCEMENT_CHECK": (2, 10),
    "TRAINING": (2, 5),
}
# A training gathers this share of the deputies (a city: 3,900 person-times in 8 classes).
TRAINED = (0.3, 0.6)
MOST_TRAINED = 500
GROUP_ACTIVITIES = (1, 2)
GROUP_TURNOUT = (0.5, 0.9)
SEASON = (date(2025, 2, 20), date(2025, 12, 15))


def _best(seats: list[Seat], day: date) -> dict[int, Seat]:
    """Per eligible deputy, the highest seat in force on the day (lowest id on a tie)."""
    best: dict[int, Seat] = {}
    for seat in seats:
        if seat.active_on(day):
            held = best.get(seat.deputy_id)
            if held is None or (RANK[seat.level], seat.id) < (RANK[held.level], held.id):
                best[seat.deputy_id] = seat
    return best


def _write(
    batch: DutyBatch,
    body: Body,
    kind: str,
    title: str,
    days: tuple[date, date],
    region: str,
    people: list[Seat],
    group: int | None = None,
) -> None:
    activity = batch.next("activities")
    batch.add("activities", (activity, kind, title, *days, body.id, group, region))
    for seat in sorted(people, key=lambda s: s.deputy_id):
        batch.add("activity_participants", (activity, seat.deputy_id, seat.id, seat.level))


def _days(rng: random.Random, kind: str) -> tuple[date, date] | None:
    start = day_between(rng, *SEASON)
    end = min(start + timedelta(days=between(rng, *DAYS.get(kind, (1, 2))) - 1), AS_OF)
    return (start, end) if start <= AS_OF else None


def hold_activities(batch: DutyBatch, rng: random.Random, body: Body) -> None:
    seats = body.own + body.higher
    if not body.own:
        return
    for kind, count in YEARLY[body.level].items():
        for number in range(1, count + 1):
            days = _days(rng, kind)
            if days is None:
                continue
            eligible = _best(seats, days[0])
            if kind == "DUTY_REPORT":
                # The congress's own deputies report to their voters (under their highest
                # eligible mandate, as recordActivity counts them).
                own = {s.deputy_id for s in body.own if s.active_on(days[0])}
                eligible = {d: s for d, s in eligible.items() if d in own}
            region, place = _where(rng, body, eligible)
            if body.level == "NATIONAL":
                # NPC deputies inspect and survey where they live.
                eligible = {d: s for d, s in eligible.items() if s.locality[1] == region}
            if not eligible:
                continue
            people = list(eligible.values())
            if kind == "TRAINING":
                wanted = min(int(len(people) * rng.uniform(*TRAINED)) + 1, MOST_TRAINED)
            else:
                wanted = between(rng, *SIZE[kind])
            chosen = rng.sample(people, min(wanted, len(people)))
            title = activity_title(rng, body, kind, number, place)
            _write(batch, body, kind, title, days, region, chosen)
    for group in body.groups:
        for _ in range(between(rng, *GROUP_ACTIVITIES)):
            days = _days(rng, "GROUP_ACTIVITY")
            if days is None:
                continue
            eligible = _best(seats, days[0])
            members = [eligible[d] for d in group.members if d in eligible]
            if not members:
                continue
            turnout = max(1, int(len(members) * rng.uniform(*GROUP_TURNOUT)))
            chosen = rng.sample(members, turnout)
            title = f"{group.name}“{pick(rng, _THEMES)}”主题活动"
            _write(batch, body, "GROUP_ACTIVITY", title, days, group.region_code, chosen, group.id)


_THEMES = ("代表进社区", "助力乡村振兴", "优化营商环境", "民生实事项目督查", "代表联络站接待选民")


def _where(rng: random.Random, body: Body, eligible: dict[int, Seat]) -> tuple[str, str]:
    """(region code, its name): the congress's region or one right below it; for the NPC,
    the province where one of its deputies lives."""
    if body.level == "NATIONAL":
        if not eligible:
            return body.region_code, body.region_name
        code = pick(rng, sorted({s.locality[1] for s in eligible.values()}))
        return code, dict(body.children).get(code, "")
    if body.children and rng.random() < 0.6:
        return pick(rng, body.children)
    return body.region_code, body.region_name
