"""Deputy groups and their members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from core.context import Context
from db.enums import GroupKind
from db.models import deputy_groups as groups
from db.models import group_memberships as members
from resolvers.counts import LevelCountsLoader
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader, linked
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages
from resolvers.regions import subtree_codes

BY_ID = Ordering("group", (groups.c.id,))


def group_search_query(region_code: str | None, kind: GroupKind | None) -> Select[Any]:
    query = select(groups)
    if region_code:
        query = query.where(groups.c.region_code.in_(subtree_codes(region_code)))
    if kind is not None:
        query = query.where(groups.c.kind == kind)
    return query


async def search_groups(
    context: Context, region_code: str | None, kind: GroupKind | None, args: PageArgs
) -> Page:
    query = group_search_query(region_code, kind)
    return (await fetch_pages(context.db, query, BY_ID, args))[None]


class GroupByIdLoader(RowByKeyLoader, key=groups.c.id): ...


class GroupsByCongressLoader(PageLoader, partition=groups.c.congress_id, ordering=BY_ID): ...


class GroupsByDeputyLoader(RowsByKeyLoader):
    query = linked(groups, members.c.group_id, members.c.deputy_id).order_by(groups.c.id)
    key = members.c.deputy_id


class MembersByGroupLoader(
    RowsByKeyLoader, key=members.c.group_id, order_by=(members.c.role, members.c.deputy_id)
): ...


class MemberCountByLevelLoader(
    LevelCountsLoader, key=members.c.group_id, deputy=members.c.deputy_id
):
    """Members by the level of each active mandate."""
