"""Reports: cross-level figures over a region's whole subtree, computed in the database."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from core.codes import Code
from db.enums import Level
from resolvers import reports as compute
from resolvers.ids import decode_int_id
from schema.counts import LevelCount, level_counts, shown
from schema.deputies import Deputy
from schema.pagination import Connection, page_args_for, to_connection
from schema.refs import ActivityKindRef, SuggestionReportRef
from schema.regions import Region


@strawberry.enum(description="Which deputies of a region a report counts.")
class RegionScope(enum.Enum):
    CONGRESSES = "CONGRESSES"
    LOCALITY = "LOCALITY"


@strawberry.type(description="Make-up of the deputies at one level.")
class LevelComposition:
    level: Level
    deputies: int
    female: int
    grassroots: int
    minority: int = strawberry.field(description="Ethnicity other than Han.")
    under40: int


@strawberry.type
class RegionComposition:
    region: Region
    levels: list[LevelComposition]


@strawberry.type
class AttendanceReport:
    meetings: int
    person_times: int = strawberry.field(description="Person-times (人次) in all.")
    deputies: int = strawberry.field(description="Different deputies who attended.")
    by_level: list[LevelCount]


@strawberry.type
class ContactCoverage:
    deputies: int = strawberry.field(description="Active deputies of the congress.")
    covered: int = strawberry.field(
        description="Of them, those with at least one current contact assignment."
    )
    ratio: float
    congress_id: strawberry.Private[int]

    @strawberry.field(description="Active deputies of the congress nobody is assigned to contact.")
    async def uncovered(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Deputy]:
        page = await compute.uncovered(
            info.context.db, self.congress_id, page_args_for(info, first, after)
        )
        return to_connection(page, Deputy.from_row)


@strawberry.type
class StationActivity:
    receptions: int
    deputy_visits: int = strawberry.field(description="Deputy visits (代表进站人次).")
    visitors: int
    opinions_collected: int
    problems_resolved: int


@strawberry.type
class RegionStationActivity:
    region: Region
    activity: StationActivity


@strawberry.type
class StationCoverage:
    level: Level
    deputies: int
    in_station: int


async def _region(info: Info, code: str) -> Region:
    region = await Region.load(info, code.strip())
    if region is None:
        shown = code if len(code) <= 40 else code[:40] + "…"  # never echo a huge value
        raise GraphQLError(f"No region with code {shown!r}.", extensions={"code": Code.NOT_FOUND})
    return region


def _refused(error: compute.ReportArgumentError) -> GraphQLError:
    return GraphQLError(str(error), extensions={"code": error.code})


def _check_dates(start: date, end: date) -> None:
    try:
        compute.check_span(start, end)
    except compute.ReportArgumentError as bad:
        raise _refused(bad) from None


async def _composition(
    info: Info, region: Region, scope: RegionScope | None, as_of: date | None, by_child: bool
) -> dict[str, list[compute.LevelComposition]]:
    """The same computation as the CSV download (service/exports.py), for this caller."""
    try:
        return await compute.composition_for(
            info.context.db,
            info.context.caller,
            region.row.lineage,
            (scope or RegionScope.CONGRESSES).value,
            as_of,
            by_child=by_child,
        )
    except compute.ReportArgumentError as bad:
        raise _refused(bad) from None


async def _children(info: Info, figures: Mapping[str, object]) -> list[Region]:
    regions = [await Region.load(info, code) for code in sorted(figures)]
    return [r for r in regions if r is not None]


@strawberry.type(
    description="Cross-level figures over a region's whole subtree. Every figure is computed in "
    "the database."
)
class Reports:
    @strawberry.field(
        description="Per level, the active deputies of the region's subtree (scope defaults to "
        "CONGRESSES). asOf is today at the latest. under40 counts by birth year (born in "
        "asOf's year - 39 or later) unless the caller may see the birth dates of the region's "
        "deputies; then to the day."
    )
    async def composition(
        self,
        info: Info,
        region_code: str,
        scope: RegionScope | None = None,
        as_of: date | None = None,
    ) -> list[LevelComposition]:
        region = await _region(info, region_code)
        found = await _composition(info, region, scope, as_of, by_child=False)
        return [shown(LevelComposition, f) for f in found[region.code]]

    @strawberry.field(description="The same, one row per child region, for drill-down.")
    async def composition_by_child(
        self,
        info: Info,
        region_code: str,
        scope: RegionScope | None = None,
        as_of: date | None = None,
    ) -> list[RegionComposition]:
        region = await _region(info, region_code)
        found = await _composition(info, region, scope, as_of, by_child=True)
        return [
            RegionComposition(
                region=child, levels=[shown(LevelComposition, f) for f in found[child.code]]
            )
            for child in await _children(info, found)
        ]

    @strawberry.field(
        description="Attendance at the meetings of one committee in one calendar year."
    )
    async def attendance(
        self, info: Info, committee_id: strawberry.ID, year: int
    ) -> AttendanceReport:
        key = decode_int_id(committee_id, "Committee")
        if key is None:
            raise GraphQLError(
                f"{committee_id!r} is not a committee ID.", extensions={"code": Code.NOT_FOUND}
            )
        figures = await compute.attendance(info.context.db, key, year)
        return shown(AttendanceReport, figures, by_level=level_counts(figures.by_level))

    @strawberry.field
    async def contact_coverage(self, info: Info, congress_id: strawberry.ID) -> ContactCoverage:
        key = decode_int_id(congress_id, "Congress")
        if key is None:
            raise GraphQLError(
                f"{congress_id!r} is not a congress ID.", extensions={"code": Code.NOT_FOUND}
            )
        deputies, covered = await compute.contact_coverage(info.context.db, key)
        ratio = covered / deputies if deputies else 0.0
        return ContactCoverage(deputies=deputies, covered=covered, ratio=ratio, congress_id=key)

    @strawberry.field
    async def station_activity(
        self,
        info: Info,
        region_code: str,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> StationActivity:
        _check_dates(from_, to)
        region = await _region(info, region_code)
        found = await compute.station_activity(info.context.db, region.code, from_, to)
        return shown(StationActivity, found[region.code])

    @strawberry.field
    async def station_activity_by_child(
        self,
        info: Info,
        region_code: str,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
    ) -> list[RegionStationActivity]:
        _check_dates(from_, to)
        region = await _region(info, region_code)
        found = await compute.station_activity(
            info.context.db, region.code, from_, to, by_child=True
        )
        return [
            RegionStationActivity(region=child, activity=shown(StationActivity, found[child.code]))
            for child in await _children(info, found)
        ]

    @strawberry.field(
        description="Per level, the active deputies whose locality lies in the subtree, and how "
        "many of them are assigned to a station."
    )
    async def station_coverage(self, info: Info, region_code: str) -> list[StationCoverage]:
        region = await _region(info, region_code)
        rows = await compute.station_coverage(info.context.db, region.code)
        return [StationCoverage(level=lv, deputies=n, in_station=s) for lv, n, s in rows]

    @strawberry.field(
        description="A congress's suggestions submitted in one calendar year, as the registry "
        "stood at the end of asOf (today by default)."
    )
    async def suggestions(
        self, info: Info, congress_id: strawberry.ID, year: int, as_of: date | None = None
    ) -> SuggestionReportRef:
        from schema.suggestions import suggestion_report

        return await suggestion_report(info, congress_id, year, as_of)

    @strawberry.field(
        description="Person-times (人次) of participation in activities of each kind, by level, "
        "over a region's subtree."
    )
    async def activity_participation(
        self,
        info: Info,
        region_code: str,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        kinds: list[ActivityKindRef] | None = None,
    ) -> list[LevelCount]:
        from schema.activities import activity_participation

        return await activity_participation(info, region_code, from_, to, kinds)


@strawberry.type
class ReportQuery:
    @strawberry.field(description="Cross-level figures, computed in the database.")
    def reports(self) -> Reports:
        return Reports()
