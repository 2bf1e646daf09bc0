"""GraphQL types of activities between sessions (闭会期间活动) and the activity list."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from core.codes import Code
from db.activities import ActivityKind
from resolvers import activities as resolve
from resolvers.committees import CongressByIdLoader
from resolvers.groups import GroupByIdLoader
from resolvers.regions import RegionByCodeLoader
from resolvers.relations import LevelCounts, ToMany, ToOne
from schema.counts import LevelCount, level_counts
from schema.fields import relation
from schema.node import Node
from schema.pagination import Connection, page_args_for, to_connection
from schema.refs import CongressRef, DeputyRef, GroupRef
from schema.regions import Region

strawberry.enum(
    ActivityKind,
    description="INSPECTION 视察; SURVEY 调研; LAW_ENFORCEMENT_CHECK 执法检查; "
    "LEGISLATIVE_CONSULTATION 立法调研、论证、征求意见; BUDGET_REVIEW 预算审查监督; "
    "TRAINING 培训; GROUP_ACTIVITY 代表小组活动; DUTY_REPORT 向选民述职; OTHER.",
)


@strawberry.type(description="An activity deputies take part in between sessions (闭会期间活动).")
class Activity(Node):
    kind: ActivityKind
    title: str
    start_date: date
    end_date: date
    organizer: CongressRef = relation(
        ToOne(CongressByIdLoader, "organizer_congress_id"),
        description="The congress whose standing committee (or presidium) organised it.",
    )
    group: GroupRef | None = relation(
        ToOne(GroupByIdLoader, "group_id"),
        description="The deputy group it was held through, if any.",
    )
    region: Region = relation(
        ToOne(RegionByCodeLoader, "region_code"), description="Where it took place."
    )
    participants: list[DeputyRef] = relation(
        ToMany(resolve.ParticipantsByActivityLoader, "id"),
        description="The deputies who took part, by name.",
    )
    participant_count_by_level: list[LevelCount] = relation(
        LevelCounts(resolve.ParticipantCountByLevelLoader, "id"),
        description="Person-times (人次) by the level of the mandate each deputy took part under.",
    )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Activity | None:
        row = await info.context.loader(resolve.ActivityByIdLoader).load(int(key))
        return cls.from_row(row) if row else None


def check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise GraphQLError(
            f"`to` ({end}) is before `from` ({start}).", extensions={"code": Code.INVALID_VALUE}
        )


def activity_extra(
    region_code: str | None, kinds: list[ActivityKind] | None, start: date | None, end: date | None
) -> resolve.ActivityExtra:
    check_dates(start, end)
    return (
        (region_code.strip() if region_code else None),
        (tuple(kinds) if kinds else None),
        start,
        end,
    )


async def deputy_activities(
    info: Info, deputy_id: int, first: int | None, after: str | None
) -> Connection[Activity]:
    args = page_args_for(info, first, after)
    page = await info.context.loader(resolve.ActivitiesByDeputyLoader).load((deputy_id, None, args))
    return to_connection(page, Activity.from_row)


async def activity_participation(
    info: Info, region_code: str, start: date, end: date, kinds: list[ActivityKind] | None
) -> list[LevelCount]:
    """Reports.activityParticipation: person-times by level over the region's subtree."""
    check_dates(start, end)
    region = await Region.load(info, region_code.strip())
    if region is None:
        raise GraphQLError(
            f"No region with code {region_code!r}.", extensions={"code": Code.NOT_FOUND}
        )
    pairs = await resolve.participation(
        info.context.db, region.code, start, end, tuple(kinds) if kinds else None
    )
    return level_counts(pairs)


@strawberry.type
class ActivityQuery:
    @strawberry.field(
        description="Activities held in a region's subtree, the latest first; `from` and `to` "
        "bound the first day (inclusive)."
    )
    async def activities(
        self,
        info: Info,
        region_code: str | None = None,
        kinds: list[ActivityKind] | None = None,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Activity]:
        extra = activity_extra(region_code, kinds, from_, to)
        page = await resolve.search_activities(
            info.context, extra, page_args_for(info, first, after)
        )
        return to_connection(page, Activity.from_row)
