"""assignContact, logContact."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import ContactChannel
from resolvers.mutations import contacts as writes
from schema.contacts import ContactAssignment
from schema.mutations.declare import mutation_input, mutation_type, payload

ContactAssignmentPayload = payload("ContactAssignmentPayload", "assignment", ContactAssignment)


@mutation_input(ContactAssignmentPayload, ("Committee", "committee_id"), writes.assign_contact)
class AssignContactInput:
    contactor_id: strawberry.ID
    committee_id: strawberry.ID
    deputy_id: strawberry.ID
    start_date: date


@mutation_input(
    ContactAssignmentPayload, ("ContactAssignment", "assignment_id"), writes.log_contact
)
class LogContactInput:
    assignment_id: strawberry.ID
    date: date
    channel: ContactChannel
    summary: str


ContactMutation = mutation_type("ContactMutation", AssignContactInput, LogContactInput)
