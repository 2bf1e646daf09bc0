"""Recording an activity between sessions with the eligible deputies who took part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.activities import Activity as ActivityRow
from db.activities import ActivityKind
from db.activities import ActivityParticipant as ParticipantRow
from db.columns import table_of
from db.committees import Congress as CongressRow
from db.deputies import Deputy as DeputyRow
from db.groups import DeputyGroup as GroupRow
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit
from resolvers.mutations.eligibility import eligible_mandates

activities = table_of(ActivityRow)
participants = table_of(ParticipantRow)
congresses = table_of(CongressRow)
deputies = table_of(DeputyRow)
groups = table_of(GroupRow)


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
    problems = Problems()
    congress = await lookups.by_id(
        conn, problems, ("organizerCongressId",), spec.organizer_congress_id, "Congress", congresses
    )
    region = await lookups.region(conn, problems, ("regionCode",), spec.region_code)
    group = None
    if spec.group_id is not None:
        group = await lookups.by_id(
            conn, problems, ("groupId",), spec.group_id, "DeputyGroup", groups
        )
    found = await lookups.many_by_id(
        conn, problems, ("participantIds",), spec.participant_ids, "Deputy", deputies
    )
    if not spec.title.strip():
        problems.add(("title",), "An activity needs a title.", Code.INVALID_VALUE)
    if spec.end_date < spec.start_date:
        problems.add(
            ("endDate",), "An activity ends on or after its first day.", Code.INVALID_VALUE
        )
    if spec.start_date > date.today():
        problems.add(
            ("startDate",), "An activity is recorded once it has begun.", Code.INVALID_VALUE
        )
    if spec.kind is ActivityKind.GROUP_ACTIVITY and spec.group_id is None:
        problems.add(("groupId",), "A group activity names its group.", Code.INVALID_VALUE)
    if not spec.participant_ids:
        problems.add(("participantIds",), "List at least one participant.", Code.INVALID_VALUE)
    seen: set[int] = set()
    for i, deputy in enumerate(found):
        if deputy is not None:
            if deputy.id in seen:
                problems.add(
                    ("participantIds", i),
                    f"{deputy.name} is listed twice.",
                    Code.DUPLICATE_PARTICIPANT,
                )
            seen.add(deputy.id)
    rows: list[dict[str, object]] = []
    if congress is not None:
        if region is not None and congress.region_code not in region.lineage:
            problems.add(
                ("regionCode",),
                f"{region.name} lies outside the region of {congress.name}.",
                Code.LOCALITY_OUTSIDE_REGION,
            )
        if group is not None and group.congress_id != congress.id:
            problems.add(
                ("groupId",), f"{group.name} is organised by another congress.", Code.WRONG_CONGRESS
            )
        # The rule of DESIGN.md: a mandate in force in the congress, or one at a higher level
        # with a locality inside its region, on the first day.
        eligible = await eligible_mandates(conn, congress.id, list(seen), spec.start_date)
        for i, deputy in enumerate(found):
            if deputy is None:
                continue
            options = eligible.get(deputy.id)
            if not options:
                problems.add(
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
    problems.check()
    assert congress is not None and region is not None
    row = (
        await conn.execute(
            insert(activities)
            .values(
                kind=spec.kind,
                title=spec.title.strip(),
                start_date=spec.start_date,
                end_date=spec.end_date,
                organizer_congress_id=congress.id,
                group_id=group.id if group is not None else None,
                region_code=region.code,
            )
            .returning(*activities.c)
        )
    ).one()
    await conn.execute(insert(participants), [{"activity_id": row.id, **r} for r in rows])
    after = {**row._mapping, "participants": rows}
    await audit(conn, actor, "recordActivity", "Activity", row.id, after=after)
    return int(row.id)
