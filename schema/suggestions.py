"""GraphQL types of suggestions (代表建议), their categories and handling, and the list."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from core.codes import Code
from db.suggestions import HandlerRole, Satisfaction, SuggestionOutcome, SuggestionStatus
from resolvers import suggestions as resolve
from resolvers.committees import CommitteeByIdLoader, CongressByIdLoader, TermByIdLoader
from resolvers.deputies import DeputyByIdLoader
from resolvers.relations import ToMany, ToOne
from schema.counts import shown
from schema.fields import RowObject, relation
from schema.node import Node, decode_int_id
from schema.pagination import Connection, page_args_for, to_connection
from schema.refs import CommitteeRef, CongressRef, DeputyRef, TermRef

strawberry.enum(
    SuggestionStatus,
    description="Where a suggestion stands. Deadlines: a reply within 3 months of "
    "assignment, 6 for complex ones.",
)
strawberry.enum(
    SuggestionOutcome,
    description="How a handling unit answered: SOLVED 已解决或采纳; IN_PROGRESS 正在解决或列入"
    "计划; EXPLAINED 因条件限制留作参考, with an explanation.",
)
strawberry.enum(Satisfaction, description="The lead deputy's rating (满意/基本满意/不满意).")
strawberry.enum(HandlerRole, description="LEAD: 主办; CO: 协办.")


@strawberry.type(
    description="A congress's two-level classification (e.g. 13 categories, 30 subcategories)."
)
class SuggestionCategory(Node):
    code: str = strawberry.field(description="'05' for a category, '05.02' for a subcategory.")
    name: str
    parent: SuggestionCategory | None = relation(ToOne(resolve.CategoryByIdLoader, "parent_id"))
    children: list[SuggestionCategory] = relation(
        ToMany(resolve.CategoriesByParentLoader, "id"),
        description="The subcategories, in code order.",
    )
    congress: CongressRef = relation(ToOne(CongressByIdLoader, "congress_id"))

    @classmethod
    async def load(cls, info: Info, key: str | int) -> SuggestionCategory | None:
        row = await info.context.loader(resolve.CategoryByIdLoader).load(int(key))
        return cls.from_row(row) if row else None


@strawberry.type(description="One handling unit's part in a suggestion (承办单位).")
class SuggestionHandler(RowObject):
    unit: str
    role: HandlerRole
    assigned_on: date
    reply_due: date = strawberry.field(
        description="3 months after assignment, 6 for a complex suggestion (Law on Deputies)."
    )
    replied_on: date | None
    outcome: SuggestionOutcome | None
    row: strawberry.Private[Any]

    @strawberry.field(
        description="Past replyDue without a reply (as of today, or as of the end of asOf)."
    )
    def overdue(self, as_of: date | None = None) -> bool:
        return resolve.is_overdue(self.reply_due, self.replied_on, as_of or date.today())


@strawberry.type(
    description="重点督办: a suggestion picked for supervised handling, with the committee "
    "that supervises it."
)
class KeySupervision(RowObject):
    since: date
    row: strawberry.Private[Any]
    committee: CommitteeRef = relation(ToOne(CommitteeByIdLoader, "committee_id"))
    leader: DeputyRef | None = relation(
        ToOne(DeputyByIdLoader, "leader_id"),
        description="The standing-committee leader who leads the supervision, if any.",
    )


@strawberry.type(description="代表建议: raised by a lead deputy with co-signers.")
class Suggestion(Node):
    number: str = strawberry.field(description="The congress's own number for it, e.g. 0123.")
    title: str
    submitted_on: date
    during_session: bool = strawberry.field(
        description="Submitted at a session of the congress (大会期间) rather than between "
        "sessions."
    )
    status: SuggestionStatus
    satisfaction: Satisfaction | None = strawberry.field(
        description="The lead deputy's rating of the handling, once given."
    )
    rated_on: date | None = strawberry.field(description="When the rating closed it.")
    congress: CongressRef = relation(ToOne(CongressByIdLoader, "congress_id"))
    term: TermRef = relation(ToOne(TermByIdLoader, "term_id"))
    category: SuggestionCategory = relation(ToOne(resolve.CategoryByIdLoader, "category_id"))
    lead: DeputyRef = relation(ToOne(DeputyByIdLoader, "lead_id"))
    cosigners: list[DeputyRef] = relation(ToMany(resolve.CosignersBySuggestionLoader, "id"))
    handlers: list[SuggestionHandler] = relation(
        ToMany(resolve.HandlersBySuggestionLoader, "id"),
        description="The lead unit first, then the co-handlers.",
    )
    key_supervision: KeySupervision | None = relation(
        ToOne(resolve.SupervisionBySuggestionLoader, "id")
    )

    @classmethod
    def from_row(cls, row: Any) -> Suggestion:
        found: Suggestion = super().from_row(row)
        found.status = SuggestionStatus(row.status)  # derived in SQL as its label
        return found

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Suggestion | None:
        row = await info.context.loader(resolve.SuggestionByIdLoader).load(int(key))
        return cls.from_row(row) if row else None


@strawberry.input
class SuggestionFilter:
    congress_id: strawberry.ID | None = None
    region_code: str | None = strawberry.field(
        default=None, description="Suggestions to the congresses of this region and below."
    )
    year: int | None = strawberry.field(default=None, description="Submitted in this year.")
    category_id: strawberry.ID | None = strawberry.field(
        default=None, description="A category matches its subcategories' suggestions too."
    )
    status: SuggestionStatus | None = None
    key_supervised: bool | None = None
    overdue: bool | None = None
    deputy_id: strawberry.ID | None = strawberry.field(
        default=None, description="Led or co-signed by this deputy."
    )
    unit: str | None = strawberry.field(default=None, description="Handled by this unit.")
    as_of: date | None = strawberry.field(
        default=None,
        description="Judge status and overdue at the end of this day instead of today "
        "(suggestions submitted later are left out).",
    )


def _key(global_id: str | None, type_name: str) -> tuple[int | None, bool]:
    """(key, impossible): an ID of another type or a malformed one matches nothing."""
    if global_id is None:
        return None, False
    key = decode_int_id(global_id, type_name)
    return key, key is None


def suggestion_spec(given: SuggestionFilter | None) -> resolve.SuggestionSpec:
    f = given or SuggestionFilter()
    congress, bad_congress = _key(f.congress_id, "Congress")
    category, bad_category = _key(f.category_id, "SuggestionCategory")
    deputy, bad_deputy = _key(f.deputy_id, "Deputy")
    if f.year is not None:
        check_year(f.year)
    return resolve.SuggestionSpec(
        congress_id=congress,
        region_code=f.region_code.strip() if f.region_code else None,
        year=f.year,
        category_id=category,
        status=f.status,
        key_supervised=f.key_supervised,
        overdue=f.overdue,
        deputy_id=deputy,
        unit=f.unit.strip() if f.unit else None,
        as_of=f.as_of,
        impossible=bad_congress or bad_category or bad_deputy,
    )


async def deputy_suggestions(
    info: Info, deputy_id: int, first: int | None, after: str | None
) -> Connection[Suggestion]:
    args = page_args_for(info, first, after)
    page = await info.context.loader(resolve.SuggestionsByDeputyLoader).load(
        (deputy_id, None, args)
    )
    return to_connection(page, Suggestion.from_row)


def congress_key(congress_id: str) -> int:
    key = decode_int_id(congress_id, "Congress")
    if key is None:
        raise GraphQLError(
            f"{congress_id!r} is not a congress ID.", extensions={"code": Code.NOT_FOUND}
        )
    return key


@strawberry.type
class SuggestionQuery:
    @strawberry.field(description="Suggestions, the latest submitted first.")
    async def suggestions(
        self,
        info: Info,
        filter: SuggestionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Suggestion]:
        page = await resolve.search_suggestions(
            info.context, suggestion_spec(filter), page_args_for(info, first, after), date.today()
        )
        return to_connection(page, Suggestion.from_row)

    @strawberry.field(description="A congress's categories, both levels, in code order.")
    async def suggestion_categories(
        self, info: Info, congress_id: strawberry.ID
    ) -> list[SuggestionCategory]:
        rows = await info.context.loader(resolve.CategoriesByCongressLoader).load(
            congress_key(congress_id)
        )
        return [SuggestionCategory.from_row(r) for r in rows]


@strawberry.type
class CategoryCount:
    category: SuggestionCategory
    count: int


@strawberry.type(description="How one handling unit did with the suggestions of the report.")
class UnitHandling:
    unit: str
    assigned: int
    replied: int
    replied_on_time: int
    overdue: int = strawberry.field(description="Past the reply date without a reply.")
    satisfied: int = strawberry.field(
        description="Of its suggestions, those rated SATISFIED or BASICALLY_SATISFIED."
    )


@strawberry.type(
    description="Figures of a congress's suggestions in one year, as congresses publish them."
)
class SuggestionReport:
    submitted: int
    assigned: int = strawberry.field(description="Handed to at least one unit (交办).")
    closed: int = strawberry.field(description="Rated by the lead deputy (办结).")
    key_supervised: int
    replied_on_time: int = strawberry.field(
        description="Every unit replied, each by its reply date."
    )
    overdue: int = strawberry.field(description="At least one unit past its reply date.")
    satisfaction_ratio: float = strawberry.field(
        description="Rated SATISFIED or BASICALLY_SATISFIED, over all rated (0 when none is)."
    )
    congress_id: strawberry.Private[int]
    year: strawberry.Private[int]
    as_of: strawberry.Private[date]

    async def _categories(self, info: Info, top: bool) -> list[CategoryCount]:
        rows = await resolve.suggestions_by_category(
            info.context.db, self.congress_id, self.year, self.as_of, top
        )
        return [CategoryCount(category=SuggestionCategory.from_row(r), count=n) for r, n in rows]

    @strawberry.field(description="Per top-level category (its subcategories included), zeros too.")
    async def by_category(self, info: Info) -> list[CategoryCount]:
        return await self._categories(info, top=True)

    @strawberry.field(description="Per subcategory, zeros too.")
    async def by_subcategory(self, info: Info) -> list[CategoryCount]:
        return await self._categories(info, top=False)

    @strawberry.field(description="Per handling unit, the busiest first.")
    async def by_unit(self, info: Info) -> list[UnitHandling]:
        rows = await resolve.suggestions_by_unit(
            info.context.db, self.congress_id, self.year, self.as_of
        )
        return [shown(UnitHandling, u) for u in rows]


def check_year(year: int) -> None:
    if not 1949 <= year <= 2100:
        raise GraphQLError(
            f"No year {year} in the registry.", extensions={"code": Code.INVALID_VALUE}
        )


async def suggestion_report(
    info: Info, congress_id: str, year: int, as_of: date | None
) -> SuggestionReport:
    """Reports.suggestions: as the registry stood at the end of asOf (today by default)."""
    key = congress_key(congress_id)
    check_year(year)
    day = as_of or date.today()
    totals = await resolve.suggestion_totals(info.context.db, key, year, day)
    return shown(SuggestionReport, totals, congress_id=key, year=year, as_of=day)
