"""The tables the writes touch, each declared once, and the table behind each kind of ID."""

from __future__ import annotations

from db.activities import Activity, ActivityParticipant
from db.attendance import Attendance, Meeting
from db.columns import table_of
from db.committees import Committee, CommitteeMembership, Congress, Term
from db.contacts import ContactAssignment, ContactLog
from db.deputies import Deputy, Mandate
from db.groups import DeputyGroup, GroupMembership
from db.regions import Region
from db.stations import Reception, ReceptionDeputy, Station, StationAssignment
from db.suggestions import (
    KeySupervision,
    Suggestion,
    SuggestionCategory,
    SuggestionCosigner,
    SuggestionHandler,
)
from db.voters import VoterContact

activities = table_of(Activity)
participants = table_of(ActivityParticipant)
meetings = table_of(Meeting)
attendances = table_of(Attendance)
congresses = table_of(Congress)
terms = table_of(Term)
committees = table_of(Committee)
memberships = table_of(CommitteeMembership)
assignments = table_of(ContactAssignment)
contact_logs = table_of(ContactLog)
deputies = table_of(Deputy)
mandates = table_of(Mandate)
groups = table_of(DeputyGroup)
group_members = table_of(GroupMembership)
regions = table_of(Region)
stations = table_of(Station)
station_assignments = table_of(StationAssignment)
receptions = table_of(Reception)
reception_deputies = table_of(ReceptionDeputy)
suggestions = table_of(Suggestion)
categories = table_of(SuggestionCategory)
cosigners = table_of(SuggestionCosigner)
handlers = table_of(SuggestionHandler)
supervisions = table_of(KeySupervision)
voter_contacts = table_of(VoterContact)

# The table a global ID of each type names a row of.
BY_KIND = {
    "Congress": congresses,
    "Committee": committees,
    "ContactAssignment": assignments,
    "Deputy": deputies,
    "DeputyGroup": groups,
    "Mandate": mandates,
    "Meeting": meetings,
    "Station": stations,
    "Suggestion": suggestions,
    "SuggestionCategory": categories,
    "VoterContact": voter_contacts,
}
