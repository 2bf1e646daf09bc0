"""Deputy groups (代表小组) and their members."""

from __future__ import annotations

from datetime import date

from sqlmodel import Field, SQLModel

from db.columns import Timestamp, enum_field, updated_at_field
from db.enums import GroupKind, GroupRole


class DeputyGroup(SQLModel, table=True):
    __tablename__ = "deputy_groups"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    kind: GroupKind = enum_field(GroupKind, index=True)
    congress_id: int = Field(foreign_key="congresses.id", index=True)
    region_code: str = Field(foreign_key="regions.code", index=True)
    # A professional group is usually tied to a special committee of its congress.
    committee_id: int | None = Field(default=None, foreign_key="committees.id", index=True)
    theme: str | None = None
    updated_at: Timestamp = updated_at_field()


class GroupMembership(SQLModel, table=True):
    __tablename__ = "group_memberships"

    group_id: int = Field(foreign_key="deputy_groups.id", primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id", primary_key=True, index=True)
    role: GroupRole = enum_field(GroupRole)
    joined_on: date
