"""What a field reads, as plain data about loaders: declared once on the schema's field
(schema.fields.relation stores it in the strawberry field's metadata) and read by both
paths. The resolver path runs the loader in batches; the compiled path (compiled.relations)
nests the loader's query as a correlated subquery on the parent's row.

`attr` is always a column of the parent's row (the resolver path reads it off the row the
parent object was built from). Functions given here (`extra`, `key`, `query`) are declared
in schema/, beside the input types they read: their parameters are the field's arguments,
passed as the resolver path passes them (Python names, input objects built), so neither
path needs to know the other's argument types.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from resolvers.counts import LevelCountsLoader
from resolvers.deputies import MandatesByDeputyLoader
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader
from resolvers.pagination import Ordering
from resolvers.regions import RegionByCodeLoader

# Keys of a strawberry field's metadata.
SPEC = "registry.spec"  # a spec of this module
COLUMN = "registry.column"  # the column a plain field reads, when not its Python name


@dataclass(frozen=True)
class ToOne:
    """The row of `loader` whose key is the parent's `attr` (null when `attr` is)."""

    loader: type[RowByKeyLoader]
    attr: str


@dataclass(frozen=True)
class ToMany:
    """The rows of `loader` under the parent's `attr`, in the loader query's order.

    `only` keeps the rows whose column equals a value; `latest` answers the last row of the
    order alone (or null) instead of the list."""

    loader: type[RowsByKeyLoader]
    attr: str
    only: tuple[str, Any] | None = None
    latest: bool = False


@dataclass(frozen=True)
class PageOf:
    """A connection of the rows of `loader` under the parent's `attr`.

    `extra(**arguments)` turns the field's other arguments (its parameters, before `first`
    and `after`; keyword-only ones after them) into the loader's extra key."""

    loader: type[PageLoader]
    attr: str
    extra: Callable[..., Hashable] | None = None


@dataclass(frozen=True)
class LevelCounts:
    """A LevelCount per level, zeros included, under the parent's `attr`."""

    loader: type[LevelCountsLoader]
    attr: str


@dataclass(frozen=True)
class ActiveLevels:
    """The levels of the parent's active mandates, highest first."""

    loader: type[RowsByKeyLoader] = MandatesByDeputyLoader
    attr: str = "id"


@dataclass(frozen=True)
class Ancestors:
    """The regions of the parent's lineage above it, from the nation down."""

    loader: type[RowByKeyLoader] = RegionByCodeLoader
    attr: str = "lineage"


@dataclass(frozen=True)
class Personal:
    """Personal data: shown to callers whose region holds the person's `locality` (a
    region code column) or to admins (core.permissions.personal_scope), null otherwise."""

    locality: str
    regions: type[RowByKeyLoader] = RegionByCodeLoader


# ---------------------------------------------------------------- root fields of Query


@dataclass(frozen=True)
class Lookup:
    """One row of `loader` by the key `key(**arguments)` (null when there is none);
    `loader` is the answering type's `key_loader` (the resolver path calls its `load`)."""

    loader: type[RowByKeyLoader]
    key: Callable[..., Hashable]


@dataclass(frozen=True)
class Listing:
    """A connection over the rows and order `query(**arguments)` gives (first and after
    page it, as in PageOf)."""

    query: Callable[..., tuple[Select[Any], Ordering]]


@dataclass(frozen=True)
class NodeById:
    """Any node type's row by its global ID: the type's `key_loader`."""

    many: bool = False
