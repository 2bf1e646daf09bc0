"""GraphQL types of deputy groups (代表小组) and the group list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db.enums import GroupKind, GroupRole
from resolvers import changes
from resolvers import groups as resolve
from schema.committees import Congress
from schema.counts import LevelCount, level_counts
from schema.deputies import Deputy
from schema.node import Node
from schema.pagination import Connection, page_args_for, to_connection
from schema.regions import Region


@strawberry.type(description="代表小组")
class DeputyGroup(Node):
    name: str
    kind: GroupKind
    theme: str | None
    updated_at: datetime = strawberry.field(
        description="When the record, or the list of its members, last changed."
    )
    id_: strawberry.Private[int]
    congress_id: strawberry.Private[int]
    region_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> DeputyGroup:
        return cls(
            node_key=row.id,
            id_=row.id,
            name=row.name,
            kind=row.kind,
            theme=row.theme,
            updated_at=row.updated_at,
            congress_id=row.congress_id,
            region_code=row.region_code,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> DeputyGroup | None:
        row = await info.context.loader(resolve.GroupByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field(description="The congress whose standing committee organises the group.")
    async def congress(self, info: Info) -> Congress:
        found = await Congress.load(info, self.congress_id)
        assert found is not None
        return found

    @strawberry.field
    async def region(self, info: Info) -> Region:
        found = await Region.load(info, self.region_code)
        assert found is not None
        return found

    @strawberry.field
    async def members(self, info: Info) -> list[GroupMembership]:
        rows = await info.context.loader(resolve.MembersByGroupLoader).load(self.id_)
        return [
            GroupMembership(role=r.role, group_id=r.group_id, deputy_id=r.deputy_id) for r in rows
        ]

    @strawberry.field(description="Members by the level of each active mandate.")
    async def member_count_by_level(self, info: Info) -> list[LevelCount]:
        return level_counts(
            await info.context.loader(resolve.MemberCountByLevelLoader).load(self.id_)
        )


@strawberry.type
class GroupMembership:
    role: GroupRole
    group_id: strawberry.Private[int]
    deputy_id: strawberry.Private[int]

    @strawberry.field
    async def group(self, info: Info) -> DeputyGroup:
        found = await DeputyGroup.load(info, self.group_id)
        assert found is not None
        return found

    @strawberry.field
    async def deputy(self, info: Info) -> Deputy:
        found = await Deputy.load(info, self.deputy_id)
        assert found is not None
        return found


async def congress_groups(
    info: Info, congress_id: int, first: int | None, after: str | None
) -> Connection[DeputyGroup]:
    args = page_args_for(info, first, after)
    page = await info.context.loader(resolve.GroupsByCongressLoader).load((congress_id, None, args))
    return to_connection(page, DeputyGroup.from_row)


async def deputy_groups(info: Info, deputy_id: int) -> list[DeputyGroup]:
    rows = await info.context.loader(resolve.GroupsByDeputyLoader).load(deputy_id)
    return [DeputyGroup.from_row(r) for r in rows]


@strawberry.type
class GroupQuery:
    @strawberry.field
    async def groups(
        self,
        info: Info,
        region_code: str | None = None,
        kind: GroupKind | None = None,
        first: int | None = None,
        after: str | None = None,
        updated_since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only groups whose record or members changed at or after this time."
            ),
        ] = None,
    ) -> Connection[DeputyGroup]:
        page = await changes.search_groups(
            info.context, region_code, kind, page_args_for(info, first, after), updated_since
        )
        return to_connection(page, DeputyGroup.from_row)
