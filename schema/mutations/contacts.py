"""assignContact, logContact."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from db.enums import ContactChannel
from resolvers.mutations import contacts as writes
from schema.contacts import ContactAssignment
from schema.mutations.base import UserError, perform


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


@strawberry.type
class ContactAssignmentPayload:
    assignment: ContactAssignment | None
    user_errors: list[UserError]


async def _payload(
    info: Info, key: int | None, errors: list[UserError]
) -> ContactAssignmentPayload:
    assignment = await ContactAssignment.load(info, key) if key else None
    return ContactAssignmentPayload(assignment=assignment, user_errors=errors)


@strawberry.type
class ContactMutation:
    @strawberry.mutation
    async def assign_contact(
        self, info: Info, input: AssignContactInput
    ) -> ContactAssignmentPayload:
        spec = writes.AssignmentSpec(
            contactor_id=input.contactor_id,
            committee_id=input.committee_id,
            deputy_id=input.deputy_id,
            start_date=input.start_date,
        )
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: writes.assign_contact(conn, actor, spec),
                ("Committee", input.committee_id),
            ),
        )

    @strawberry.mutation
    async def log_contact(self, info: Info, input: LogContactInput) -> ContactAssignmentPayload:
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: writes.log_contact(
                    conn, actor, input.assignment_id, input.date, input.channel, input.summary
                ),
                ("ContactAssignment", input.assignment_id),
            ),
        )
