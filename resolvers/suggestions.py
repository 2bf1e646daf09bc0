"""Suggestions: the status and deadline rules as SQL, the suggestion filter, and loaders.

Status and overdue are defined here once, as SQL over the steps' own rows, and read the
registry as it stood at the end of a day (`as_of`; None means as it stands now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    literal,
    not_,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.engine import Row

from core.context import Context
from db.models import key_supervisions as supervisions
from db.models import suggestion_categories as categories
from db.models import suggestion_cosigners as cosigners
from db.models import suggestion_handlers as handlers
from db.models import suggestions
from db.session import RequestDatabase
from db.suggestions import SuggestionStatus
from resolvers.deputies import congresses_within, deputies_linked
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages


def taken(day: ColumnElement[Any], as_of: date | None) -> ColumnElement[bool]:
    """A step dated `day` had been taken by the end of `as_of` (always, when None)."""
    return and_(day.is_not(None), day <= as_of) if as_of is not None else day.is_not(None)


def handler_overdue(h: Any, as_of: date) -> ColumnElement[bool]:
    """Past its reply date on `as_of` with no reply by then (the due day itself is not late)."""
    return and_(
        h.c.assigned_on <= as_of,
        h.c.reply_due < as_of,
        or_(h.c.replied_on.is_(None), h.c.replied_on > as_of),
    )


def is_overdue(reply_due: date, replied_on: date | None, as_of: date) -> bool:
    """handler_overdue for one handler already loaded (the same rule, row by row)."""
    return reply_due < as_of and (replied_on is None or replied_on > as_of)


def status_expr(s: Any = suggestions, as_of: date | None = None) -> ColumnElement[str]:
    """SUBMITTED, then ASSIGNED once handed to units, REPLIED once every unit has replied,
    CLOSED once the lead deputy has rated the handling."""
    h = handlers.alias()
    assigned = exists().where(h.c.suggestion_id == s.c.id, taken(h.c.assigned_on, as_of))
    waiting = exists().where(
        h.c.suggestion_id == s.c.id,
        taken(h.c.assigned_on, as_of),
        not_(taken(h.c.replied_on, as_of)),
    )
    return case(
        (taken(s.c.rated_on, as_of), literal(SuggestionStatus.CLOSED.value)),
        (not_(assigned), literal(SuggestionStatus.SUBMITTED.value)),
        (waiting, literal(SuggestionStatus.ASSIGNED.value)),
        else_=literal(SuggestionStatus.REPLIED.value),
    )


SUGGESTION_COLUMNS = select(suggestions, status_expr().label("status"))
BY_SUBMITTED = Ordering(
    "suggestion", (suggestions.c.submitted_on, suggestions.c.id), descending=True
)


@dataclass(frozen=True)
class SuggestionSpec:
    """A suggestion filter in hashable form."""

    congress_id: int | None = None
    region_code: str | None = None
    year: int | None = None
    category_id: int | None = None
    status: SuggestionStatus | None = None
    key_supervised: bool | None = None
    overdue: bool | None = None
    deputy_id: int | None = None
    unit: str | None = None
    # The day status and overdue are judged on (today when None).
    as_of: date | None = None
    # An ID that names nothing (a wrong type): the filter matches no one.
    impossible: bool = False


def suggestion_conditions(spec: SuggestionSpec, today: date) -> list[ColumnElement[bool]]:
    s = suggestions
    if spec.impossible:
        return [literal(False)]
    conditions: list[ColumnElement[bool]] = []
    if spec.congress_id is not None:
        conditions.append(s.c.congress_id == spec.congress_id)
    if spec.region_code is not None:
        conditions.append(s.c.congress_id.in_(congresses_within(spec.region_code)))
    if spec.year is not None:
        conditions.append(s.c.submitted_on.between(date(spec.year, 1, 1), date(spec.year, 12, 31)))
    if spec.as_of is not None:
        conditions.append(s.c.submitted_on <= spec.as_of)
    if spec.category_id is not None:
        # A category matches its subcategories' suggestions too.
        below = select(categories.c.id).where(
            or_(categories.c.id == spec.category_id, categories.c.parent_id == spec.category_id)
        )
        conditions.append(s.c.category_id.in_(below))
    if spec.status is not None:
        conditions.append(status_expr(s, spec.as_of) == spec.status.value)
    if spec.key_supervised is not None:
        supervised = exists().where(
            supervisions.c.suggestion_id == s.c.id,
            taken(supervisions.c.since, spec.as_of),
        )
        conditions.append(supervised if spec.key_supervised else not_(supervised))
    if spec.overdue is not None:
        h = handlers.alias()
        late = exists().where(h.c.suggestion_id == s.c.id, handler_overdue(h, spec.as_of or today))
        conditions.append(late if spec.overdue else not_(late))
    if spec.deputy_id is not None:
        cosigned = exists().where(
            cosigners.c.suggestion_id == s.c.id, cosigners.c.deputy_id == spec.deputy_id
        )
        conditions.append(or_(s.c.lead_id == spec.deputy_id, cosigned))
    if spec.unit is not None:
        h = handlers.alias()
        conditions.append(exists().where(h.c.suggestion_id == s.c.id, h.c.unit == spec.unit))
    return conditions or [true()]


async def search_suggestions(
    context: Context, spec: SuggestionSpec, args: PageArgs, today: date
) -> Page:
    query = SUGGESTION_COLUMNS.where(*suggestion_conditions(spec, today))
    return (await fetch_pages(context.db, query, BY_SUBMITTED, args))[None]


class SuggestionByIdLoader(RowByKeyLoader):
    query = SUGGESTION_COLUMNS
    key = suggestions.c.id


# Every signature of a suggestion, the lead's included: (suggestion, deputy).
_signed = union_all(
    select(suggestions.c.id.label("suggestion_id"), suggestions.c.lead_id.label("deputy_id")),
    select(cosigners.c.suggestion_id, cosigners.c.deputy_id),
).subquery()


class SuggestionsByDeputyLoader(PageLoader):
    """Deputy.suggestions: those the deputy led or co-signed, the latest first."""

    query = SUGGESTION_COLUMNS.join(_signed, _signed.c.suggestion_id == suggestions.c.id)
    partition = _signed.c.deputy_id
    ordering = BY_SUBMITTED


class CosignersBySuggestionLoader(RowsByKeyLoader):
    query = deputies_linked(cosigners.c.deputy_id, cosigners.c.suggestion_id)
    key = cosigners.c.suggestion_id


class HandlersBySuggestionLoader(
    RowsByKeyLoader, key=handlers.c.suggestion_id, order_by=(handlers.c.role, handlers.c.unit)
):
    """The lead unit first, then the co-handlers by name."""


class SupervisionBySuggestionLoader(RowByKeyLoader, key=supervisions.c.suggestion_id): ...


class CategoryByIdLoader(RowByKeyLoader, key=categories.c.id): ...


class CategoriesByCongressLoader(
    RowsByKeyLoader, key=categories.c.congress_id, order_by=(categories.c.code,)
):
    """Both levels, in code order ('05' before '05.01' before '06')."""


class CategoriesByParentLoader(
    RowsByKeyLoader, key=categories.c.parent_id, order_by=(categories.c.code,)
): ...


# ---------------------------------------------------------------------------- the report

# The suggestions a report counts: a congress's, submitted in one calendar year, as the
# registry stood at the end of :as_of (steps dated later are not taken yet).
CHOSEN = """
    SELECT s.id, s.category_id, s.satisfaction,
           coalesce(s.rated_on <= :as_of, false) AS rated
    FROM suggestions s
    WHERE s.congress_id = :congress_id
      AND s.submitted_on BETWEEN make_date(:year, 1, 1) AND make_date(:year, 12, 31)
      AND s.submitted_on <= :as_of
