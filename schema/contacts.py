"""GraphQL types of contact assignments (常委会组成人员联系代表) and their logs."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.types import Info

from db.enums import ContactChannel
from resolvers import contacts as resolve
from schema.committees import Committee
from schema.deputies import Deputy
from schema.node import Node


@strawberry.type(
    description="A committee member's standing duty to keep in touch with one deputy "
    "(常委会组成人员联系代表)."
)
class ContactAssignment(Node):
    start_date: date
    end_date: date | None
    id_: strawberry.Private[int]
    contactor_id: strawberry.Private[int]
    committee_id: strawberry.Private[int]
    deputy_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> ContactAssignment:
        return cls(
            node_key=row.id,
            id_=row.id,
            start_date=row.start_date,
            end_date=row.end_date,
            contactor_id=row.contactor_id,
            committee_id=row.committee_id,
            deputy_id=row.deputy_id,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> ContactAssignment | None:
        row = await info.context.loader(resolve.ContactAssignmentByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field(description="The committee member who keeps in touch.")
    async def contactor(self, info: Info) -> Deputy:
        found = await Deputy.load(info, self.contactor_id)
        assert found is not None
        return found

    @strawberry.field
    async def committee(self, info: Info) -> Committee:
        found = await Committee.load(info, self.committee_id)
        assert found is not None
        return found

    @strawberry.field
    async def deputy(self, info: Info) -> Deputy:
        found = await Deputy.load(info, self.deputy_id)
        assert found is not None
        return found

    @strawberry.field(description="Contacts logged, the latest first.")
    async def logs(self, info: Info) -> list[ContactLog]:
        rows = await info.context.loader(resolve.LogsByAssignmentLoader).load(self.id_)
        return [ContactLog(date=r.date, channel=r.channel, summary=r.summary) for r in rows]


@strawberry.type
class ContactLog:
    date: date
    channel: ContactChannel
    summary: str


async def deputy_contacts(info: Info, deputy_id: int) -> list[ContactAssignment]:
    rows = await info.context.loader(resolve.ContactsByDeputyLoader).load(deputy_id)
    return [ContactAssignment.from_row(r) for r in rows]
