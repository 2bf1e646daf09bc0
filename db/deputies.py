"""Deputies (persons) and their mandates (a seat in one term of one congress)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Column, ForeignKeyConstraint, Index, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel

from db.columns import Timestamp, created_at_field, enum_field, updated_at_field
from db.enums import Gender, Level, MandateEndReason, MandateStatus


class Deputy(SQLModel, table=True):
    __tablename__ = "deputies"
    __table_args__ = (
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="ck_deputies_birth_year"),
        CheckConstraint(
            "birth_date IS NULL OR extract(year FROM birth_date) = birth_year",
            name="ck_deputies_birth_date_year",
        ),
        Index("ix_deputies_search", "search_vector", postgresql_using="gin"),
        Index("ix_deputies_name_pinyin_id", "name_pinyin", "id"),
        Index("ix_deputies_birth_year_id", "birth_year", "id"),
        # Under-40 figures look up the few born in the boundary year after its cutoff day.
        Index("ix_deputies_birth_date", "birth_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str
    # Toneless, space-separated: 'li jun feng'.
    name_pinyin: str
    # Prefix-searchable keys (name suffixes, pinyin and initials), built by db.pinyin.
    search_vector: str = Field(sa_column=Column(TSVECTOR, nullable=False))
    gender: Gender = enum_field(Gender)
    ethnicity: str | None = None
    birth_year: int | None = None
    # Personal data: shown only to callers allowed to see it.
    birth_date: date | None = None
    phone: str | None = None
    id_number: str | None = None
    party: str | None = None
    occupation: str | None = None
    is_grassroots: bool = False
    locality_code: str = Field(foreign_key="regions.code", index=True)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: Timestamp = created_at_field()
    updated_at: Timestamp = updated_at_field()


class Mandate(SQLModel, table=True):
    __tablename__ = "mandates"
    __table_args__ = (
        # The term belongs to the congress, and the level is the congress's level.
        ForeignKeyConstraint(
            ["term_id", "congress_id"], ["terms.id", "terms.congress_id"], name="fk_mandates_term"
        ),
        ForeignKeyConstraint(
            ["congress_id", "level"],
            ["congresses.id", "congresses.level"],
            name="fk_mandates_congress_level",
        ),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_mandates_dates"),
        CheckConstraint(
            "suspended_from IS NULL OR suspended_from >= start_date",
            name="ck_mandates_suspension_start",
        ),
        CheckConstraint(
            "suspended_until IS NULL OR suspended_until >= suspended_from",
            name="ck_mandates_suspension_dates",
        ),
        CheckConstraint(
            "(status = 'TERMINATED') = (end_date IS NOT NULL)", name="ck_mandates_end_status"
        ),
        CheckConstraint(
            "status <> 'SUSPENDED' OR suspended_from IS NOT NULL",
            name="ck_mandates_suspension_status",
        ),
        # One mandate in force (active or suspended) per person per congress term.
        Index(
            "uq_mandates_one_per_term",
            "deputy_id",
            "term_id",
            unique=True,
            postgresql_where=text("status <> 'TERMINATED'"),
        ),
        Index("ix_mandates_congress_status", "congress_id", "status"),
        Index("ix_mandates_term", "term_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id", index=True)
    congress_id: int
    term_id: int
    level: Level = enum_field(Level, index=True)
    electoral_unit: str | None = None
    delegation: str | None = None
    start_date: date
    end_date: date | None = None
    status: MandateStatus = enum_field(MandateStatus)
    end_reason: MandateEndReason | None = enum_field(MandateEndReason, nullable=True)
    by_election: bool = False
    suspended_from: date | None = None
    suspended_until: date | None = None
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    updated_at: Timestamp = updated_at_field()
