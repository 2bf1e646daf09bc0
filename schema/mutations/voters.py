"""addVoterContact, endVoterContact: written by editors of the voter's region."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from resolvers.mutations import voters as writes
from schema.mutations.base import UserError, perform
from schema.voters import VoterContact


@strawberry.input
class AddVoterContactInput:
    deputy_id: strawberry.ID
    community_code: str = strawberry.field(
        description="The township- or county-level division the voter lives in, inside a "
        "region the deputy represents."
    )
    community: str | None = strawberry.field(
        default=None, description="The 社区 or 村. Never a name, phone or address."
    )
    since: date


@strawberry.input
class EndVoterContactInput:
    voter_contact_id: strawberry.ID
    until: date


@strawberry.type
class VoterContactPayload:
    voter_contact: VoterContact | None
    user_errors: list[UserError]


async def _payload(info: Info, key: int | None, errors: list[UserError]) -> VoterContactPayload:
    contact = await VoterContact.load(info, key) if key else None
    return VoterContactPayload(voter_contact=contact, user_errors=errors)


@strawberry.type
class VoterMutation:
    @strawberry.mutation(
        description="Record a voter the deputy keeps in touch with; the service draws the pseudonym."
    )
    async def add_voter_contact(
        self, info: Info, input: AddVoterContactInput
    ) -> VoterContactPayload:
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: writes.add_voter_contact(
                    conn, actor, input.deputy_id, input.community_code, input.community, input.since
                ),
                ("Region", input.community_code),
            ),
        )

    @strawberry.mutation
    async def end_voter_contact(
        self, info: Info, input: EndVoterContactInput
    ) -> VoterContactPayload:
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: writes.end_voter_contact(
                    conn, actor, input.voter_contact_id, input.until
                ),
                ("VoterContact", input.voter_contact_id),
            ),
        )
