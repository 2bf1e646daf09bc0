"""A deputy's fixed voter contacts: added under a random pseudonym, and ended.

Nothing that identifies a voter is accepted: the service draws the pseudonym itself and
keeps only the division they live in (and, optionally, their 社区 or 村).
"""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.enums import Level
from db.rules import mandate_held, mandate_suspended
from resolvers.mutations.base import Actor
from resolvers.mutations.tables import congresses, mandates, voter_contacts
from resolvers.mutations.write import Write

# Crockford's base32 without look-alikes (no I, L, O, U): easy to read out and copy.
PSEUDONYM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PSEUDONYM_LENGTH = 12
# A voter lives in a township- or county-level division.
COMMUNITY_LEVELS = (Level.COUNTY, Level.TOWNSHIP)


def new_pseudonym() -> str:
    """'V' and 60 random bits: unrelated to the person, so it cannot be traced back."""
    return "V" + "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(PSEUDONYM_LENGTH))


async def add_voter_contact(
    conn: AsyncConnection,
    actor: Actor,
    deputy_id: str,
    community_code: str,
    community: str | None,
    since: date,
) -> int:
    w = Write(conn, actor)
    deputy = await w.find("deputyId", deputy_id, "Deputy")
    region = await w.region("communityCode", community_code)
    w.refuse(since > date.today(), "since", "A contact is recorded once it has begun.")
    if region is not None:
        w.refuse(
            region.level not in COMMUNITY_LEVELS,
            "communityCode",
            f"{region.name} is not a county- or township-level division.",
        )
    if deputy is not None and region is not None:
        # The regions of the congresses where the deputy is in office on the day.
        served = select(congresses.c.region_code).join(
            mandates, mandates.c.congress_id == congresses.c.id
        )
        served = served.where(
            mandates.c.deputy_id == deputy.id,
            mandate_held(mandates, since),
            ~mandate_suspended(mandates, since),
        )
        regions_served = set(await conn.scalars(served))
        if not regions_served:
            w.add(
                ("deputyId",),
                f"{deputy.name} holds no mandate in force on {since}.",
                Code.NOT_ELIGIBLE,
            )
        elif not regions_served & set(region.lineage):
            w.add(
                ("communityCode",),
                f"{region.name} lies outside every region {deputy.name} represents.",
                Code.LOCALITY_OUTSIDE_REGION,
            )
    w.check()
    assert deputy is not None and region is not None
    return await w.create(
        "addVoterContact",
        "VoterContact",
        voter_contacts,
        deputy_id=deputy.id,
        pseudonym=new_pseudonym(),
        community_code=region.code,
        community=community.strip() if community and community.strip() else None,
        since=since,
    )


async def end_voter_contact(
    conn: AsyncConnection, actor: Actor, voter_contact_id: str, until: date
) -> int:
    w = Write(conn, actor)
    contact = await w.find("voterContactId", voter_contact_id, "VoterContact", lock=True)
    if contact is not None:
        if contact.until is not None:
            w.add(
                ("voterContactId",),
                f"The contact {contact.pseudonym} ended on {contact.until} already.",
                Code.ALREADY_ENDED,
            )
        else:
            w.refuse(
                until < contact.since,
                "until",
                f"A contact ends on or after it began ({contact.since}).",
            )
    w.check()
    assert contact is not None
    await conn.execute(
        update(voter_contacts).where(voter_contacts.c.id == contact.id).values(until=until)
    )
    after = {"until": until}
    await w.audit("endVoterContact", "VoterContact", contact.id, before=contact, after=after)
    return int(contact.id)