"""

TOTALS = f"""
WITH chosen AS ({CHOSEN}),
handling AS (
    SELECT h.suggestion_id,
           bool_and(coalesce(h.replied_on <= :as_of AND h.replied_on <= h.reply_due, false))
               AS all_on_time,
           bool_or(h.reply_due < :as_of AND (h.replied_on IS NULL OR h.replied_on > :as_of))
               AS overdue
    FROM suggestion_handlers h JOIN chosen c ON c.id = h.suggestion_id
    WHERE h.assigned_on <= :as_of
    GROUP BY h.suggestion_id
),
figures AS (
    SELECT count(*) AS submitted,
           count(h.suggestion_id) AS assigned,
           count(*) FILTER (WHERE c.rated) AS closed,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM key_supervisions k WHERE k.suggestion_id = c.id AND k.since <= :as_of
           )) AS key_supervised,
           count(*) FILTER (WHERE h.all_on_time) AS replied_on_time,
           count(*) FILTER (WHERE h.overdue) AS overdue,
           count(*) FILTER (WHERE c.rated AND c.satisfaction <> 'DISSATISFIED') AS satisfied
    FROM chosen c LEFT JOIN handling h ON h.suggestion_id = c.id
)
SELECT submitted, assigned, closed, key_supervised, replied_on_time, overdue, satisfied,
       CASE WHEN closed = 0 THEN 0.0 ELSE CAST(satisfied AS float8) / closed END
           AS satisfaction_ratio
