"""GraphQL types of congresses, terms and committees."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from db.enums import CommitteeKind, Level
from resolvers import committees as resolve
from schema.node import Node
from schema.pagination import Connection
from schema.regions import DeputyFilterRef, DeputyOrderRef, DeputyRef, Region

if TYPE_CHECKING:
    from schema.attendance import Meeting
    from schema.deputies import CommitteeMembership
    from schema.groups import DeputyGroup

MembershipRef = Annotated["CommitteeMembership", strawberry.lazy("schema.deputies")]
GroupRef = Annotated["DeputyGroup", strawberry.lazy("schema.groups")]
MeetingRef = Annotated["Meeting", strawberry.lazy("schema.attendance")]


@strawberry.type(description="A people's congress (人民代表大会) of one region.")
class Congress(Node):
    name: str
    level: Level
    id_: strawberry.Private[int]
    region_code: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> Congress:
        return cls(
            node_key=row.id, id_=row.id, name=row.name, level=row.level, region_code=row.region_code
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Congress | None:
        row = await info.context.loader(resolve.CongressByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def region(self, info: Info) -> Region:
        region = await Region.load(info, self.region_code)
        assert region is not None
        return region

    async def _terms(self, info: Info) -> list[Term]:
        rows = await info.context.loader(resolve.TermsByCongressLoader).load(self.id_)
        return [Term.from_row(r) for r in rows]

    @strawberry.field
    async def terms(self, info: Info) -> list[Term]:
        return await self._terms(info)

    @strawberry.field(description="The term in progress: the latest one, open-ended.")
    async def current_term(self, info: Info) -> Term | None:
        terms = await self._terms(info)
        return terms[-1] if terms else None

    async def _committees(self, info: Info) -> list[Committee]:
        rows = await info.context.loader(resolve.CommitteesByCongressLoader).load(self.id_)
        return [Committee.from_row(r) for r in rows]

    @strawberry.field(
        description="The standing committee (常务委员会); null for a township congress, which "
        "has none."
    )
    async def standing_committee(self, info: Info) -> Committee | None:
        found = [
            c for c in await self._committees(info) if c.kind is CommitteeKind.STANDING_COMMITTEE
        ]
        return found[0] if found else None

    @strawberry.field(
        description="Standing committee, special committees (专门委员会) and working bodies "
        "(工作委员会)."
    )
    async def committees(self, info: Info) -> list[Committee]:
        return await self._committees(info)

    @strawberry.field(
        description="Deputies holding a mandate in this congress (current term unless termNumber "
        "is given)."
    )
    async def deputies(
        self,
        info: Info,
        filter: DeputyFilterRef | None = None,
        order_by: DeputyOrderRef | None = None,
        term_number: int | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DeputyRef]:
        from schema.deputies import congress_deputies

        return await congress_deputies(info, self.id_, filter, order_by, term_number, first, after)

    @strawberry.field
    async def groups(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[GroupRef]:
        from schema.groups import congress_groups

        return await congress_groups(info, self.id_, first, after)


@strawberry.type(description="A term (届) of a congress, e.g. the 14th.")
class Term(Node):
    number: int
    start_date: date
    end_date: date | None
    congress_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Term:
        return cls(
            node_key=row.id,
            number=row.number,
            start_date=row.start_date,
            end_date=row.end_date,
            congress_id=row.congress_id,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Term | None:
        row = await info.context.loader(resolve.TermByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def congress(self, info: Info) -> Congress:
        congress = await Congress.load(info, self.congress_id)
        assert congress is not None
        return congress


@strawberry.type
class Committee(Node):
    name: str
    kind: CommitteeKind
    id_: strawberry.Private[int]
    congress_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Committee:
        return cls(
            node_key=row.id, id_=row.id, name=row.name, kind=row.kind, congress_id=row.congress_id
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Committee | None:
        row = await info.context.loader(resolve.CommitteeByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def congress(self, info: Info) -> Congress:
        congress = await Congress.load(info, self.congress_id)
        assert congress is not None
        return congress

    @strawberry.field
    async def members(self, info: Info) -> list[MembershipRef]:
        from schema.deputies import committee_members

        return await committee_members(info, self.id_)

    @strawberry.field
    async def meetings(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[MeetingRef]:
        from schema.attendance import committee_meetings

        return await committee_meetings(info, self.id_, first, after)


CongressRef = Annotated[Congress, strawberry.lazy("schema.committees")]
