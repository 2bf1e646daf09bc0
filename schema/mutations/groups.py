"""createGroup, addGroupMembers."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from db.enums import GroupKind, GroupRole
from resolvers.mutations import groups as writes
from schema.groups import DeputyGroup
from schema.mutations.base import UserError, perform


@strawberry.input
class CreateGroupInput:
    name: str
    kind: GroupKind
    congress_id: strawberry.ID
    region_code: str
    theme: str | None = None


@strawberry.type
class GroupPayload:
    group: DeputyGroup | None
    user_errors: list[UserError]


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
    @strawberry.mutation
    async def create_group(self, info: Info, input: CreateGroupInput) -> GroupPayload:
        spec = writes.GroupSpec(
            name=input.name,
            kind=input.kind,
            congress_id=input.congress_id,
            region_code=input.region_code,
            theme=input.theme,
        )
        key, errors = await perform(
            info,
            lambda conn, actor: writes.create_group(conn, actor, spec),
            ("Congress", input.congress_id),
        )
        return GroupPayload(
            group=await DeputyGroup.load(info, key) if key else None, user_errors=errors
        )

    @strawberry.mutation
    async def add_group_members(self, info: Info, input: AddGroupMembersInput) -> GroupPayload:
        members = [writes.MemberSpec(m.deputy_id, m.role) for m in input.members]
        key, errors = await perform(
            info,
            lambda conn, actor: writes.add_group_members(conn, actor, input.group_id, members),
            ("DeputyGroup", input.group_id),
        )
        return GroupPayload(
            group=await DeputyGroup.load(info, key) if key else None, user_errors=errors
        )
