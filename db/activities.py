"""Activities between sessions (闭会期间活动) and the deputies who took part."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from db.columns import enum_field
from db.enums import Level


class ActivityKind(enum.Enum):
    INSPECTION = "INSPECTION"
    SURVEY = "SURVEY"
    LAW_ENFORCEMENT_CHECK = "LAW_ENFORCEMENT_CHECK"
    LEGISLATIVE_CONSULTATION = "LEGISLATIVE_CONSULTATION"
    BUDGET_REVIEW = "BUDGET_REVIEW"
    TRAINING = "TRAINING"
    GROUP_ACTIVITY = "GROUP_ACTIVITY"
    DUTY_REPORT = "DUTY_REPORT"
    OTHER = "OTHER"


STORED_ENUMS: tuple[type[enum.Enum], ...] = (ActivityKind,)


class Activity(SQLModel, table=True):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="ck_activities_dates"),
        Index("ix_activities_region_start", "region_code", "start_date"),
        Index("ix_activities_start_id", "start_date", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: ActivityKind = enum_field(ActivityKind)
    title: str
    start_date: date
    end_date: date
    organizer_congress_id: int = Field(foreign_key="congresses.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="deputy_groups.id", index=True)
    # Where it took place: the organiser's region or a region below it.
    region_code: str = Field(foreign_key="regions.code")


class ActivityParticipant(SQLModel, table=True):
    """One deputy taking part in one activity (one 人次)."""

    __tablename__ = "activity_participants"

    activity_id: int = Field(foreign_key="activities.id", primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id", primary_key=True, index=True)
    # The mandate that made the deputy eligible, and its level (kept for person-time counts).
    mandate_id: int = Field(foreign_key="mandates.id", index=True)
    level: Level = enum_field(Level)
