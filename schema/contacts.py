"""GraphQL types of contact assignments (常委会组成人员联系代表) and their logs."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from db.enums import ContactChannel
from resolvers import contacts as resolve
from resolvers.committees import CommitteeByIdLoader
from resolvers.deputies import DeputyByIdLoader
from resolvers.relations import ToMany, ToOne
from schema.fields import RowObject, relation
from schema.node import Node
from schema.refs import CommitteeRef, DeputyRef


@strawberry.type(
    description="A committee member's standing duty to keep in touch with one deputy "
    "(常委会组成人员联系代表)."
)
class ContactAssignment(Node):
    key_loader = resolve.ContactAssignmentByIdLoader

    start_date: date
    end_date: date | None
    contactor: DeputyRef = relation(
        ToOne(DeputyByIdLoader, "contactor_id"),
        description="The committee member who keeps in touch.",
    )
    committee: CommitteeRef = relation(ToOne(CommitteeByIdLoader, "committee_id"))
    deputy: DeputyRef = relation(ToOne(DeputyByIdLoader, "deputy_id"))
    logs: list[ContactLog] = relation(
        ToMany(resolve.LogsByAssignmentLoader, "id"),
        description="Contacts logged, the latest first.",
    )


@strawberry.type
class ContactLog(RowObject):
    date: date
    channel: ContactChannel
    summary: str
    row: strawberry.Private[Any]
