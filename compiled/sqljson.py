"""SQL expressions that build JSON the way the resolver path serialises it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, cast, func, literal_column, text
from sqlalchemy.types import String, Text


def key(name: str) -> ColumnElement[Any]:
    """A JSON object key: GraphQL names are [_A-Za-z0-9]+, safe to inline."""
    return literal_column(f"'{name}'", String)


def string(value: str) -> ColumnElement[Any]:
    """A constant string (a type name, a cursor tag), inlined and quoted."""
    return literal_column("'" + value.replace("'", "''") + "'", String)


def base64(value: ColumnElement[Any]) -> ColumnElement[Any]:
    # encode(..., 'base64') wraps lines at 76 characters; IDs and cursors never do.
    return func.translate(
        func.encode(func.convert_to(value, text("'UTF8'")), text("'base64'")),
        text("E'\\n'"),
        text("''"),
    )


def global_id(type_name: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The same opaque ID as resolvers.ids.encode_id: base64 of '<Type>:<key>'."""
    return base64(func.concat(string(type_name + ":"), column))


def cursor(tag: str, keys: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """The same cursor as resolvers.pagination.encode_cursor: URL-safe base64 of the JSON
    array [tag, key values...] (PostgreSQL prints arrays as Python's json.dumps does)."""
    as_text = cast(func.json_build_array(string(tag), *keys), Text)
    return func.translate(base64(as_text), text("'+/'"), text("'-_'"))


class TooWide(Exception):
    """json_build_object takes at most 100 arguments (50 fields)."""


def build_object(pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    if len(pairs) > 50:
        raise TooWide
    args: list[ColumnElement[Any]] = []
    for name, value in pairs:
        args += [key(name), value]
    return func.json_build_object(*args)


EMPTY_ARRAY: ColumnElement[Any] = literal_column("'[]'::json")


def timestamp(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A timestamptz as Python's isoformat() writes it (the resolver path's DateTime):
    UTC offset '+00:00', microseconds only when there are any."""
    utc = func.timezone(text("'UTC'"), value)
    return case(
        (
            func.to_char(utc, text("'US'")) == string("000000"),
            func.to_char(utc, text('\'YYYY-MM-DD"T"HH24:MI:SS"+00:00"\'')),
        ),
        else_=func.to_char(utc, text('\'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"\'')),
    )
