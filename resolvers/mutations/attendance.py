"""Committee meetings and attendance (列席) by eligible deputies who are not members."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.enums import Level
from resolvers.mutations.base import Actor
from resolvers.mutations.committees import current_members, require_standing
from resolvers.mutations.eligibility import eligible_mandates
from resolvers.mutations.tables import attendances, committees, meetings
from resolvers.mutations.write import Write


@dataclass(frozen=True)
class MeetingSpec:
    committee_id: str
    number: int
    title: str
    start_date: date
    end_date: date
    topics: tuple[str, ...] = ()


async def create_meeting(conn: AsyncConnection, actor: Actor, spec: MeetingSpec) -> int:
    w = Write(conn, actor)
    committee = await w.find("committeeId", spec.committee_id, "Committee")
    w.refuse(spec.number <= 0, "number", "Meetings are numbered from 1.")
    w.refuse(not spec.title.strip(), "title", "A meeting needs a title.")
    w.refuse(
        spec.end_date < spec.start_date, "endDate", "A meeting ends on or after the day it starts."
    )
    w.refuse(any(not t.strip() for t in spec.topics), "topics", "A topic cannot be blank.")
    if committee is not None:
        await require_standing(w, committee)
        w.refuse(
            await w.exists(meetings, committee_id=committee.id, number=spec.number),
            "number",
            f"{committee.name} already has a meeting number {spec.number}.",
            Code.DUPLICATE_MEETING,
        )
    w.check()
    assert committee is not None
    values = {
        "committee_id": committee.id,
        "title": spec.title.strip(),
        "topics": [t.strip() for t in spec.topics],
    }
    return await w.create("createMeeting", "Meeting", meetings, spec, **values)


@dataclass(frozen=True)
class AttendeeSpec:
    deputy_id: str
    level: Level | None = None
    spoke: bool = False


async def record_attendance(
    conn: AsyncConnection, actor: Actor, meeting_id: str, attendees: Sequence[AttendeeSpec]
) -> int:
    w = Write(conn, actor)
    meeting = await w.find("meetingId", meeting_id, "Meeting", lock=True)
    found = await w.find_many("attendees", [a.deputy_id for a in attendees], "Deputy")
    rows = []
    if meeting is not None:
        committee = await w.one(committees, id=meeting.committee_id)
        day = meeting.start_date
        members = set(await conn.scalars(current_members(committee.id, day)))
        ids = [d.id for d in found if d is not None]
        recorded = set(
            await conn.scalars(
                select(attendances.c.deputy_id).where(
                    attendances.c.meeting_id == meeting.id, attendances.c.deputy_id.in_(ids)
                )
            )
        )
        eligible = await eligible_mandates(conn, committee.congress_id, ids, day)
        seen: set[int] = set()
        for i, (spec, deputy) in enumerate(zip(attendees, found, strict=True)):
            if deputy is None:
                continue
            path = ("attendees", i, "deputyId")
            w.refuse(
                deputy.id in recorded or deputy.id in seen,
                path,
                f"{deputy.name} is already recorded at this meeting.",
                Code.DUPLICATE_ATTENDANCE,
            )
            seen.add(deputy.id)
            if deputy.id in members:
                w.add(
                    path,
                    f"{deputy.name} is a member of {committee.name}, not a non-voting attendee.",
                    Code.COMMITTEE_MEMBER,
                )
                continue
            options = eligible.get(deputy.id, [])
            if spec.level is not None:
                options = [m for m in options if m.level is spec.level]
            if not options:
                at = f" at {spec.level.name} level" if spec.level else ""
                w.add(
                    ("attendees", i, "level") if spec.level and eligible.get(deputy.id) else path,
                    f"{deputy.name} is not eligible{at} to attend on {day}: no mandate in force in "
                    "this congress, nor one at a higher level with a locality in its region.",
                    Code.NOT_ELIGIBLE,
                )
                continue
            mandate = options[0]  # the highest eligible level
            rows.append(
                {
                    "meeting_id": meeting.id,
                    "deputy_id": deputy.id,
                    "mandate_id": mandate.mandate_id,
                    "level": mandate.level,
                    "spoke": spec.spoke,
                }
            )
    w.refuse(not attendees, "attendees", "List at least one attendee.")
    w.check()
    assert meeting is not None
    await conn.execute(insert(attendances), rows)
    await w.audit("recordAttendance", "Meeting", meeting.id, after={"attendances": rows})
    return int(meeting.id)
