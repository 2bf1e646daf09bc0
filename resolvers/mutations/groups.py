"""Deputy groups: regional (by place, any level) and professional (by field, own deputies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.enums import GroupKind, GroupRole, Level
from resolvers.mutations.base import Actor
from resolvers.mutations.eligibility import eligible_mandates
from resolvers.mutations.tables import group_members, groups
from resolvers.mutations.write import Write


@dataclass(frozen=True)
class GroupSpec:
    name: str
    kind: GroupKind
    congress_id: str
    region_code: str
    theme: str | None = None


async def create_group(conn: AsyncConnection, actor: Actor, spec: GroupSpec) -> int:
    w = Write(conn, actor)
    w.refuse(not spec.name.strip(), "name", "A group needs a name.")
    congress = await w.find("congressId", spec.congress_id, "Congress")
    region = await w.region("regionCode", spec.region_code)
    if congress is not None:
        w.refuse(
            congress.level is Level.TOWNSHIP,
            "congressId",
            f"{congress.name} has no standing committee to organise groups (a township "
            "congress has a presidium).",
            Code.NO_STANDING_COMMITTEE,
        )
        if region is not None:
            w.inside(region, congress)
    w.check()
    assert congress is not None and region is not None
    values = {"name": spec.name.strip(), "congress_id": congress.id, "region_code": region.code}
    return await w.create("createGroup", "DeputyGroup", groups, spec, **values)


@dataclass(frozen=True)
class MemberSpec:
    deputy_id: str
    role: GroupRole


async def add_group_members(
    conn: AsyncConnection, actor: Actor, group_id: str, members: Sequence[MemberSpec]
) -> int:
    w = Write(conn, actor)
    group = await w.find("groupId", group_id, "DeputyGroup", lock=True)
    found = await w.find_many("members", [m.deputy_id for m in members], "Deputy")
    ids = [d.id for d in found if d is not None]
    w.listed_twice(found, lambda i: ("members", i, "deputyId"), Code.DUPLICATE_MEMBER)
    if group is not None:
        existing = {
            row.deputy_id: row.role
            for row in await conn.execute(
                select(group_members).where(group_members.c.group_id == group.id)
            )
        }
        # A regional group gathers eligible deputies of any level living in its area; a
        # professional group gathers deputies of its own congress.
        professional = group.kind is GroupKind.PROFESSIONAL
        eligible = await eligible_mandates(
            conn, group.congress_id, ids, date.today(), own_only=professional
        )
        leaders = [r for r in existing.values() if r is GroupRole.LEADER]
        for i, (spec, deputy) in enumerate(zip(members, found, strict=True)):
            if deputy is None:
                continue
            path = ("members", i, "deputyId")
            w.refuse(
                deputy.id in existing,
                path,
                f"{deputy.name} is already a member.",
                Code.DUPLICATE_MEMBER,
            )
            why = (
                "holds no active mandate in the group's congress"
                if professional
                else "is not eligible: no active mandate in the group's congress, nor one at a "
                "higher level with a locality in its region"
            )
            w.refuse(deputy.id not in eligible, path, f"{deputy.name} {why}.", Code.NOT_ELIGIBLE)
            if spec.role is GroupRole.LEADER:
                leaders.append(spec.role)
        w.refuse(len(leaders) > 1, "members", "A group has one leader.")
    w.check()
    assert group is not None
    rows = [
        {"group_id": group.id, "deputy_id": d.id, "role": spec.role, "joined_on": date.today()}
        for spec, d in zip(members, found, strict=True)
        if d is not None
    ]
    if rows:
        await conn.execute(insert(group_members), rows)
    await conn.execute(update(groups).where(groups.c.id == group.id).values(updated_at=func.now()))
    await w.audit("addGroupMembers", "DeputyGroup", group.id, after={"members": rows})
    return int(group.id)
