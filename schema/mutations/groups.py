"""createGroup, addGroupMembers."""

from __future__ import annotations

import strawberry

from db.enums import GroupKind, GroupRole
from resolvers.mutations import groups as writes
from schema.groups import DeputyGroup
from schema.mutations.base import mutation, payload, with_spec


@strawberry.input
class CreateGroupInput:
    name: str
    kind: GroupKind
    congress_id: strawberry.ID
    region_code: str
    theme: str | None = None


GroupPayload = payload("GroupPayload", "group", DeputyGroup)


@strawberry.input
class GroupMemberInput:
    deputy_id: strawberry.ID
    role: GroupRole


@strawberry.input
class AddGroupMembersInput:
    group_id: strawberry.ID
    members: list[GroupMemberInput]


@strawberry.type
class GroupMutation:
    create_group = mutation(
        CreateGroupInput,
        GroupPayload,
        ("Congress", "congress_id"),
        with_spec(writes.create_group, writes.GroupSpec),
    )
    add_group_members = mutation(
        AddGroupMembersInput,
        GroupPayload,
        ("DeputyGroup", "group_id"),
        lambda conn, actor, input: writes.add_group_members(
            conn,
            actor,
            input.group_id,
            [writes.MemberSpec(m.deputy_id, m.role) for m in input.members],
        ),
    )
