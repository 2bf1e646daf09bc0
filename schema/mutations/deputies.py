"""createDeputy, addMandate, endMandate, addCommitteeMember."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import CommitteeRole, Gender, MandateEndReason, MandateStatus
from resolvers.mutations import committees as committee_writes
from resolvers.mutations import deputies as writes
from schema.deputies import CommitteeMembership, Deputy, Mandate
from schema.mutations.base import mutation, payload, spec_of, with_spec


@strawberry.input
class MandateInput:
    congress_id: strawberry.ID
    term_number: int
    electoral_unit: str | None = None
    delegation: str | None = None
    start_date: date
    by_election: bool | None = None


@strawberry.input
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


DeputyPayload = payload("DeputyPayload", "deputy", Deputy)


@strawberry.input
class AddMandateInput:
    deputy_id: strawberry.ID
    mandate: MandateInput


@strawberry.input
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


MandatePayload = payload("MandatePayload", "mandate", Mandate)


@strawberry.input
class AddCommitteeMemberInput:
    committee_id: strawberry.ID
    deputy_id: strawberry.ID
    role: CommitteeRole
    start_date: date


CommitteeMembershipPayload = payload(
    "CommitteeMembershipPayload", "membership", CommitteeMembership
)


@strawberry.type
class DeputyMutation:
    create_deputy = mutation(
        CreateDeputyInput,
        DeputyPayload,
        ("Congress", "mandate.congress_id"),
        with_spec(writes.create_deputy, writes.DeputySpec),
    )
    add_mandate = mutation(
        AddMandateInput,
        MandatePayload,
        ("Congress", "mandate.congress_id"),
        lambda conn, actor, input: writes.add_mandate(
            conn, actor, input.deputy_id, spec_of(input.mandate, writes.MandateSpec)
        ),
    )
    end_mandate = mutation(
        EndMandateInput,
        MandatePayload,
        ("Mandate", "mandate_id"),
        lambda conn, actor, input: writes.end_mandate(
            conn,
            actor,
            input.mandate_id,
            input.end_date,
            input.reason,
            input.status or MandateStatus.TERMINATED,
            expected_version=input.expected_version,
        ),
    )
    add_committee_member = mutation(
        AddCommitteeMemberInput,
        CommitteeMembershipPayload,
        ("Committee", "committee_id"),
        lambda conn, actor, input: committee_writes.add_committee_member(
            conn, actor, input.committee_id, input.deputy_id, input.role, input.start_date
        ),
    )
