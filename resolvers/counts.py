"""Per-level counts (LevelCount lists) computed by GROUP BY, one statement per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select, func, select

from db.enums import Level, MandateStatus
from db.models import mandates
from resolvers.loaders import Loader


class LevelCountsLoader(Loader):
    """Counts by level per key, every level present (zeros included), highest level first.

    `query` selects (key, level, count) rows grouped by key and level; `key` is its key column.
    Declared with `key` and either `level` (rows counted by a level of their own) or
    `deputy` (the distinct deputies by the level of each active mandate, so that one with
    mandates at two levels counts at both).
    """

    query: ClassVar[Select[Any]]
    key: ClassVar[ColumnElement[Any]]

    def __init_subclass__(
        cls,
        *,
        key: ColumnElement[Any] | None = None,
        level: ColumnElement[Any] | None = None,
        deputy: ColumnElement[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if key is None:
            return
        cls.key = key
        if level is not None:
            cls.query = select(key, level, func.count()).group_by(key, level)
        elif deputy is not None:
            cls.query = (
                select(key, mandates.c.level, func.count(func.distinct(deputy)))
                .join(mandates, mandates.c.deputy_id == deputy)
                .where(mandates.c.status == MandateStatus.ACTIVE)
                .group_by(key, mandates.c.level)
            )

    async def batch_load_fn(self, keys: Sequence[Hashable]) -> list[list[tuple[Level, int]]]:
        rows = (await self.context.db.execute(self.query.where(self.key.in_(keys)))).all()
        counts: dict[Hashable, dict[Level, int]] = defaultdict(dict)
        for key, level, count in rows:
            counts[key][level] = count
        return [[(level, counts[k].get(level, 0)) for level in Level] for k in keys]
