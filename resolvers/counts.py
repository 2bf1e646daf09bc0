"""Per-level counts (LevelCount lists) computed by GROUP BY, one statement per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Select

from db.enums import Level
from resolvers.loaders import Loader


class LevelCountsLoader(Loader):
    """Counts by level per key, every level present (zeros included), highest level first.

    `query` selects (key, level, count) rows grouped by key and level; `key` is its key column.
    """

    query: ClassVar[Select[Any]]
    key: ClassVar[ColumnElement[Any]]

    async def batch_load_fn(self, keys: Sequence[Hashable]) -> list[list[tuple[Level, int]]]:
        rows = (await self.context.db.execute(self.query.where(self.key.in_(keys)))).all()
        counts: dict[Hashable, dict[Level, int]] = defaultdict(dict)
        for key, level, count in rows:
            counts[key][level] = count
        return [[(level, counts[k].get(level, 0)) for level in Level] for k in keys]
