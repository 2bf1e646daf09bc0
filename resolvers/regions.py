"""Regions: by code, children, descendants of one level, and search."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.dialects.postgresql import array

from core.context import Context
from db.enums import Level
from db.models import regions
from resolvers.loaders import PageLoader, RowByKeyLoader
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages

REGION_COLUMNS = select(regions)
BY_CODE = Ordering("code", (regions.c.code,))


class RegionByCodeLoader(RowByKeyLoader):
    query = REGION_COLUMNS
    key = regions.c.code


class ChildrenByRegionLoader(PageLoader):
    query = REGION_COLUMNS
    partition = regions.c.parent_code
    ordering = BY_CODE


_ancestor = regions.alias()


def in_subtree(lineage: ColumnElement[Any], code: ColumnElement[Any] | str) -> ColumnElement[bool]:
    """The region with this lineage is `code` or lies below it (a GIN index lookup)."""
    return lineage.contains(array([code]))


class DescendantsByRegionLoader(PageLoader[Level]):
    """Regions of one level below each parent: their lineage contains the parent's code."""

    query = select(regions).join(_ancestor, in_subtree(regions.c.lineage, _ancestor.c.code))
    partition = _ancestor.c.code
    ordering = BY_CODE

    def source(self, extra: Level) -> Select[Any]:
        return self.query.where(regions.c.level == extra, regions.c.code != _ancestor.c.code)


def subtree_codes(code: str) -> Select[Any]:
    """Codes of the region and every region below it."""
    return select(regions.c.code).where(in_subtree(regions.c.lineage, code))


def region_search_query(level: Level | None, search: str | None) -> Select[Any]:
    query = REGION_COLUMNS
    if level is not None:
        query = query.where(regions.c.level == level)
    if search:
        term = search.strip()
        query = query.where(
            or_(
                regions.c.name.contains(term, autoescape=True),
                regions.c.code.startswith(term, autoescape=True),
            )
        )
    return query


async def search_regions(
    context: Context, level: Level | None, search: str | None, args: PageArgs
) -> Page:
    pages = await fetch_pages(context.db, region_search_query(level, search), BY_CODE, args)
    return pages[None]
