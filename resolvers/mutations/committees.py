"""Committee membership: who sits on a committee, which the contact and attendance rules read."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.columns import table_of
from db.committees import Committee as CommitteeRow
from db.committees import CommitteeMembership as MembershipRow
from db.deputies import Deputy as DeputyRow
from db.enums import CommitteeRole
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit
from resolvers.mutations.eligibility import eligible_mandates

committees = table_of(CommitteeRow)
memberships = table_of(MembershipRow)
deputies = table_of(DeputyRow)


def current_members(committee_id: int, day: date) -> Select[tuple[int]]:
    """Deputy ids on the committee on that day."""
    return select(memberships.c.deputy_id).where(
        memberships.c.committee_id == committee_id,
        memberships.c.start_date <= day,
        or_(memberships.c.end_date.is_(None), memberships.c.end_date >= day),
    )


async def add_committee_member(
    conn: AsyncConnection,
    actor: Actor,
    committee_id: str,
    deputy_id: str,
    role: CommitteeRole,
    start_date: date,
) -> int:
    problems = Problems()
    committee = await lookups.by_id(
        conn, problems, ("committeeId",), committee_id, "Committee", committees
    )
    deputy = await lookups.by_id(conn, problems, ("deputyId",), deputy_id, "Deputy", deputies)
    if committee is not None and deputy is not None:
        held = await conn.scalar(
            select(memberships.c.id).where(
                and_(
                    memberships.c.committee_id == committee.id,
                    memberships.c.deputy_id == deputy.id,
                    memberships.c.end_date.is_(None),
                )
            )
        )
        if held is not None:
            problems.add(
                ("deputyId",),
                f"{deputy.name} is already on {committee.name}.",
                Code.DUPLICATE_MEMBER,
            )
        # Committee members are elected from among the congress's own deputies.
        own = await eligible_mandates(
            conn, committee.congress_id, [deputy.id], start_date, own_only=True
        )
        if not own:
            problems.add(
                ("deputyId",),
                f"{deputy.name} holds no mandate in force in this committee's congress "
                f"on {start_date}.",
                Code.NOT_ELIGIBLE,
            )
    problems.check()
    assert committee is not None and deputy is not None
    row = (
        await conn.execute(
            insert(memberships)
            .values(
                committee_id=committee.id, deputy_id=deputy.id, role=role, start_date=start_date
            )
            .returning(*memberships.c)
        )
    ).one()
    await audit(conn, actor, "addCommitteeMember", "CommitteeMembership", row.id, after=row)
    return int(row.id)
