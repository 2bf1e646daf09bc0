"""createMeeting, recordAttendance."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import Level
from resolvers.mutations import attendance as writes
from schema.attendance import Meeting
from schema.mutations.declare import mutation_input, mutation_type, payload

MeetingPayload = payload("MeetingPayload", "meeting", Meeting)


@mutation_input(MeetingPayload, ("Committee", "committee_id"), writes.create_meeting)
class CreateMeetingInput:
    committee_id: strawberry.ID
    number: int
    title: str
    start_date: date
    end_date: date
    topics: list[str] | None = None


@strawberry.input
class AttendeeInput:
    deputy_id: strawberry.ID
    level: Level | None = strawberry.field(
        default=None,
        description="Defaults to the highest level at which the deputy holds an active mandate "
        "on the meeting's start date.",
    )
    spoke: bool | None = None


@mutation_input(MeetingPayload, ("Meeting", "meeting_id"), writes.record_attendance)
class RecordAttendanceInput:
    meeting_id: strawberry.ID
    attendees: list[AttendeeInput]


AttendanceMutation = mutation_type("AttendanceMutation", CreateMeetingInput, RecordAttendanceInput)
