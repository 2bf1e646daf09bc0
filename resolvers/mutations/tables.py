"""The tables the writes touch, by the names the writes use (each declared once, in
db.models), and the table behind each kind of ID."""

from __future__ import annotations

import db.models as tables

activities = tables.activities
attendances = tables.attendances
committees = tables.committees
congresses = tables.congresses
contact_logs = tables.contact_logs
deputies = tables.deputies
mandates = tables.mandates
meetings = tables.meetings
reception_deputies = tables.reception_deputies
receptions = tables.receptions
regions = tables.regions
station_assignments = tables.station_assignments
stations = tables.stations
suggestions = tables.suggestions
terms = tables.terms
voter_contacts = tables.voter_contacts
participants = tables.activity_participants
memberships = tables.committee_memberships
assignments = tables.contact_assignments
groups = tables.deputy_groups
group_members = tables.group_memberships
supervisions = tables.key_supervisions
categories = tables.suggestion_categories
cosigners = tables.suggestion_cosigners
handlers = tables.suggestion_handlers

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
