"""A deputy's fixed voter contacts: added under a random pseudonym, and ended.

Nothing that identifies a voter is accepted: the service draws the pseudonym itself and
keeps only the division they live in (and, optionally, their 社区 or 村).
"""

from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.columns import table_of
from db.committees import Congress as CongressRow
from db.deputies import Deputy as DeputyRow
from db.deputies import Mandate as MandateRow
from db.enums import Level
from db.voters import VoterContact as VoterContactRow
from resolvers.deputies import in_force, suspended_on
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit

voter_contacts = table_of(VoterContactRow)
deputies = table_of(DeputyRow)
mandates = table_of(MandateRow)
congresses = table_of(CongressRow)

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
    problems = Problems()
    deputy = await lookups.by_id(conn, problems, ("deputyId",), deputy_id, "Deputy", deputies)
    region = await lookups.region(conn, problems, ("communityCode",), community_code)
    if since > date.today():
        problems.add(("since",), "A contact is recorded once it has begun.", Code.INVALID_VALUE)
    if region is not None and region.level not in COMMUNITY_LEVELS:
        problems.add(
            ("communityCode",),
            f"{region.name} is not a county- or township-level division.",
            Code.INVALID_VALUE,
        )
    if deputy is not None and region is not None:
        # The regions of the congresses where the deputy is in office on the day.
        served = select(congresses.c.region_code).join(
            mandates, mandates.c.congress_id == congresses.c.id
        )
        served = served.where(
            mandates.c.deputy_id == deputy.id,
            in_force(mandates, since),
            ~suspended_on(mandates, since),
        )
        regions_served = set(await conn.scalars(served))
        if not regions_served:
            problems.add(
                ("deputyId",),
                f"{deputy.name} holds no mandate in force on {since}.",
                Code.NOT_ELIGIBLE,
            )
        elif not regions_served & set(region.lineage):
            problems.add(
                ("communityCode",),
                f"{region.name} lies outside every region {deputy.name} represents.",
                Code.LOCALITY_OUTSIDE_REGION,
            )
    problems.check()
    assert deputy is not None and region is not None
    row = (
        await conn.execute(
            insert(voter_contacts)
            .values(
                deputy_id=deputy.id,
                pseudonym=new_pseudonym(),
                community_code=region.code,
                community=community.strip() if community and community.strip() else None,
                since=since,
            )
            .returning(*voter_contacts.c)
        )
    ).one()
    await audit(conn, actor, "addVoterContact", "VoterContact", row.id, after=row)
    return int(row.id)


async def end_voter_contact(
    conn: AsyncConnection, actor: Actor, contact_id: str, until: date
) -> int:
    problems = Problems()
    contact = await lookups.by_id(
        conn, problems, ("voterContactId",), contact_id, "VoterContact", voter_contacts, lock=True
    )
    if contact is not None:
        if contact.until is not None:
            problems.add(
                ("voterContactId",),
                f"The contact {contact.pseudonym} ended on {contact.until} already.",
                Code.ALREADY_ENDED,
            )
        elif until < contact.since:
            problems.add(
                ("until",),
                f"A contact ends on or after it began ({contact.since}).",
                Code.INVALID_VALUE,
            )
    problems.check()
    assert contact is not None
    await conn.execute(
        update(voter_contacts).where(voter_contacts.c.id == contact.id).values(until=until)
    )
    await audit(
        conn,
        actor,
        "endVoterContact",
        "VoterContact",
        contact.id,
        before=contact,
        after={"until": until},
    )
    return int(contact.id)
