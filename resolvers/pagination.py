"""Keyset pagination in SQL: one statement pages every parent of a batch at once.

A page is cut by comparing the row's sort key with the cursor's (`(k1, k2) > (:a, :b)`),
never by OFFSET, so a cursor stays right while rows are inserted before it. Children of
many parents are paged by one statement with row_number() over each parent.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from graphql import GraphQLError
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    column,
    func,
    literal,
    select,
    tuple_,
    values,
)
from sqlalchemy.engine import Row

from core.settings import Settings
from db.session import RequestDatabase


@dataclass(frozen=True)
class Ordering:
    """A sort order: a tag that cursors carry, the key expressions, and the direction."""

    tag: str
    keys: tuple[ColumnElement[Any], ...]
    descending: bool = False


@dataclass(frozen=True)
class PageArgs:
    first: int
    after: str | None
    with_count: bool
    # The largest `boundedCount(limit:)` asked for, or None: rows are counted up to one more.
    count_limit: int | None = None


def count_limit(settings: Settings, limit: int | None) -> int:
    """A boundedCount's limit: the ceiling by default, and never above it (the cost of a
    bounded count is that of reading `limit` rows)."""
    if limit is None:
        return settings.count_ceiling
    if limit < 0:
        raise GraphQLError(f"`limit` must not be negative (got {limit}).")
    if limit > settings.count_ceiling:
        raise GraphQLError(
            f"`limit` may be at most {settings.count_ceiling} (got {limit}); "
            "ask for totalCount for the exact number."
        )
    return limit


def page_args(
    settings: Settings,
    first: int | None,
    after: str | None,
    with_count: bool,
    count_limits: Sequence[int | None] = (),
) -> PageArgs:
    """`count_limits`: the `limit` of each boundedCount selected (None for the default)."""
    limits = [count_limit(settings, limit) for limit in count_limits]
    if first is None:
        first = settings.default_page_size
    if first < 0:
        raise GraphQLError(f"`first` must not be negative (got {first}).")
    if first > settings.max_page_size:
        raise GraphQLError(
            f"`first` may be at most {settings.max_page_size} (got {first}); page with `after`."
        )
    return PageArgs(first, after, with_count, max(limits) if limits else None)


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    return value


def encode_cursor(ordering: Ordering, row: Row[Any]) -> str:
    values = [ordering.tag, *(_plain(row._mapping[f"_k{i}"]) for i in range(len(ordering.keys)))]
    return base64.urlsafe_b64encode(json.dumps(values, ensure_ascii=False).encode()).decode()


def _fits(column_type: Any, value: int) -> bool:
    """Whether a cursor's integer fits the key's column: the driver refuses one that does
    not, which would surface as INTERNAL instead of an invalid cursor."""
    if isinstance(column_type, BigInteger):
        bits = 64
    elif isinstance(column_type, SmallInteger):
        bits = 16
    elif isinstance(column_type, Integer):
        bits = 32
    else:
        return True
    return -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)


def decode_cursor(ordering: Ordering, cursor: str) -> list[Any]:
    invalid = GraphQLError(f"Invalid cursor {cursor!r}: use a cursor from the same list and order.")
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if not isinstance(values, list) or len(values) != len(ordering.keys) + 1:
        raise invalid
    if values[0] != ordering.tag:
        raise invalid
    decoded = []
    for key, value in zip(ordering.keys, values[1:], strict=True):
        expected = key.type.python_type
        if issubclass(expected, enum.Enum) and isinstance(value, str):
            if value not in expected.__members__:
                raise invalid
            value = expected[value]
        elif expected is date and isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError as exc:
                raise invalid from exc
        if value is not None and not isinstance(value, expected):
            raise invalid
        # A forged cursor: JSON true passes as an int, and an int may overflow the column.
        if isinstance(value, bool) and expected is not bool:
            raise invalid
        if isinstance(value, int) and not isinstance(value, bool) and not _fits(key.type, value):
            raise invalid
        decoded.append(value)
    return decoded


@dataclass
class Page:
    rows: list[Row[Any]]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    total: int | None
    # The rows counted up to `count_limit + 1` (the total when that was counted), or None.
    bounded: int | None = None


def bounded_count(source: Select[Any], limit: int) -> Select[Any]:
    """The number of rows of `source`, counted up to `limit + 1`: it reads at most that many
    rows in whatever order is cheapest, so more than `limit` means "more than limit"."""
    return select(func.count()).select_from(source.limit(limit + 1).subquery())


def _after_condition(
    ordering: Ordering, cursor: str, keys: Sequence[ColumnElement[Any]] | None = None
) -> ColumnElement[bool]:
    """Rows after the cursor, compared on `keys` (the ordering's own unless given, e.g. the
    same keys read from a CTE)."""
    values = decode_cursor(ordering, cursor)
    bound = tuple_(*(literal(v, k.type) for k, v in zip(ordering.keys, values, strict=True)))
    compared = tuple_(*(keys if keys is not None else ordering.keys))
    return compared < bound if ordering.descending else compared > bound


def _order_by(
    ordering: Ordering, keys: Sequence[ColumnElement[Any]] | None = None
) -> list[ColumnElement[Any]]:
    keys = keys if keys is not None else ordering.keys
    return [k.desc() if ordering.descending else k.asc() for k in keys]


async def fetch_pages(
    db: RequestDatabase,
    source: Select[Any],
    ordering: Ordering,
    args: PageArgs,
    partition: ColumnElement[Any] | None = None,
    parents: Sequence[Hashable] = (None,),
    counts: Select[Any] | None = None,
) -> dict[Hashable, Page]:
    """One page per parent (or one page of everything when partition is None).

    `source` selects the row's columns; the pages add `_k0.._kn` (the sort key) and,
    for batches, `_p` (the parent). `counts`, when given, holds the totals as rows of
    (`_p`, `n`) to be summed, instead of counting the source.
    """
    limit = args.count_limit
    if counts is not None and args.first == 0 and args.after is None:
        # Only totals asked for (a drill-down's counts): no rows to read at all.
        summed = await _summed(db, counts, parents)
        return {
            p: Page(
                [],
                [],
                summed.get(p, 0) > 0,
                False,
                summed.get(p, 0) if args.with_count else None,
                summed.get(p, 0) if limit is not None else None,
            )
            for p in parents
        }
    keyed = source.add_columns(*(k.label(f"_k{i}") for i, k in enumerate(ordering.keys)))
    if partition is None and args.with_count and counts is None:
        page = await _page_and_count(db, keyed, ordering, args)
        page.bounded = page.total if limit is not None else None
        return {None: page}
    if partition is not None:
        keyed = keyed.add_columns(partition.label("_p")).where(partition.in_(list(parents)))
    # A bounded count of one list comes with its page, in the same statement.
    bounded_alone = limit is not None and not args.with_count and counts is None
    if bounded_alone and partition is None:
        assert limit is not None
        keyed = keyed.add_columns(bounded_count(source, limit).scalar_subquery().label("_bounded"))
    # The total comes with the page (a window count) unless a cursor cuts rows away first.
    window_total = args.with_count and args.after is None and counts is None
    if window_total:
        keyed = keyed.add_columns(func.count().over(partition_by=partition).label("_total"))
    filtered = keyed.where(_after_condition(ordering, args.after)) if args.after else keyed

    # With `first: 0` any one row tells whether there is a next page: no sort needed.
    order = _order_by(ordering) if args.first else None
    if partition is None:
        stmt = filtered.order_by(*(order or ())).limit(args.first + 1)
    else:
        numbered = filtered.add_columns(
            func.row_number().over(partition_by=partition, order_by=order).label("_rn")
        ).subquery()
        stmt = (
            select(numbered)
            .where(numbered.c._rn <= args.first + 1)
            .order_by(numbered.c._p, numbered.c._rn)
        )
    rows = (await db.execute(stmt)).all()

    grouped: dict[Hashable, list[Row[Any]]] = {p: [] for p in parents}
    for row in rows:
        grouped[row._mapping["_p"] if partition is not None else None].append(row)

    totals: dict[Hashable, int] = {}
    if counts is not None and (args.with_count or limit is not None):
        totals = await _summed(db, counts, parents)
    elif args.with_count and not window_total:
        totals = await _count(db, source, partition, parents)
    bounded: dict[Hashable, int] = {}
    if bounded_alone:
        assert limit is not None
        bounded = await _bounded(db, source, partition, grouped, args, limit)

    pages: dict[Hashable, Page] = {}
    for parent, parent_rows in grouped.items():
        has_next = len(parent_rows) > args.first
        kept = parent_rows[: args.first]
        total: int | None = None
        if window_total:
            total = parent_rows[0]._mapping["_total"] if parent_rows else 0
        elif args.with_count:
            total = totals.get(parent, 0)
        some: int | None = None
        if limit is not None:
            some = total if total is not None else totals.get(parent, bounded.get(parent, 0))
        pages[parent] = Page(
            rows=list(kept),
            cursors=[encode_cursor(ordering, r) for r in kept],
            has_next=has_next,
            has_previous=args.after is not None,
            total=total,
            bounded=some,
        )
    return pages


async def _bounded(
    db: RequestDatabase,
    source: Select[Any],
    partition: ColumnElement[Any] | None,
    grouped: dict[Hashable, list[Row[Any]]],
    args: PageArgs,
    limit: int,
) -> dict[Hashable, int]:
    """Each parent's rows counted up to `limit + 1`. A first page without a next page holds
    them all; a single list's count came with its page (`_bounded`) when it has a row."""
    found: dict[Hashable, int] = {}
    unknown: list[Hashable] = []
    for parent, rows in grouped.items():
        if args.after is None and len(rows) <= args.first:
            found[parent] = len(rows)
        elif partition is None and rows:
            found[parent] = rows[0]._mapping["_bounded"]
        else:
            unknown.append(parent)
    if not unknown:
        return found
    if partition is None:
        found[None] = (await db.execute(bounded_count(source, limit))).scalar_one()
        return found
    listed = values(column("_p", partition.type), name="_parents").data([(p,) for p in unknown])
    counted = bounded_count(source.where(partition == listed.c._p).correlate(listed), limit)
    stmt = select(listed.c._p, counted.scalar_subquery())
    found.update({p: n for p, n in (await db.execute(stmt)).all()})
    return found


