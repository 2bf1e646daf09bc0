"""createMeeting, recordAttendance."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import Level
from resolvers.mutations import attendance as writes
from schema.attendance import Meeting
from schema.mutations.base import mutation, payload, with_spec


@strawberry.input
class CreateMeetingInput:
    committee_id: strawberry.ID
    number: int
    title: str
    start_date: date
    end_date: date
    topics: list[str] | None = None


MeetingPayload = payload("MeetingPayload", "meeting", Meeting)


@strawberry.input
class AttendeeInput:
    deputy_id: strawberry.ID
    level: Level | None = strawberry.field(
        default=None,
        description="Defaults to the highest level at which the deputy holds an active mandate "
        "on the meeting's start date.",
    )
    spoke: bool | None = None


@strawberry.input
class RecordAttendanceInput:
    meeting_id: strawberry.ID
    attendees: list[AttendeeInput]


@strawberry.type
class AttendanceMutation:
    create_meeting = mutation(
        CreateMeetingInput,
        MeetingPayload,
        ("Committee", "committee_id"),
        with_spec(writes.create_meeting, writes.MeetingSpec),
    )
    record_attendance = mutation(
        RecordAttendanceInput,
        MeetingPayload,
        ("Meeting", "meeting_id"),
        lambda conn, actor, input: writes.record_attendance(
            conn,
            actor,
            input.meeting_id,
            [writes.AttendeeSpec(a.deputy_id, a.level, bool(a.spoke)) for a in input.attendees],
        ),
    )
