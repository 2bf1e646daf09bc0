"""createDeputy, addMandate, endMandate, addCommitteeMember."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import CommitteeRole, Gender, MandateEndReason, MandateStatus
from resolvers.mutations import committees as committee_writes
from resolvers.mutations import deputies as writes
from schema.deputies import CommitteeMembership, Deputy, Mandate
from schema.mutations.declare import mutation_input, mutation_type, payload

DeputyPayload = payload("DeputyPayload", "deputy", Deputy)
MandatePayload = payload("MandatePayload", "mandate", Mandate)
CommitteeMembershipPayload = payload(
    "CommitteeMembershipPayload", "membership", CommitteeMembership
)


@strawberry.input
class MandateInput:
    congress_id: strawberry.ID
    term_number: int
    electoral_unit: str | None = None
    delegation: str | None = None
    start_date: date
    by_election: bool | None = None


@mutation_input(DeputyPayload, ("Congress", "mandate.congress_id"), writes.create_deputy)
class CreateDeputyInput:
    name: str
    gender: Gender
    ethnicity: str | None = None
    birth_year: int | None = None
    party: str | None = None
    occupation: str | None = None
    is_grassroots: bool
    locality_code: str = strawberry.field(
        description="Division code of a county- or township-level region."
    )
    phone: str | None = None
    mandate: MandateInput


@mutation_input(MandatePayload, ("Congress", "mandate.congress_id"), writes.add_mandate)
class AddMandateInput:
    deputy_id: strawberry.ID
    mandate: MandateInput


@mutation_input(MandatePayload, ("Mandate", "mandate_id"), writes.end_mandate)
class EndMandateInput:
    mandate_id: strawberry.ID
    end_date: date
    reason: MandateEndReason
    status: MandateStatus | None = strawberry.field(
        default=None, description="SUSPENDED or TERMINATED; defaults to TERMINATED."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description="The mandate's `version` as you read it: if it has changed since, nothing "
        "is written and the answer is a STALE_WRITE userError.",
    )


@mutation_input(
    CommitteeMembershipPayload, ("Committee", "committee_id"), committee_writes.add_committee_member
)
class AddCommitteeMemberInput:
    committee_id: strawberry.ID
    deputy_id: strawberry.ID
    role: CommitteeRole
    start_date: date


DeputyMutation = mutation_type(
    "DeputyMutation", CreateDeputyInput, AddMandateInput, EndMandateInput, AddCommitteeMemberInput
)
