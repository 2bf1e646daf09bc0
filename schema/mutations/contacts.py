"""assignContact, logContact."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import ContactChannel
from resolvers.mutations import contacts as writes
from schema.contacts import ContactAssignment
from schema.mutations.base import mutation, payload, with_spec


@strawberry.input
class AssignContactInput:
    contactor_id: strawberry.ID
    committee_id: strawberry.ID
    deputy_id: strawberry.ID
    start_date: date


@strawberry.input
class LogContactInput:
    assignment_id: strawberry.ID
    date: date
    channel: ContactChannel
    summary: str


ContactAssignmentPayload = payload("ContactAssignmentPayload", "assignment", ContactAssignment)


@strawberry.type
class ContactMutation:
    assign_contact = mutation(
        AssignContactInput,
        ContactAssignmentPayload,
        ("Committee", "committee_id"),
        with_spec(writes.assign_contact, writes.AssignmentSpec),
    )
    log_contact = mutation(
        LogContactInput,
        ContactAssignmentPayload,
        ("ContactAssignment", "assignment_id"),
        lambda conn, actor, input: writes.log_contact(
            conn, actor, input.assignment_id, input.date, input.channel, input.summary
        ),
    )
