"""addVoterContact, endVoterContact: written by editors of the voter's region."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers.mutations import voters as writes
from schema.mutations.declare import mutation_input, mutation_type, payload
from schema.voters import VoterContact

VoterContactPayload = payload("VoterContactPayload", "voter_contact", VoterContact)


@mutation_input(
    VoterContactPayload,
    ("Region", "community_code"),
    writes.add_voter_contact,
    description="Record a voter the deputy keeps in touch with; the service draws the pseudonym.",
)
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


@mutation_input(VoterContactPayload, ("VoterContact", "voter_contact_id"), writes.end_voter_contact)
class EndVoterContactInput:
    voter_contact_id: strawberry.ID
    until: date


VoterMutation = mutation_type("VoterMutation", AddVoterContactInput, EndVoterContactInput)
