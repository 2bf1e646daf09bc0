"""Every table, imported in one place so that SQLModel.metadata (and Alembic) sees them all,
and each typed once for the queries."""

from __future__ import annotations

from sqlmodel import SQLModel

from db.activities import Activity, ActivityParticipant
from db.attendance import Attendance, Meeting
from db.audit import AuditEntry
from db.columns import table_of
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

# The tables, typed, by their SQL names: what queries are written with
# (`from db.models import deputies, mandates`).
activities = table_of(Activity)
activity_participants = table_of(ActivityParticipant)
attendances = table_of(Attendance)
audit_log = table_of(AuditEntry)
committee_memberships = table_of(CommitteeMembership)
committees = table_of(Committee)
congresses = table_of(Congress)
contact_assignments = table_of(ContactAssignment)
contact_logs = table_of(ContactLog)
deputies = table_of(Deputy)
deputy_groups = table_of(DeputyGroup)
group_memberships = table_of(GroupMembership)
key_supervisions = table_of(KeySupervision)
mandates = table_of(Mandate)
meetings = table_of(Meeting)
reception_deputies = table_of(ReceptionDeputy)
receptions = table_of(Reception)
regions = table_of(Region)
report_counts = table_of(ReportCount)
station_assignments = table_of(StationAssignment)
stations = table_of(Station)
suggestion_categories = table_of(SuggestionCategory)
suggestion_cosigners = table_of(SuggestionCosigner)
suggestion_handlers = table_of(SuggestionHandler)
suggestions = table_of(Suggestion)
terms = table_of(Term)
voter_contacts = table_of(VoterContact)

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
    "activities",
    "activity_participants",
    "attendances",
    "audit_log",
    "committee_memberships",
    "committees",
    "congresses",
    "contact_assignments",
    "contact_logs",
    "deputies",
    "deputy_groups",
    "group_memberships",
    "key_supervisions",
    "mandates",
    "meetings",
    "metadata",
    "reception_deputies",
    "receptions",
    "regions",
    "report_counts",
    "station_assignments",
    "stations",
    "suggestion_categories",
    "suggestion_cosigners",
    "suggestion_handlers",
    "suggestions",
    "terms",
    "voter_contacts",
]
