"""Every table, imported in one place so that SQLModel.metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from db.attendance import Attendance, Meeting
from db.audit import AuditEntry
from db.committees import Committee, CommitteeMembership, Congress, Term
from db.contacts import ContactAssignment, ContactLog
from db.deputies import Deputy, Mandate
from db.groups import DeputyGroup, GroupMembership
from db.regions import Region
from db.stations import Reception, ReceptionDeputy, Station, StationAssignment

metadata = SQLModel.metadata

__all__ = [
    "Attendance",
    "AuditEntry",
    "Committee",
    "CommitteeMembership",
    "Congress",
    "ContactAssignment",
    "ContactLog",
    "Deputy",
    "DeputyGroup",
    "GroupMembership",
    "Mandate",
    "Meeting",
    "Reception",
    "ReceptionDeputy",
    "Region",
    "Station",
    "StationAssignment",
    "Term",
    "metadata",
]
