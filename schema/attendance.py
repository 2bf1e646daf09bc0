"""GraphQL types of committee meetings and attendance (列席)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from db.enums import Level
from resolvers import attendance as resolve
from schema.committees import Committee
from schema.counts import LevelCount, level_counts
from schema.deputies import Deputy
from schema.node import Node
from schema.pagination import Connection, page_args_for, to_connection


@strawberry.type(
    description="A meeting of a committee, e.g. the 12th meeting of a standing committee "
    "(第十二次会议)."
)
class Meeting(Node):
    number: int
    title: str
    start_date: date
    end_date: date
    topics: list[str]
    id_: strawberry.Private[int]
    committee_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Meeting:
        return cls(
            node_key=row.id,
            id_=row.id,
            number=row.number,
            title=row.title,
            start_date=row.start_date,
            end_date=row.end_date,
            topics=list(row.topics),
            committee_id=row.committee_id,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Meeting | None:
        row = await info.context.loader(resolve.MeetingByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def committee(self, info: Info) -> Committee:
        found = await Committee.load(info, self.committee_id)
        assert found is not None
        return found

    @strawberry.field(description="Deputies who attended without being members (列席).")
    async def attendances(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Attendance]:
        args = page_args_for(info, first, after)
        page = await info.context.loader(resolve.AttendancesByMeetingLoader).load(
            (self.id_, None, args)
        )
        return to_connection(page, Attendance.from_row)

    @strawberry.field(
        description="Person-times (人次) of attending deputies by the level of the mandate they "
        "attended under."
    )
    async def attendance_by_level(self, info: Info) -> list[LevelCount]:
        return level_counts(
            await info.context.loader(resolve.AttendanceByLevelLoader).load(self.id_)
        )


@strawberry.type(description="One deputy attending one meeting as a non-voting attendee (列席).")
class Attendance(Node):
    level: Level = strawberry.field(
        description="The level of the mandate the deputy attended under."
    )
    spoke: bool
    meeting_id: strawberry.Private[int]
    deputy_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Attendance:
        return cls(
            node_key=row.id,
            level=row.level,
            spoke=row.spoke,
            meeting_id=row.meeting_id,
            deputy_id=row.deputy_id,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Attendance | None:
        row = await info.context.loader(resolve.AttendanceByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def meeting(self, info: Info) -> Meeting:
        found = await Meeting.load(info, self.meeting_id)
        assert found is not None
        return found

    @strawberry.field
    async def deputy(self, info: Info) -> Deputy:
        found = await Deputy.load(info, self.deputy_id)
        assert found is not None
        return found


async def committee_meetings(
    info: Info, committee_id: int, first: int | None, after: str | None
) -> Connection[Meeting]:
    args = page_args_for(info, first, after)
    page = await info.context.loader(resolve.MeetingsByCommitteeLoader).load(
        (committee_id, None, args)
    )
    return to_connection(page, Meeting.from_row)


async def deputy_attendances(
    info: Info, deputy_id: int, first: int | None, after: str | None
) -> Connection[Attendance]:
    args = page_args_for(info, first, after)
    page = await info.context.loader(resolve.AttendancesByDeputyLoader).load(
        (deputy_id, None, args)
    )
    return to_connection(page, Attendance.from_row)
