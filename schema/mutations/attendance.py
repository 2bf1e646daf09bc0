"""createMeeting, recordAttendance."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from db.enums import Level
from resolvers.mutations import attendance as writes
from schema.attendance import Meeting
from schema.mutations.base import UserError, perform


@strawberry.input
class CreateMeetingInput:
    committee_id: strawberry.ID
    number: int
    title: str
    start_date: date
    end_date: date
    topics: list[str] | None = None


@strawberry.type
class MeetingPayload:
    meeting: Meeting | None
    user_errors: list[UserError]


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
    @strawberry.mutation
    async def create_meeting(self, info: Info, input: CreateMeetingInput) -> MeetingPayload:
        spec = writes.MeetingSpec(
            committee_id=input.committee_id,
            number=input.number,
            title=input.title,
            start_date=input.start_date,
            end_date=input.end_date,
            topics=tuple(input.topics or ()),
        )
        key, errors = await perform(
            info,
            lambda conn, actor: writes.create_meeting(conn, actor, spec),
            ("Committee", input.committee_id),
        )
        return MeetingPayload(
            meeting=await Meeting.load(info, key) if key else None, user_errors=errors
        )

    @strawberry.mutation
    async def record_attendance(self, info: Info, input: RecordAttendanceInput) -> MeetingPayload:
        attendees = [
            writes.AttendeeSpec(a.deputy_id, a.level, bool(a.spoke)) for a in input.attendees
        ]
        key, errors = await perform(
            info,
            lambda conn, actor: writes.record_attendance(conn, actor, input.meeting_id, attendees),
            ("Meeting", input.meeting_id),
        )
        return MeetingPayload(
            meeting=await Meeting.load(info, key) if key else None, user_errors=errors
        )
