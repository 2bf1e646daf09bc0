"""Fields declared once for both read paths.

`relation(spec)` writes a field's resolver from a spec of resolvers.relations (batched
through the spec's loader) and keeps the spec in the strawberry field's metadata, where the
compiled path (compiled.declared) reads it. `personal(...)` does the same for personal
data, `column(name)` names the column a plain field reads.

Plain fields read the column of their Python name from the row the object was built from
(RowObject.from_row); a field whose column is named otherwise says so with `column(name)`.
An object keeps its row (`row`), and the relations read their `attr` columns off it, as
the compiled path reads them off the row's SQL.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import strawberry
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType
from strawberry.types import Info
from strawberry.types.private import is_private

from core.permissions import can_see_personal, needs_region_check
from db.enums import Level, MandateStatus
from resolvers.loaders import RowByKeyLoader
from resolvers.pagination import fetch_pages
from resolvers.relations import (
    COLUMN,
    SPEC,
    ActiveLevels,
    Ancestors,
    LevelCounts,
    Listing,
    Lookup,
    PageOf,
    Personal,
    ToMany,
    ToOne,
)
from schema.counts import level_counts
from schema.pagination import page_args_for, to_connection


class RowObject:
    """A GraphQL object built from one row: plain fields from its columns, `row` kept.

    A node type names the loader that finds its row by key (`key_loader`): Query.node
    and both read paths find it by that."""

    key_loader: ClassVar[type[RowByKeyLoader]]

    @classmethod
    def key_column(cls) -> str:
        """The column a global ID encodes: the key loader's key, else `id`."""
        loader = getattr(cls, "key_loader", None)
        return loader.key.key if loader is not None else "id"

    @classmethod
    def from_row(cls, row: Any) -> Any:
        values = {name: getattr(row, col) for name, col in _columns(cls)}
        return cls(row=row, **values)  # type: ignore[call-arg]

    @classmethod
    async def load(cls, info: Info, key: Any) -> Any:
        loader = cls.key_loader
        row = await info.context.loader(loader).load(loader.key_of(key))
        return cls.from_row(row) if row else None


_COLUMNS: dict[type, tuple[tuple[str, str], ...]] = {}


def _columns(cls: type) -> tuple[tuple[str, str], ...]:
    """(attribute, column) of the plain fields of a strawberry type."""
    found = _COLUMNS.get(cls)
    if found is None:
        definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
        found = _COLUMNS[cls] = tuple(
            (f.python_name, f.metadata.get(COLUMN, f.python_name))
            for f in definition.fields
            if f.base_resolver is None and not is_private(f.type)
        )
    return found


def column(name: str, **options: Any) -> Any:
    """A plain field that reads the column `name` (by default a field reads the column of
    its own Python name)."""
    return strawberry.field(metadata={COLUMN: name}, **options)


