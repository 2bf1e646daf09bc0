"""GraphQL types of deputy groups (代表小组) and the group list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from db.enums import GroupKind, GroupRole
from resolvers import changes
from resolvers import groups as resolve
from resolvers.committees import CongressByIdLoader
from resolvers.deputies import DeputyByIdLoader
from resolvers.regions import RegionByCodeLoader
from resolvers.relations import LevelCounts, Listing, ToMany, ToOne
from schema.counts import LevelCount
from schema.fields import RowObject, relation
from schema.node import Node
from schema.pagination import Connection
from schema.refs import CongressRef, DeputyRef, RegionRef


@strawberry.type(description="代表小组")
class DeputyGroup(Node):
    key_loader = resolve.GroupByIdLoader

    name: str
    kind: GroupKind
    theme: str | None
    updated_at: datetime = strawberry.field(
        description="When the record, or the list of its members, last changed."
    )
    congress: CongressRef = relation(
        ToOne(CongressByIdLoader, "congress_id"),
        description="The congress whose standing committee organises the group.",
    )
    region: RegionRef = relation(ToOne(RegionByCodeLoader, "region_code"))
    members: list[GroupMembership] = relation(ToMany(resolve.MembersByGroupLoader, "id"))
    member_count_by_level: list[LevelCount] = relation(
        LevelCounts(resolve.MemberCountByLevelLoader, "id"),
        description="Members by the level of each active mandate.",
    )


@strawberry.type
class GroupMembership(RowObject):
    role: GroupRole
    row: strawberry.Private[Any]
    group: DeputyGroup = relation(ToOne(resolve.GroupByIdLoader, "group_id"))
    deputy: DeputyRef = relation(ToOne(DeputyByIdLoader, "deputy_id"))


def _groups(
    region_code: str | None = None,
    kind: GroupKind | None = None,
    *,
    updated_since: Annotated[
        datetime | None,
        strawberry.argument(
            description="Only groups whose record or members changed at or after this time."
        ),
    ] = None,
) -> Any:
    return changes.group_changes_query(region_code, kind, updated_since), resolve.BY_ID


@strawberry.type
class GroupQuery:
    groups: Connection[DeputyGroup] = relation(Listing(_groups))
