"""Deputy groups and their members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from core.context import Context
from db.columns import table_of
from db.deputies import Mandate as MandateRow
from db.enums import GroupKind, MandateStatus
from db.groups import DeputyGroup as GroupRow
from db.groups import GroupMembership as MemberRow
from resolvers.counts import LevelCountsLoader
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages
from resolvers.regions import subtree_codes

groups = table_of(GroupRow)
members = table_of(MemberRow)
mandates = table_of(MandateRow)

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


class GroupByIdLoader(RowByKeyLoader):
    query = select(groups)
    key = groups.c.id


class GroupsByCongressLoader(PageLoader):
    query = select(groups)
    partition = groups.c.congress_id
    ordering = BY_ID


class GroupsByDeputyLoader(RowsByKeyLoader):
    query = (
        select(groups, members.c.deputy_id)
        .join(members, members.c.group_id == groups.c.id)
        .order_by(groups.c.id)
    )
    key = members.c.deputy_id


class MembersByGroupLoader(RowsByKeyLoader):
    query = select(members).order_by(members.c.role, members.c.deputy_id)
    key = members.c.group_id


class MemberCountByLevelLoader(LevelCountsLoader):
    """Members by the level of each active mandate (a member at two levels counts at both)."""

    query = (
        select(members.c.group_id, mandates.c.level, func.count(func.distinct(members.c.deputy_id)))
        .join(mandates, mandates.c.deputy_id == members.c.deputy_id)
        .where(mandates.c.status == MandateStatus.ACTIVE)
        .group_by(members.c.group_id, mandates.c.level)
    )
    key = members.c.group_id
