"""Committee meetings and attendance (列席) by eligible deputies who are not members."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.attendance import Attendance as AttendanceRow
from db.attendance import Meeting as MeetingRow
from db.columns import table_of
from db.committees import Committee as CommitteeRow
from db.committees import Congress as CongressRow
from db.deputies import Deputy as DeputyRow
from db.enums import Level
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit
from resolvers.mutations.committees import current_members
from resolvers.mutations.eligibility import eligible_mandates

meetings = table_of(MeetingRow)
attendances = table_of(AttendanceRow)
committees = table_of(CommitteeRow)
congresses = table_of(CongressRow)
deputies = table_of(DeputyRow)


@dataclass(frozen=True)
class MeetingSpec:
    committee_id: str
    number: int
    title: str
    start_date: date
    end_date: date
    topics: tuple[str, ...] = ()


async def create_meeting(conn: AsyncConnection, actor: Actor, spec: MeetingSpec) -> int:
    problems = Problems()
    committee = await lookups.by_id(
        conn, problems, ("committeeId",), spec.committee_id, "Committee", committees
    )
    if spec.number <= 0:
        problems.add(("number",), "Meetings are numbered from 1.", Code.INVALID_VALUE)
    if not spec.title.strip():
        problems.add(("title",), "A meeting needs a title.", Code.INVALID_VALUE)
    if spec.end_date < spec.start_date:
        problems.add(
            ("endDate",), "A meeting ends on or after the day it starts.", Code.INVALID_VALUE
        )
    if any(not t.strip() for t in spec.topics):
        problems.add(("topics",), "A topic cannot be blank.", Code.INVALID_VALUE)
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
        taken = await conn.scalar(
            select(meetings.c.id).where(
                meetings.c.committee_id == committee.id, meetings.c.number == spec.number
            )
        )
        if taken is not None:
            problems.add(
                ("number",),
                f"{committee.name} already has a meeting number {spec.number}.",
                Code.DUPLICATE_MEETING,
            )
    problems.check()
    assert committee is not None
    row = (
        await conn.execute(
            insert(meetings)
            .values(
                committee_id=committee.id,
                number=spec.number,
                title=spec.title.strip(),
                start_date=spec.start_date,
                end_date=spec.end_date,
                topics=[t.strip() for t in spec.topics],
            )
            .returning(*meetings.c)
        )
    ).one()
    await audit(conn, actor, "createMeeting", "Meeting", row.id, after=row)
    return int(row.id)


@dataclass(frozen=True)
class AttendeeSpec:
    deputy_id: str
    level: Level | None = None
    spoke: bool = False


async def record_attendance(
    conn: AsyncConnection, actor: Actor, meeting_id: str, attendees: Sequence[AttendeeSpec]
) -> int:
    problems = Problems()
    meeting = await lookups.by_id(
        conn, problems, ("meetingId",), meeting_id, "Meeting", meetings, lock=True
    )
    found = await lookups.many_by_id(
        conn, problems, ("attendees",), [a.deputy_id for a in attendees], "Deputy", deputies
    )
    rows = []
    if meeting is not None:
        committee = (
            await conn.execute(select(committees).where(committees.c.id == meeting.committee_id))
        ).one()
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
            if deputy.id in recorded or deputy.id in seen:
                problems.add(
                    path,
                    f"{deputy.name} is already recorded at this meeting.",
                    Code.DUPLICATE_ATTENDANCE,
                )
            seen.add(deputy.id)
            if deputy.id in members:
                problems.add(
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
                problems.add(
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
    if not attendees:
        problems.add(("attendees",), "List at least one attendee.", Code.INVALID_VALUE)
    problems.check()
    assert meeting is not None
    await conn.execute(insert(attendances), rows)
    await audit(conn, actor, "recordAttendance", "Meeting", meeting.id, after={"attendances": rows})
    return int(meeting.id)
