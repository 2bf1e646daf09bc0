"""Every table, imported in one place so that SQLModel.metadata (and Alembic) sees them all."""

from __future__ import annotations

from sqlmodel import SQLModel

from db.activities import Activity, ActivityParticipant
from db.attendance import Attendance, Meeting
from db.audit import AuditEntry
from db.committees import Committee, CommitteeMembership, Congress, Term
from db.contacts import ContactAssignment, ContactLog
from db.deputies import Deputy, Mandate
from db.groups import DeputyGroup, GroupMembership
from db.regions import Region
from db.reports import ReportCount
from db.stations import Reception, ReceptionDeputy, Station, StationAssignment
from db.suggestions import (
    KeySupervision,
    Suggestion,
    SuggestionCategory,
    SuggestionCosigner,
    SuggestionHandler,
)
from db.voters import VoterContact

metadata = SQLModel.metadata

__all__ = [
    "Activity",
    "ActivityParticipant",
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
    "KeySupervision",
    "Mandate",
    "Meeting",
    "Reception",
    "ReceptionDeputy",
    "Region",
    "ReportCount",
    "Station",
    "StationAssignment",
    "Suggestion",
    "SuggestionCategory",
    "SuggestionCosigner",
    "SuggestionHandler",
    "Term",
    "VoterContact",
    "metadata",
]
