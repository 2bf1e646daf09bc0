"""Contact assignments: a committee member keeps in touch with an eligible deputy."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.enums import ContactChannel
from resolvers.mutations.base import Actor
from resolvers.mutations.committees import current_members, require_standing
from resolvers.mutations.eligibility import eligible_mandates
from resolvers.mutations.tables import assignments, contact_logs
from resolvers.mutations.write import Write


@dataclass(frozen=True)
class AssignmentSpec:
    contactor_id: str
    committee_id: str
    deputy_id: str
    start_date: date


async def assign_contact(conn: AsyncConnection, actor: Actor, spec: AssignmentSpec) -> int:
    w = Write(conn, actor)
    contactor = await w.find("contactorId", spec.contactor_id, "Deputy")
    committee = await w.find("committeeId", spec.committee_id, "Committee")
    deputy = await w.find("deputyId", spec.deputy_id, "Deputy")
    if contactor is not None and deputy is not None:
        w.refuse(contactor.id == deputy.id, "deputyId", "A member does not contact themselves.")
    if committee is not None:
        await require_standing(w, committee)
        if contactor is not None:
            members = set(await conn.scalars(current_members(committee.id, spec.start_date)))
            w.refuse(
                contactor.id not in members,
                "contactorId",
                f"{contactor.name} is not a member of {committee.name} on {spec.start_date}.",
                Code.NOT_A_MEMBER,
            )
        if deputy is not None:
            eligible = await eligible_mandates(
                conn, committee.congress_id, [deputy.id], spec.start_date
            )
            w.refuse(
                deputy.id not in eligible,
                "deputyId",
                f"{deputy.name} is not eligible for contact by {committee.name} on "
                f"{spec.start_date}: no mandate in force in its congress, nor one at a higher "
                "level with a locality in its region.",
                Code.NOT_ELIGIBLE,
            )
            if contactor is not None:
                current = await w.exists(
                    assignments,
                    committee_id=committee.id,
                    contactor_id=contactor.id,
                    deputy_id=deputy.id,
                    end_date=None,
                )
                w.refuse(
                    current,
                    "deputyId",
                    f"{contactor.name} already keeps in touch with {deputy.name}.",
                    Code.DUPLICATE_ASSIGNMENT,
                )
    w.check()
    assert contactor is not None and committee is not None and deputy is not None
    ids = {"contactor_id": contactor.id, "committee_id": committee.id, "deputy_id": deputy.id}
    return await w.create("assignContact", "ContactAssignment", assignments, spec, **ids)


async def log_contact(
    conn: AsyncConnection,
    actor: Actor,
    assignment_id: str,
    date: datetime.date,
    channel: ContactChannel,
    summary: str,
) -> int:
    day = date  # the parameter is named like the input field; `date` the type is shadowed
    w = Write(conn, actor)
    assignment = await w.find("assignmentId", assignment_id, "ContactAssignment")
    w.refuse(not summary.strip(), "summary", "Say in a few words what the contact was about.")
    w.refuse(day > datetime.date.today(), "date", "A contact is logged once it has taken place.")
    if assignment is not None:
        w.refuse(
            day < assignment.start_date or (assignment.end_date and day > assignment.end_date),
            "date",
            f"The date {day} lies outside the assignment ({assignment.start_date} to "
            f"{assignment.end_date or 'now'}).",
        )
    w.check()
    assert assignment is not None
    await w.create(
        "logContact",
        "ContactLog",
        contact_logs,
        assignment_id=assignment.id,
        date=day,
        channel=channel,
        summary=summary.strip(),
    )
    return int(assignment.id)
