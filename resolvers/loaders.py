"""The loader shapes every domain uses: rows by key, row lists by key, and pages by parent.

A loader lives in the request's Context (never at module level), runs one query per
batch, and returns results in key order. One that reads whole rows of one table is
declared in one line, e.g. `class TermByIdLoader(RowByKeyLoader, key=terms.c.id): ...`;
one with a query of its own sets `query` (and the rest) in its body.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import Column, ColumnElement, Integer, Select, Table, select
from sqlalchemy.engine import Row

from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages

if TYPE_CHECKING:
    from core.context import Context


class Loader(DataLoader[Any, Any]):
    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context


class RowByKeyLoader(Loader):
    """One row (or None) per key: `SELECT ... WHERE key IN (...)`."""

    query: ClassVar[Select[Any]]
    key: ClassVar[Column[Any]]

    def __init_subclass__(cls, *, key: Column[Any] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if key is not None:
            cls.key, cls.query = key, select(key.table)

    @classmethod
    def key_of(cls, given: Any) -> Hashable:
        """The key as the column holds it, from an ID's text (or the key itself)."""
        return int(given) if isinstance(cls.key.type, Integer) else given

    async def batch_load_fn(self, keys: Sequence[Hashable]) -> list[Row[Any] | None]:
        rows = (await self.context.db.execute(self.query.where(self.key.in_(keys)))).all()
        by_key = {row._mapping[self.key.key]: row for row in rows}
        return [by_key.get(k) for k in keys]


class RowsByKeyLoader(Loader):
    """A list of rows per key, in the query's order."""

    query: ClassVar[Select[Any]]
    key: ClassVar[Column[Any]]

    def __init_subclass__(
        cls,
        *,
        key: Column[Any] | None = None,
        order_by: Sequence[ColumnElement[Any]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if key is not None:
            cls.key, cls.query = key, select(key.table).order_by(*order_by)

    async def batch_load_fn(self, keys: Sequence[Hashable]) -> list[list[Row[Any]]]:
        rows = (await self.context.db.execute(self.query.where(self.key.in_(keys)))).all()
        by_key: dict[Hashable, list[Row[Any]]] = defaultdict(list)
        for row in rows:
            by_key[row._mapping[self.key.key]].append(row)
        return [by_key.get(k, []) for k in keys]


Extra = TypeVar("Extra", bound=Hashable)


class PageLoader(Loader, Generic[Extra]):
    """A page per (parent, extra, PageArgs): one statement per distinct (extra, PageArgs)
    in the batch; `extra` is the loader's own arguments (filters, order), typed per loader."""

    query: ClassVar[Select[Any]]
    partition: ClassVar[ColumnElement[Any]]
    ordering: ClassVar[Ordering]

    def __init_subclass__(
        cls,
        *,
        partition: Column[Any] | None = None,
        ordering: Ordering | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if partition is not None and ordering is not None:
            cls.partition, cls.ordering = partition, ordering
            cls.query = select(partition.table)

    def source(self, extra: Extra) -> Select[Any]:
        """The rows to page; loaders with extra arguments (filters) narrow it here."""
        return self.query

    def page_ordering(self, extra: Extra) -> Ordering:
        return self.ordering

    def counts(self, extra: Extra) -> Select[Any] | None:
        """Totals kept in a table of their own, as rows of (`_p` parent, `n`) to be summed;
        None to count the rows of `source`."""
        return None

    async def batch_load_fn(self, keys: Sequence[tuple[Hashable, Extra, PageArgs]]) -> list[Page]:
        groups: dict[tuple[Extra, PageArgs], list[Hashable]] = defaultdict(list)
        for parent, extra, args in keys:
            groups[(extra, args)].append(parent)
        found: dict[tuple[Hashable, Extra, PageArgs], Page] = {}
        for (extra, args), parents in groups.items():
            pages = await fetch_pages(
                self.context.db,
                self.source(extra),
                self.page_ordering(extra),
                args,
                partition=self.partition,
                parents=parents,
                counts=self.counts(extra),
            )
            for parent in parents:
                found[(parent, extra, args)] = pages[parent]
        return [found[k] for k in keys]


def linked(rows: Table, link: Column[Any], key: Column[Any]) -> Select[Any]:
    """The rows that the link table's `link` column points at, each with the link row's
    `key`: a RowsByKeyLoader's query through a table of pairs."""
    return select(rows, key).join(link.table, link == rows.c.id)
