"""GraphQL types of committee meetings and attendance (列席)."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import Level
from resolvers import attendance as resolve
from resolvers.committees import CommitteeByIdLoader
from resolvers.deputies import DeputyByIdLoader
from resolvers.relations import LevelCounts, PageOf, ToOne
from schema.counts import LevelCount
from schema.fields import relation
from schema.node import Node
from schema.pagination import Connection
from schema.refs import CommitteeRef, DeputyRef


@strawberry.type(
    description="A meeting of a committee, e.g. the 12th meeting of a standing committee "
    "(第十二次会议)."
)
class Meeting(Node):
    key_loader = resolve.MeetingByIdLoader

    number: int
    title: str
    start_date: date
    end_date: date
    topics: list[str]
    committee: CommitteeRef = relation(ToOne(CommitteeByIdLoader, "committee_id"))
    attendances: Connection[Attendance] = relation(
        PageOf(resolve.AttendancesByMeetingLoader, "id"),
        description="Deputies who attended without being members (列席).",
    )
    attendance_by_level: list[LevelCount] = relation(
        LevelCounts(resolve.AttendanceByLevelLoader, "id"),
        description="Person-times (人次) of attending deputies by the level of the mandate they "
        "attended under.",
    )


@strawberry.type(description="One deputy attending one meeting as a non-voting attendee (列席).")
class Attendance(Node):
    key_loader = resolve.AttendanceByIdLoader

    level: Level = strawberry.field(
        description="The level of the mandate the deputy attended under."
    )
    spoke: bool
    meeting: Meeting = relation(ToOne(resolve.MeetingByIdLoader, "meeting_id"))
    deputy: DeputyRef = relation(ToOne(DeputyByIdLoader, "deputy_id"))
