"""VoterContact: a deputy's fixed voter contact, shown only to editors of the voter's region.

Anyone else (the public, editors of other regions) sees no record at all, not even a
pseudonym: only Deputy.voterContactCount.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from core.permissions import can_see_personal
from resolvers import voters as resolve
from schema.counts import shown
from schema.node import Node
from schema.regions import Region


@strawberry.type(
    description="A voter a deputy keeps in touch with (联系选民), under a pseudonym: no name, "
    "phone or address is ever stored. Visible only to editors of the voter's region."
)
class VoterContact(Node):
    pseudonym: str = strawberry.field(
        description="Drawn at random by the service; the congress office maps it to the person."
    )
    community: str | None = strawberry.field(description="The 社区 or 村, if recorded.")
    since: date
    until: date | None
    deputy_id: strawberry.Private[int]
    community_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> VoterContact:
        return shown(cls, row, row=row)

    @classmethod
    async def load(cls, info: Info, key: str | int) -> VoterContact | None:
        row = await info.context.loader(resolve.VoterContactByIdLoader).load(int(key))
        return cls.from_row(row) if row and _visible(info, row) else None

    @strawberry.field(description="The township- or county-level division the voter lives in.")
    async def community_region(self, info: Info) -> Region:
        found = await Region.load(info, self.community_code)
        assert found is not None
        return found


def _visible(info: Info, row: Any) -> bool:
    """The same rule as personal data: admins, and editors whose region holds the voter's."""
    return can_see_personal(info.context.caller, row.community_lineage)


async def deputy_voter_contacts(info: Info, deputy_id: int) -> list[VoterContact]:
    rows = await info.context.loader(resolve.VoterContactsByDeputyLoader).load(deputy_id)
    return [VoterContact.from_row(r) for r in rows if _visible(info, r)]


async def deputy_voter_contact_count(info: Info, deputy_id: int) -> int:
    return int(await info.context.loader(resolve.VoterContactCountLoader).load(deputy_id))