FROM figures
"""


@dataclass(frozen=True)
class SuggestionTotals:
    submitted: int
    assigned: int
    closed: int
    key_supervised: int
    replied_on_time: int
    overdue: int
    satisfied: int
    satisfaction_ratio: float


async def suggestion_totals(
    db: RequestDatabase, congress_id: int, year: int, as_of: date
) -> SuggestionTotals:
    params = {"congress_id": congress_id, "year": year, "as_of": as_of}
    row = (await db.execute(text(TOTALS), params)).one()
    return SuggestionTotals(**row._mapping)


# Every category of the level asked for, zeros included; a top-level category counts the
# suggestions filed under it and under its subcategories.
BY_CATEGORY = f"""
WITH chosen AS ({CHOSEN})
SELECT k.id, k.congress_id, k.parent_id, k.code, k.name, count(c.id) AS suggestions
FROM suggestion_categories k
LEFT JOIN suggestion_categories filed
       ON filed.congress_id = k.congress_id AND (filed.id = k.id OR filed.parent_id = k.id)
LEFT JOIN chosen c ON c.category_id = filed.id
WHERE k.congress_id = :congress_id AND (k.parent_id IS NULL) = :top
GROUP BY k.id ORDER BY k.code
"""


async def suggestions_by_category(
    db: RequestDatabase, congress_id: int, year: int, as_of: date, top: bool
) -> list[tuple[Row[Any], int]]:
    params = {"congress_id": congress_id, "year": year, "as_of": as_of, "top": top}
    rows = (await db.execute(text(BY_CATEGORY), params)).all()
    return [(row, row.suggestions) for row in rows]


BY_UNIT = f"""
WITH chosen AS ({CHOSEN})
SELECT h.unit,
       count(*) AS assigned,
       count(*) FILTER (WHERE h.replied_on <= :as_of) AS replied,
       count(*) FILTER (WHERE h.replied_on <= :as_of AND h.replied_on <= h.reply_due)
           AS replied_on_time,
       count(*) FILTER (WHERE h.reply_due < :as_of
                          AND (h.replied_on IS NULL OR h.replied_on > :as_of)) AS overdue,
       count(*) FILTER (WHERE c.rated AND c.satisfaction <> 'DISSATISFIED') AS satisfied
FROM suggestion_handlers h JOIN chosen c ON c.id = h.suggestion_id
WHERE h.assigned_on <= :as_of
GROUP BY h.unit ORDER BY assigned DESC, h.unit
"""


@dataclass(frozen=True)
class UnitFigures:
    unit: str
    assigned: int
    replied: int
    replied_on_time: int
    overdue: int
    satisfied: int


async def suggestions_by_unit(
    db: RequestDatabase, congress_id: int, year: int, as_of: date
) -> list[UnitFigures]:
    params = {"congress_id": congress_id, "year": year, "as_of": as_of}
    return [UnitFigures(**row._mapping) for row in await db.execute(text(BY_UNIT), params)]
