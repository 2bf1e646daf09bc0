"""Committee meetings and attendance (列席)."""

from __future__ import annotations

from sqlalchemy import select

from db.models import attendances, meetings
from resolvers.counts import LevelCountsLoader
from resolvers.loaders import PageLoader, RowByKeyLoader
from resolvers.pagination import Ordering


class MeetingByIdLoader(RowByKeyLoader, key=meetings.c.id): ...


class MeetingsByCommitteeLoader(
    PageLoader,
    partition=meetings.c.committee_id,
    ordering=Ordering("meeting", (meetings.c.number, meetings.c.id)),
): ...


class AttendanceByIdLoader(RowByKeyLoader, key=attendances.c.id): ...


class AttendancesByMeetingLoader(
    PageLoader,
    partition=attendances.c.meeting_id,
    ordering=Ordering("attendance", (attendances.c.id,)),
): ...


_meeting = meetings.alias()


class AttendancesByDeputyLoader(PageLoader):
    """A deputy's attendances, the latest meetings first."""

    query = select(attendances).join(_meeting, _meeting.c.id == attendances.c.meeting_id)
    partition = attendances.c.deputy_id
    ordering = Ordering(
        "deputy-attendance", (_meeting.c.start_date, attendances.c.id), descending=True
    )


class AttendanceByLevelLoader(
    LevelCountsLoader, key=attendances.c.meeting_id, level=attendances.c.level
):
    """Person-times by the level of the mandate attended under."""
