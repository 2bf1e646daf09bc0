"""createDeputy, addMandate, endMandate, addCommitteeMember."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from db.enums import CommitteeRole, Gender, MandateEndReason, MandateStatus
from resolvers.mutations import committees as committee_writes
from resolvers.mutations import deputies as writes
from schema.deputies import CommitteeMembership, Deputy, Mandate
from schema.mutations.base import UserError, perform


@strawberry.input
class MandateInput:
    congress_id: strawberry.ID
    term_number: int
    electoral_unit: str | None = None
    delegation: str | None = None
    start_date: date
    by_election: bool | None = None

    def spec(self) -> writes.MandateSpec:
        return writes.MandateSpec(
            congress_id=self.congress_id,
            term_number=self.term_number,
            start_date=self.start_date,
            electoral_unit=self.electoral_unit,
            delegation=self.delegation,
            by_election=bool(self.by_election),
        )


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


@strawberry.type
class DeputyPayload:
    deputy: Deputy | None
    user_errors: list[UserError]


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


@strawberry.type
class MandatePayload:
    mandate: Mandate | None
    user_errors: list[UserError]


@strawberry.input
class AddCommitteeMemberInput:
    committee_id: strawberry.ID
    deputy_id: strawberry.ID
    role: CommitteeRole
    start_date: date


@strawberry.type
class CommitteeMembershipPayload:
    membership: CommitteeMembership | None
    user_errors: list[UserError]


@strawberry.type
class DeputyMutation:
    @strawberry.mutation
    async def create_deputy(self, info: Info, input: CreateDeputyInput) -> DeputyPayload:
        spec = writes.DeputySpec(
            name=input.name,
            gender=input.gender,
            is_grassroots=input.is_grassroots,
            locality_code=input.locality_code,
            mandate=input.mandate.spec(),
            ethnicity=input.ethnicity,
            birth_year=input.birth_year,
            party=input.party,
            occupation=input.occupation,
            phone=input.phone,
        )
        key, errors = await perform(
            info,
            lambda conn, actor: writes.create_deputy(conn, actor, spec),
            ("Congress", input.mandate.congress_id),
        )
        return DeputyPayload(
            deputy=await Deputy.load(info, key) if key else None, user_errors=errors
        )

    @strawberry.mutation
    async def add_mandate(self, info: Info, input: AddMandateInput) -> MandatePayload:
        key, errors = await perform(
            info,
            lambda conn, actor: writes.add_mandate(
                conn, actor, input.deputy_id, input.mandate.spec()
            ),
            ("Congress", input.mandate.congress_id),
        )
        return MandatePayload(
            mandate=await Mandate.load(info, key) if key else None, user_errors=errors
        )

    @strawberry.mutation
    async def end_mandate(self, info: Info, input: EndMandateInput) -> MandatePayload:
        status = input.status or MandateStatus.TERMINATED
        key, errors = await perform(
            info,
            lambda conn, actor: writes.end_mandate(
                conn,
                actor,
                input.mandate_id,
                input.end_date,
                input.reason,
                status,
                expected_version=input.expected_version,
            ),
            ("Mandate", input.mandate_id),
        )
        return MandatePayload(
            mandate=await Mandate.load(info, key) if key else None, user_errors=errors
        )

    @strawberry.mutation
    async def add_committee_member(
        self, info: Info, input: AddCommitteeMemberInput
    ) -> CommitteeMembershipPayload:
        key, errors = await perform(
            info,
            lambda conn, actor: committee_writes.add_committee_member(
                conn, actor, input.committee_id, input.deputy_id, input.role, input.start_date
            ),
            ("Committee", input.committee_id),
        )
        membership = None
        if key:
            membership = await CommitteeMembership.load(info, key)
        return CommitteeMembershipPayload(membership=membership, user_errors=errors)
