"""The registry's rules as SQL, for every surface that filters or masks in the database.

Who may see or write what is decided once, in `core.permissions`, as a `RegionScope`; the
functions here turn a scope into a condition on a lineage column. Domain rules that are
facts about rows (a mandate in force on a date, a deputy eligible for a committee) are
stated here as SQL expressions that the resolver path, the compiled path, the exports and
the imports all use.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, false, null, true
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
