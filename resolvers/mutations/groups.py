"""Deputy groups: regional (by place, any level) and professional (by field, own deputies)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.columns import table_of
from db.committees import Congress as CongressRow
from db.deputies import Deputy as DeputyRow
from db.enums import GroupKind, GroupRole, Level
from db.groups import DeputyGroup as GroupRow
from db.groups import GroupMembership as MemberRow
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit
from resolvers.mutations.eligibility import eligible_mandates

groups = table_of(GroupRow)
members = table_of(MemberRow)
congresses = table_of(CongressRow)
deputies = table_of(DeputyRow)


@dataclass(frozen=True)
class GroupSpec:
    name: str
    kind: GroupKind
    congress_id: str
    region_code: str
    theme: str | None = None


async def create_group(conn: AsyncConnection, actor: Actor, spec: GroupSpec) -> int:
    problems = Problems()
    if not spec.name.strip():
        problems.add(("name",), "A group needs a name.", Code.INVALID_VALUE)
    congress = await lookups.by_id(
        conn, problems, ("congressId",), spec.congress_id, "Congress", congresses
    )
    region = await lookups.region(conn, problems, ("regionCode",), spec.region_code)
    if congress is not None:
        if congress.level is Level.TOWNSHIP:
            problems.add(
                ("congressId",),
                f"{congress.name} has no standing committee to organise groups (a township "
                "congress has a presidium).",
                Code.NO_STANDING_COMMITTEE,
            )
        if region is not None and congress.region_code not in region.lineage:
            problems.add(
                ("regionCode",),
                f"{region.name} lies outside the region of {congress.name}.",
                Code.LOCALITY_OUTSIDE_REGION,
            )
    problems.check()
    assert congress is not None and region is not None
    row = (
        await conn.execute(
            insert(groups)
            .values(
                name=spec.name.strip(),
                kind=spec.kind,
                congress_id=congress.id,
                region_code=region.code,
                theme=spec.theme,
            )
            .returning(*groups.c)
        )
    ).one()
    await audit(conn, actor, "createGroup", "DeputyGroup", row.id, after=row)
    return int(row.id)


@dataclass(frozen=True)
class MemberSpec:
    deputy_id: str
    role: GroupRole


async def add_group_members(
    conn: AsyncConnection, actor: Actor, group_id: str, new_members: Sequence[MemberSpec]
) -> int:
    problems = Problems()
    group = await lookups.by_id(
        conn, problems, ("groupId",), group_id, "DeputyGroup", groups, lock=True
    )
    found = await lookups.many_by_id(
        conn, problems, ("members",), [m.deputy_id for m in new_members], "Deputy", deputies
    )
    ids = [d.id for d in found if d is not None]
    seen: set[int] = set()
    for i, deputy in enumerate(found):
        if deputy is not None:
            if deputy.id in seen:
                problems.add(
                    ("members", i, "deputyId"),
                    f"{deputy.name} is listed twice.",
                    Code.DUPLICATE_MEMBER,
                )
            seen.add(deputy.id)
    if group is not None:
        existing = {
            row.deputy_id: row.role
            for row in await conn.execute(select(members).where(members.c.group_id == group.id))
        }
        # A regional group gathers eligible deputies of any level living in its area; a
        # professional group gathers deputies of its own congress.
        eligible = await eligible_mandates(
            conn,
            group.congress_id,
            ids,
            date.today(),
            own_only=group.kind is GroupKind.PROFESSIONAL,
        )
        leaders = [r for r in existing.values() if r is GroupRole.LEADER]
        for i, (spec, deputy) in enumerate(zip(new_members, found, strict=True)):
            if deputy is None:
                continue
            path = ("members", i, "deputyId")
            if deputy.id in existing:
                problems.add(path, f"{deputy.name} is already a member.", Code.DUPLICATE_MEMBER)
            if deputy.id not in eligible:
                why = (
                    "holds no active mandate in the group's congress"
                    if group.kind is GroupKind.PROFESSIONAL
                    else "is not eligible: no active mandate in the group's congress, nor one at a "
                    "higher level with a locality in its region"
                )
                problems.add(path, f"{deputy.name} {why}.", Code.NOT_ELIGIBLE)
            if spec.role is GroupRole.LEADER:
                leaders.append(spec.role)
        if len(leaders) > 1:
            problems.add(("members",), "A group has one leader.", Code.INVALID_VALUE)
    problems.check()
    assert group is not None
    rows = [
        {"group_id": group.id, "deputy_id": d.id, "role": spec.role, "joined_on": date.today()}
        for spec, d in zip(new_members, found, strict=True)
        if d is not None
    ]
    if rows:
        await conn.execute(insert(members), rows)
    await conn.execute(update(groups).where(groups.c.id == group.id).values(updated_at=func.now()))
    await audit(conn, actor, "addGroupMembers", "DeputyGroup", group.id, after={"members": rows})
    return int(group.id)
