"""createGroup, addGroupMembers."""

from __future__ import annotations

import strawberry

from db.enums import GroupKind, GroupRole
from resolvers.mutations import groups as writes
from schema.groups import DeputyGroup
from schema.mutations.declare import mutation_input, mutation_type, payload

GroupPayload = payload("GroupPayload", "group", DeputyGroup)


@mutation_input(GroupPayload, ("Congress", "congress_id"), writes.create_group)
class CreateGroupInput:
    name: str
    kind: GroupKind
    congress_id: strawberry.ID
    region_code: str
    theme: str | None = None


@strawberry.input
class GroupMemberInput:
    deputy_id: strawberry.ID
    role: GroupRole


@mutation_input(GroupPayload, ("DeputyGroup", "group_id"), writes.add_group_members)
class AddGroupMembersInput:
    group_id: strawberry.ID
    members: list[GroupMemberInput]


GroupMutation = mutation_type("GroupMutation", CreateGroupInput, AddGroupMembersInput)
