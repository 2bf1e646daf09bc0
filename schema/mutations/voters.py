"""addVoterContact, endVoterContact: written by editors of the voter's region."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.mutations import voters as writes
from schema.mutations.base import mutation, payload
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


VoterContactPayload = payload("VoterContactPayload", "voter_contact", VoterContact)


@strawberry.type
class VoterMutation:
    add_voter_contact = mutation(
        AddVoterContactInput,
        VoterContactPayload,
        ("Region", "community_code"),
        lambda conn, actor, input: writes.add_voter_contact(
            conn, actor, input.deputy_id, input.community_code, input.community, input.since
        ),
        description="Record a voter the deputy keeps in touch with; the service draws the pseudonym.",
    )
    end_voter_contact = mutation(
        EndVoterContactInput,
        VoterContactPayload,
        ("VoterContact", "voter_contact_id"),
        lambda conn, actor, input: writes.end_voter_contact(
            conn, actor, input.voter_contact_id, input.until
        ),
    )
