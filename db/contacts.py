"""Committee members' standing duty to keep in touch with deputies, and the contacts logged."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from db.columns import enum_field
from db.enums import ContactChannel


class ContactAssignment(SQLModel, table=True):
    __tablename__ = "contact_assignments"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_ca_dates"),
        CheckConstraint("contactor_id <> deputy_id", name="ck_ca_not_self"),
        Index(
            "uq_ca_current",
            "committee_id",
            "contactor_id",
            "deputy_id",
            unique=True,
            postgresql_where=text("end_date IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    contactor_id: int = Field(foreign_key="deputies.id", index=True)
    committee_id: int = Field(foreign_key="committees.id", index=True)
    deputy_id: int = Field(foreign_key="deputies.id", index=True)
    start_date: date
    end_date: date | None = None


class ContactLog(SQLModel, table=True):
    __tablename__ = "contact_logs"
    __table_args__ = (Index("ix_contact_logs_assignment_date", "assignment_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="contact_assignments.id")
    date: date
    channel: ContactChannel = enum_field(ContactChannel)
    summary: str
