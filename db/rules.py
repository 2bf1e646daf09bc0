"""The registry's rules as SQL, for every surface that filters or masks in the database.

Who may see or write what is decided once, in `core.permissions`, as a `RegionScope`; the
functions here turn a scope into a condition on a lineage column. Domain rules that are
facts about rows (a mandate in force on a date, a deputy eligible for a committee) are
stated here as SQL expressions that the resolver path, the compiled path, the exports and
the imports all use.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    TableClause,
    and_,
    case,
    column,
    false,
    literal_column,
    not_,
    null,
    or_,
    table,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.types import String

from core.permissions import RegionScope


def scope_admits(scope: RegionScope, lineage: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL: whether the region with this lineage column lies inside the scope."""
    if scope.everywhere:
        return true()
    if scope.root is None:
        return false()
    return lineage.contains(array([scope.root], type_=String))


def masked(
    scope: RegionScope, lineage: ColumnElement[Any], value: ColumnElement[Any]
) -> ColumnElement[Any]:
    """SQL: the value where the scope admits the row's lineage, NULL elsewhere."""
    if scope.everywhere:
        return value
    if scope.root is None:
        return null()
    return case((scope_admits(scope, lineage), value), else_=null())


def scope_admits_sql(scope: RegionScope, lineage: str, param: str = "scope_root") -> str:
    """The same condition as text, for hand-written SQL; binds `:<param>` to `scope.root`."""
    if scope.everywhere:
        return "true"
    if scope.root is None:
        return "false"
    return f"{lineage} @> ARRAY[CAST(:{param} AS varchar)]"


def masked_sql(scope: RegionScope, lineage: str, value: str, param: str = "scope_root") -> str:
    """`masked` as text: the value where the scope admits the lineage, NULL elsewhere."""
    if scope.everywhere:
        return value
    if scope.root is None:
        return "NULL"
    return f"CASE WHEN {scope_admits_sql(scope, lineage, param)} THEN {value} END"


# ---------------------------------------------------------------- mandates and eligibility
#
# The rules below take the tables they read as arguments (a `Table`, an alias, or for
# hand-written SQL a `named` stand-in), so the resolvers, the mutations and the imports ask
# the same expression of their own FROM clauses. `as_text` turns an expression over
# stand-ins into SQL text for statements that are written by hand.

Day = date | ColumnElement[Any]


def mandate_held(m: Any, day: Day) -> ColumnElement[bool]:
    """The mandate was held on `day` (start and end dates inclusive), suspended or not."""
    return and_(m.c.start_date <= day, or_(m.c.end_date.is_(None), m.c.end_date >= day))


def mandate_suspended(m: Any, day: Day) -> ColumnElement[bool]:
    """The mandate was suspended on `day` (the suspension's dates inclusive)."""
    return and_(
        m.c.suspended_from.is_not(None),
        m.c.suspended_from <= day,
        or_(m.c.suspended_until.is_(None), m.c.suspended_until >= day),
    )


def mandate_in_force(m: Any, day: Day) -> ColumnElement[bool]:
    """The mandate was in force on `day`: held, and not suspended on that day."""
    return and_(mandate_held(m, day), not_(mandate_suspended(m, day)))


def eligible_for(
    m: Any,
    congress: Any,
    locality_lineage: ColumnElement[Any],
    day: Day,
    own_only: bool | ColumnElement[bool] = False,
) -> ColumnElement[bool]:
    """DESIGN.md, "eligible deputy": the mandate lets its deputy take part in the work of a
    committee, group or meeting of `congress` on `day`: in force then, and either in the
    congress itself or (unless `own_only`) at a level above it, with the deputy's locality
    inside the congress's region."""
    own = m.c.congress_id == congress.c.id
    from_above = and_(
        m.c.level < congress.c.level,
        locality_lineage.contains(array([congress.c.region_code], type_=String)),
    )
    if isinstance(own_only, bool):
        where = own if own_only else or_(own, from_above)
    else:
        where = or_(own, and_(not_(own_only), from_above))
    return and_(mandate_in_force(m, day), where)


def named(alias: str, *columns: str) -> TableClause:
    """A stand-in for a table of hand-written SQL: its alias and the columns a rule reads."""
    return table(alias, *(column(c) for c in columns))


MANDATE_COLUMNS = (
    "start_date", "end_date", "suspended_from", "suspended_until", "congress_id", "level",
)  # fmt: skip
CONGRESS_COLUMNS = ("id", "level", "region_code")


def as_text(expression: ColumnElement[Any]) -> str:
    """An expression over `named` stand-ins as SQL text (`:name` parameters stay parameters)."""
    return str(expression.compile(dialect=postgresql.dialect()))


def mandate_in_force_sql(m: str = "m", day: str = ":day") -> str:
    """`mandate_in_force` as text, for the mandates aliased `m` on the SQL value `day`."""
    return as_text(mandate_in_force(named(m, *MANDATE_COLUMNS), literal_column(day)))


def eligible_for_sql(m: str, congress: str, locality_lineage: str, day: str, own_only: str) -> str:
    """`eligible_for` as text: aliases of the mandates and the congress, and SQL values."""
    return as_text(
        eligible_for(
            named(m, *MANDATE_COLUMNS),
            named(congress, *CONGRESS_COLUMNS),
            literal_column(locality_lineage, type_=postgresql.ARRAY(String)),
            literal_column(day),
            literal_column(own_only),
        )
    )
