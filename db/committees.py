"""Congresses, their terms, committees and committee memberships."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from db.columns import enum_field
from db.enums import CommitteeKind, CommitteeRole, Level


class Congress(SQLModel, table=True):
    __tablename__ = "congresses"
    __table_args__ = (
        # Target of the (congress_id, level) foreign key that keeps mandates' level honest.
        UniqueConstraint("id", "level", name="uq_congresses_id_level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_code: str = Field(foreign_key="regions.code", unique=True)
    level: Level = enum_field(Level)
    name: str


class Term(SQLModel, table=True):
    __tablename__ = "terms"
    __table_args__ = (
        UniqueConstraint("congress_id", "number", name="uq_terms_congress_number"),
        UniqueConstraint("id", "congress_id", name="uq_terms_id_congress"),
        CheckConstraint("number > 0", name="ck_terms_number_positive"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_terms_dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = Field(foreign_key="congresses.id")
    number: int
    start_date: date
    end_date: date | None = None


class Committee(SQLModel, table=True):
    __tablename__ = "committees"
    __table_args__ = (
        Index(
            "uq_committees_one_standing",
            "congress_id",
            unique=True,
            postgresql_where=text("kind = 'STANDING_COMMITTEE'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = Field(foreign_key="congresses.id", index=True)
    name: str
    kind: CommitteeKind = enum_field(CommitteeKind)


class CommitteeMembership(SQLModel, table=True):
    __tablename__ = "committee_memberships"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_cm_dates"),
        Index(
            "uq_cm_current",
            "committee_id",
            "deputy_id",
            unique=True,
            postgresql_where=text("end_date IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="committees.id", index=True)
    deputy_id: int = Field(foreign_key="deputies.id", index=True)
    role: CommitteeRole = enum_field(CommitteeRole)
    start_date: date
    end_date: date | None = None
