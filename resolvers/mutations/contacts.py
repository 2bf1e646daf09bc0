"""Contact assignments: a committee member keeps in touch with an eligible deputy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.columns import table_of
from db.committees import Committee as CommitteeRow
from db.committees import Congress as CongressRow
from db.contacts import ContactAssignment as AssignmentRow
from db.contacts import ContactLog as LogRow
from db.deputies import Deputy as DeputyRow
from db.enums import ContactChannel, Level
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit
from resolvers.mutations.committees import current_members
from resolvers.mutations.eligibility import eligible_mandates

assignments = table_of(AssignmentRow)
logs = table_of(LogRow)
committees = table_of(CommitteeRow)
congresses = table_of(CongressRow)
deputies = table_of(DeputyRow)


@dataclass(frozen=True)
class AssignmentSpec:
    contactor_id: str
    committee_id: str
    deputy_id: str
    start_date: date


async def assign_contact(conn: AsyncConnection, actor: Actor, spec: AssignmentSpec) -> int:
    problems = Problems()
    contactor = await lookups.by_id(
        conn, problems, ("contactorId",), spec.contactor_id, "Deputy", deputies
    )
    committee = await lookups.by_id(
        conn, problems, ("committeeId",), spec.committee_id, "Committee", committees
    )
    deputy = await lookups.by_id(conn, problems, ("deputyId",), spec.deputy_id, "Deputy", deputies)
    if contactor is not None and deputy is not None and contactor.id == deputy.id:
        problems.add(("deputyId",), "A member does not contact themselves.", Code.INVALID_VALUE)
    if committee is not None:
        congress = (
            await conn.execute(select(congresses).where(congresses.c.id == committee.congress_id))
        ).one()
        if congress.level is Level.TOWNSHIP:
            problems.add(
                ("committeeId",),
                f"{congress.name} has no standing committee.",
                Code.NO_STANDING_COMMITTEE,
            )
        if contactor is not None:
            members = set(await conn.scalars(current_members(committee.id, spec.start_date)))
            if contactor.id not in members:
                problems.add(
                    ("contactorId",),
                    f"{contactor.name} is not a member of {committee.name} on {spec.start_date}.",
                    Code.NOT_A_MEMBER,
                )
        if deputy is not None:
            eligible = await eligible_mandates(
                conn, committee.congress_id, [deputy.id], spec.start_date
            )
            if deputy.id not in eligible:
                problems.add(
                    ("deputyId",),
                    f"{deputy.name} is not eligible for contact by {committee.name} on "
                    f"{spec.start_date}: no mandate in force in its congress, nor one at a higher "
                    "level with a locality in its region.",
                    Code.NOT_ELIGIBLE,
                )
            if contactor is not None:
                duplicate = await conn.scalar(
                    select(assignments.c.id).where(
                        assignments.c.committee_id == committee.id,
                        assignments.c.contactor_id == contactor.id,
                        assignments.c.deputy_id == deputy.id,
                        assignments.c.end_date.is_(None),
                    )
                )
                if duplicate is not None:
                    problems.add(
                        ("deputyId",),
                        f"{contactor.name} already keeps in touch with {deputy.name}.",
                        Code.DUPLICATE_ASSIGNMENT,
                    )
    problems.check()
    assert contactor is not None and committee is not None and deputy is not None
    row = (
        await conn.execute(
            insert(assignments)
            .values(
                contactor_id=contactor.id,
                committee_id=committee.id,
                deputy_id=deputy.id,
                start_date=spec.start_date,
            )
            .returning(*assignments.c)
        )
    ).one()
    await audit(conn, actor, "assignContact", "ContactAssignment", row.id, after=row)
    return int(row.id)


async def log_contact(
    conn: AsyncConnection,
    actor: Actor,
    assignment_id: str,
    day: date,
    channel: ContactChannel,
    summary: str,
) -> int:
    problems = Problems()
    assignment = await lookups.by_id(
        conn, problems, ("assignmentId",), assignment_id, "ContactAssignment", assignments
    )
    if not summary.strip():
        problems.add(
            ("summary",), "Say in a few words what the contact was about.", Code.INVALID_VALUE
        )
    if day > date.today():
        problems.add(("date",), "A contact is logged once it has taken place.", Code.INVALID_VALUE)
    if assignment is not None and (
        day < assignment.start_date or (assignment.end_date and day > assignment.end_date)
    ):
        problems.add(
            ("date",),
            f"The date {day} lies outside the assignment ({assignment.start_date} to "
            f"{assignment.end_date or 'now'}).",
            Code.INVALID_VALUE,
        )
    problems.check()
    assert assignment is not None
    row = (
        await conn.execute(
            insert(logs)
            .values(assignment_id=assignment.id, date=day, channel=channel, summary=summary.strip())
            .returning(*logs.c)
        )
    ).one()
    await audit(conn, actor, "logContact", "ContactLog", row.id, after=row)
    return int(assignment.id)
