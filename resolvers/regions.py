"""Regions: by code, children, descendants of one level, and search."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased

from db.enums import Level
from db.regions import Region as RegionRow
from resolvers.loaders import PageLoader, RowByKeyLoader
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages
from service.context import Context

regions = RegionRow.__table__
REGION_COLUMNS = select(regions)
BY_CODE = Ordering("code", (regions.c.code,))


class RegionByCodeLoader(RowByKeyLoader):
    query = REGION_COLUMNS
    key = regions.c.code


class ChildrenByRegionLoader(PageLoader):
    query = REGION_COLUMNS
    partition = regions.c.parent_code
    ordering = BY_CODE


_ancestor = aliased(RegionRow.__table__, name="ancestor")


class DescendantsByRegionLoader(PageLoader):
    """Regions of one level below each parent: the parent's path is a prefix of theirs."""

    query = select(regions).join(_ancestor, regions.c.path.startswith(_ancestor.c.path))
    partition = _ancestor.c.code
    ordering = BY_CODE

    def source(self, parent_args: Hashable) -> Select[Any]:
        assert isinstance(parent_args, Level)
        return self.query.where(regions.c.level == parent_args, regions.c.code != _ancestor.c.code)


def ancestor_codes(path: str) -> list[str]:
    """Codes from the nation down to the parent, read off the materialised path."""
    return path.rstrip("/").split("/")[:-1]


async def search_regions(
    context: Context, level: Level | None, search: str | None, args: PageArgs
) -> Page:
    query = REGION_COLUMNS
    if level is not None:
        query = query.where(regions.c.level == level)
    if search:
        term = search.strip()
        query = query.where(
            or_(regions.c.name.contains(term, autoescape=True), regions.c.code.startswith(term))
        )
    pages = await fetch_pages(context.db, query, BY_CODE, args)
    return pages[None]
