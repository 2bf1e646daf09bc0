"""Committee meetings and the deputies who attend them without being members (列席)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ARRAY, CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from db.columns import enum_field
from db.enums import Level


class Meeting(SQLModel, table=True):
    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("committee_id", "number", name="uq_meetings_committee_number"),
        CheckConstraint("end_date >= start_date", name="ck_meetings_dates"),
        CheckConstraint("number > 0", name="ck_meetings_number_positive"),
        Index("ix_meetings_start_date", "start_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="committees.id")
    number: int
    title: str
    start_date: date
    end_date: date
    topics: list[str] = Field(
        default_factory=list,
        sa_column=Column(ARRAY(String), nullable=False, server_default="{}"),
    )


class Attendance(SQLModel, table=True):
    __tablename__ = "attendances"
    __table_args__ = (
        UniqueConstraint("meeting_id", "deputy_id", name="uq_attendances_meeting_deputy"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings.id")
    deputy_id: int = Field(foreign_key="deputies.id", index=True)
    # The mandate the deputy attended under, and its level (kept for person-time counts).
    mandate_id: int = Field(foreign_key="mandates.id", index=True)
    level: Level = enum_field(Level)
    spoke: bool = False