async def _page_and_count(
    db: RequestDatabase, keyed: Select[Any], ordering: Ordering, args: PageArgs
) -> Page:
    """One page and the total, paged and counted from one materialized set of rows: neither
    counted twice nor found by walking an ordered index past millions of rows that do not
    match (as the compiled path does)."""
    hits = keyed.cte()
    keys = [hits.c[f"_k{i}"] for i in range(len(ordering.keys))]
    total = select(func.count()).select_from(hits).scalar_subquery()
    stmt = select(hits, total.label("_total"))
    if args.after:
        stmt = stmt.where(_after_condition(ordering, args.after, keys))
    order = _order_by(ordering, keys) if args.first else []
    rows = (await db.execute(stmt.order_by(*order).limit(args.first + 1))).all()
    kept = rows[: args.first]
    return Page(
        rows=list(kept),
        cursors=[encode_cursor(ordering, r) for r in kept],
        has_next=len(rows) > args.first,
        has_previous=args.after is not None,
        # A cursor past the last row leaves no row to carry the total.
        total=rows[0]._mapping["_total"]
        if rows
        else (await _count(db, keyed, None, (None,)))[None],
    )


async def _count(
    db: RequestDatabase,
    source: Select[Any],
    partition: ColumnElement[Any] | None,
    parents: Sequence[Hashable],
) -> dict[Hashable, int]:
    if partition is None:
        counted = select(func.count()).select_from(source.subquery())
        return {None: (await db.execute(counted)).scalar_one()}
    inner = source.add_columns(partition.label("_p")).where(partition.in_(list(parents))).subquery()
    counted = select(inner.c._p, func.count()).group_by(inner.c._p)
    return {p: n for p, n in (await db.execute(counted)).all()}


async def _summed(
    db: RequestDatabase, counts: Select[Any], parents: Sequence[Hashable]
) -> dict[Hashable, int]:
    rows = counts.subquery()
    summed = (
        select(rows.c._p, func.sum(rows.c.n))
        .where(rows.c._p.in_(list(parents)))
        .group_by(rows.c._p)
    )
    return {p: int(n) for p, n in (await db.execute(summed)).all()}
