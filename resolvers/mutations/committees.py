"""Committee membership: who sits on a committee, which the contact and attendance rules read."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.enums import CommitteeRole, Level
from resolvers.mutations.base import Actor
from resolvers.mutations.eligibility import eligible_mandates
from resolvers.mutations.tables import congresses, memberships
from resolvers.mutations.write import Write


def current_members(committee_id: int, day: date) -> Select[tuple[int]]:
    """Deputy ids on the committee on that day."""
    return select(memberships.c.deputy_id).where(
        memberships.c.committee_id == committee_id,
        memberships.c.start_date <= day,
        or_(memberships.c.end_date.is_(None), memberships.c.end_date >= day),
    )


async def require_standing(w: Write, committee: Row[Any]) -> None:
    """Meetings and contacts belong to a standing committee, which townships do not have."""
    congress = await w.one(congresses, id=committee.congress_id)
    w.refuse(
        congress.level is Level.TOWNSHIP,
        "committeeId",
        f"{congress.name} has no standing committee.",
        Code.NO_STANDING_COMMITTEE,
    )


async def add_committee_member(
    conn: AsyncConnection,
    actor: Actor,
    committee_id: str,
    deputy_id: str,
    role: CommitteeRole,
    start_date: date,
) -> int:
    w = Write(conn, actor)
    committee = await w.find("committeeId", committee_id, "Committee")
    deputy = await w.find("deputyId", deputy_id, "Deputy")
    if committee is not None and deputy is not None:
        held = {"committee_id": committee.id, "deputy_id": deputy.id, "end_date": None}
        w.refuse(
            await w.exists(memberships, **held),
            "deputyId",
            f"{deputy.name} is already on {committee.name}.",
            Code.DUPLICATE_MEMBER,
        )
        # Committee members are elected from among the congress's own deputies.
        own = await eligible_mandates(
            conn, committee.congress_id, [deputy.id], start_date, own_only=True
        )
        w.refuse(
            not own,
            "deputyId",
            f"{deputy.name} holds no mandate in force in this committee's congress "
            f"on {start_date}.",
            Code.NOT_ELIGIBLE,
        )
    w.check()
    assert committee is not None and deputy is not None
    ids = {"committee_id": committee.id, "deputy_id": deputy.id}
    values = {"role": role, "start_date": start_date}
    return await w.create("addCommitteeMember", "CommitteeMembership", memberships, **ids, **values)