def _named(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        type_ = type_.of_type
    return type_


def _row_class(info: Info) -> Any:
    """The Python class of the objects the field answers (a connection's nodes too)."""
    type_: GraphQLObjectType = _named(info._raw_info.return_type)
    if "pageInfo" in type_.fields:
        type_ = _named(type_.fields["nodes"].type)
    return type_.extensions["strawberry-definition"].origin


def _key(obj: Any, attr: str) -> Any:
    return getattr(obj.row, attr)


def _one(spec: ToOne) -> Callable[..., Any]:
    async def resolve(self: Any, info: Info) -> Any:
        key = _key(self, spec.attr)
        row = None if key is None else await info.context.loader(spec.loader).load(key)
        return None if row is None else _row_class(info).from_row(row)

    return resolve


def _many(spec: ToMany) -> Callable[..., Any]:
    async def resolve(self: Any, info: Info) -> Any:
        rows = await info.context.loader(spec.loader).load(_key(self, spec.attr))
        if spec.only is not None:
            name, value = spec.only
            rows = [r for r in rows if getattr(r, name) == value]
        make = _row_class(info).from_row
        if spec.latest:
            return make(rows[-1]) if rows else None
        return [make(r) for r in rows]

    return resolve


def _level_counts(spec: LevelCounts) -> Callable[..., Any]:
    async def resolve(self: Any, info: Info) -> Any:
        return level_counts(await info.context.loader(spec.loader).load(_key(self, spec.attr)))

    return resolve


def _active_levels(spec: ActiveLevels) -> Callable[..., Any]:
    async def resolve(self: Any, info: Info) -> Any:
        rows = await info.context.loader(spec.loader).load(_key(self, spec.attr))
        active = {r.level for r in rows if r.status is MandateStatus.ACTIVE}
        return [level for level in Level if level in active]

    return resolve


def _ancestors(spec: Ancestors) -> Callable[..., Any]:
    async def resolve(self: Any, info: Info) -> Any:
        lineage = _key(self, spec.attr)
        rows = await info.context.loader(spec.loader).load_many(lineage[:-1])
        make = _row_class(info).from_row
        return [make(r) for r in rows if r]

    return resolve


def _page(spec: PageOf) -> Callable[..., Any]:
    async def resolve(
        self: Any, info: Info, first: int | None = None, after: str | None = None, **arguments: Any
    ) -> Any:
        extra = spec.extra(**arguments) if spec.extra is not None else None
        args = page_args_for(info, first, after)
        loader = info.context.loader(spec.loader)
        page = await loader.load((_key(self, spec.attr), extra, args))
        return to_connection(page, _row_class(info).from_row)

    return _with_arguments(resolve, spec.extra, paged=True)


def _listing(spec: Listing) -> Callable[..., Any]:
    async def resolve(
        self: Any, info: Info, first: int | None = None, after: str | None = None, **arguments: Any
    ) -> Any:
        source, ordering = spec.query(**arguments)
        args = page_args_for(info, first, after)
        page = (await fetch_pages(info.context.db, source, ordering, args))[None]
        return to_connection(page, _row_class(info).from_row)

    return _with_arguments(resolve, spec.query, paged=True)


def _lookup(spec: Lookup) -> Callable[..., Any]:
    async def resolve(self: Any, info: Info, **arguments: Any) -> Any:
        # Through the type's own load (its key_loader is the spec's loader).
        return await _row_class(info).load(info, spec.key(**arguments))

    return _with_arguments(resolve, spec.key, paged=False)


def _personal(spec: Personal) -> Callable[..., Any]:
    async def resolve(self: Any, info: Info) -> Any:
        caller = info.context.caller
        lineage: list[str] = []
        if needs_region_check(caller):
            region = await info.context.loader(spec.regions).load(_key(self, spec.locality))
            lineage = region.lineage if region else []
        return _key(self, info.python_name) if can_see_personal(caller, lineage) else None

    return resolve


_P = inspect.Parameter
_PAGING = [
    _P("first", _P.KEYWORD_ONLY, annotation=int | None, default=None),
    _P("after", _P.KEYWORD_ONLY, annotation=str | None, default=None),
]


def _with_arguments(
    resolve: Callable[..., Any], declared: Callable[..., Any] | None, *, paged: bool
) -> Callable[..., Any]:
    """`resolve` with the field's arguments: the parameters of `declared`, and `first` and
    `after` after them when paged (keyword-only parameters of `declared` come last)."""
    own = list(inspect.signature(declared).parameters.values()) if declared else []
    before = [p.replace(kind=_P.KEYWORD_ONLY) for p in own if p.kind is not _P.KEYWORD_ONLY]
    after = [p for p in own if p.kind is _P.KEYWORD_ONLY]
    params = [
        _P("self", _P.POSITIONAL_OR_KEYWORD),
        _P("info", _P.KEYWORD_ONLY, annotation=Info),
        *before,
        *(_PAGING if paged else []),
        *after,
    ]
    resolve.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    annotations = dict(declared.__annotations__) if declared else {}
    annotations.pop("return", None)
    annotations |= {p.name: p.annotation for p in params[1:] if p.name not in annotations}
    resolve.__annotations__ = annotations
    if declared is not None:  # its annotations are resolved in its own module
        resolve.__module__ = declared.__module__
    return resolve


_RESOLVERS: dict[type, Callable[[Any], Callable[..., Any]]] = {
    ToOne: _one,
    ToMany: _many,
    PageOf: _page,
    LevelCounts: _level_counts,
    ActiveLevels: _active_levels,
    Ancestors: _ancestors,
    Listing: _listing,
    Lookup: _lookup,
    Personal: _personal,
}


def relation(spec: Any, **options: Any) -> Any:
    """A field that answers `spec` (a spec of resolvers.relations) on both read paths.

    The field's type is the class annotation it is assigned to; its arguments are those of
    the spec's function (PageOf.extra, Listing.query, Lookup.key), and `first` and `after`
    for a connection. `options` go to strawberry.field (description, ...)."""
    resolver = _RESOLVERS[type(spec)](spec)
    return strawberry.field(resolver=resolver, metadata={SPEC: spec}, **options)


def personal(locality: str, **options: Any) -> Any:
    """Personal data: the column of the field's Python name, shown only to callers who may
    see the personal data of a person living in the region `locality` names."""
    return relation(Personal(locality), **options)


def declared(spec: Any, **options: Any) -> Any:
    """A field with a hand-written resolver (`options["resolver"]` or a decorated method)
    whose spec the compiled path answers, such as Query.node."""
    return strawberry.field(metadata={SPEC: spec}, **options)
