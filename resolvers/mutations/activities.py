"""Recording an activity between sessions with the eligible deputies who took part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.activities import ActivityKind
from resolvers.mutations.base import Actor
from resolvers.mutations.eligibility import eligible_mandates
from resolvers.mutations.tables import activities, participants
from resolvers.mutations.write import Write


@dataclass(frozen=True)
class ActivitySpec:
    kind: ActivityKind
    title: str
    start_date: date
    end_date: date
    organizer_congress_id: str
    region_code: str
    participant_ids: tuple[str, ...]
    group_id: str | None = None


async def record_activity(conn: AsyncConnection, actor: Actor, spec: ActivitySpec) -> int:
    w = Write(conn, actor)
    congress = await w.find("organizerCongressId", spec.organizer_congress_id, "Congress")
    region = await w.region("regionCode", spec.region_code)
    group = None
    if spec.group_id is not None:
        group = await w.find("groupId", spec.group_id, "DeputyGroup")
    found = await w.find_many("participantIds", spec.participant_ids, "Deputy")
    w.refuse(not spec.title.strip(), "title", "An activity needs a title.")
    w.refuse(
        spec.end_date < spec.start_date, "endDate", "An activity ends on or after its first day."
    )
    w.refuse(
        spec.start_date > date.today(), "startDate", "An activity is recorded once it has begun."
    )
    w.refuse(
        spec.kind is ActivityKind.GROUP_ACTIVITY and spec.group_id is None,
        "groupId",
        "A group activity names its group.",
    )
    w.refuse(not spec.participant_ids, "participantIds", "List at least one participant.")
    seen = w.listed_twice(found, lambda i: ("participantIds", i), Code.DUPLICATE_PARTICIPANT)
    rows: list[dict[str, object]] = []
    if congress is not None:
        if region is not None:
            w.inside(region, congress)
        if group is not None:
            w.refuse(
                group.congress_id != congress.id,
                "groupId",
                f"{group.name} is organised by another congress.",
                Code.WRONG_CONGRESS,
            )
        # The rule of DESIGN.md: a mandate in force in the congress, or one at a higher level
        # with a locality inside its region, on the first day.
        eligible = await eligible_mandates(conn, congress.id, list(seen), spec.start_date)
        for i, deputy in enumerate(found):
            if deputy is None:
                continue
            options = eligible.get(deputy.id)
            if not options:
                w.add(
                    ("participantIds", i),
                    f"{deputy.name} is not eligible to take part on {spec.start_date}: no mandate "
                    f"in force in {congress.name}, nor one at a higher level with a locality in "
                    "its region.",
                    Code.NOT_ELIGIBLE,
                )
                continue
            mandate = options[0]  # the highest eligible level
            if deputy.id not in {r["deputy_id"] for r in rows}:
                rows.append(
                    {
                        "deputy_id": deputy.id,
                        "mandate_id": mandate.mandate_id,
                        "level": mandate.level,
                    }
                )
    w.check()
    assert congress is not None and region is not None
    row = await w.insert(
        activities,
        spec,
        title=spec.title.strip(),
        organizer_congress_id=congress.id,
        group_id=group.id if group is not None else None,
        region_code=region.code,
    )
    await conn.execute(insert(participants), [{"activity_id": row.id, **r} for r in rows])
    await w.audit(
        "recordActivity", "Activity", row.id, after={**row._mapping, "participants": rows}
    )
    return int(row.id)
