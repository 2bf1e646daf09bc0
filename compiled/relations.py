"""How each relation field reads its rows, stated once for both read paths.

Every spec names the loader whose query the resolver path runs in batches; the compiled
path nests the same query as a correlated subquery on the parent's row.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, ClassVar

from graphql import FieldNode, GraphQLField
from sqlalchemy import ColumnElement, FromClause, UnaryExpression, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from compiled import sqljson
from compiled.build import Builder, Unsupported, as_input, named_type
from db.enums import CommitteeKind, MandateStatus
from resolvers import attendance, committees, contacts, deputies, groups, regions, stations
from resolvers.counts import LevelCountsLoader
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader
from schema.deputies import DeputyFilter, DeputyOrder, deputy_order, deputy_spec
from schema.stations import StationFilter, station_extra


def _order_parts(clauses: Any) -> list[tuple[ColumnElement[Any], bool]]:
    parts = []
    for clause in clauses:
        if isinstance(clause, UnaryExpression) and clause.modifier is not None:
            parts.append((clause.element, clause.modifier.__name__ == "desc_op"))
        else:
            parts.append((clause, False))
    return parts


@dataclass(frozen=True)
class ToOne:
    """A row found by key: `loader.key == parent.<attr>` (RowByKeyLoader)."""

    loader: type[RowByKeyLoader]
    attr: str

    def build(
        self, b: Builder, row: FromClause, field_def: GraphQLField, nodes: list[FieldNode]
    ) -> ColumnElement[Any]:
        target = self.loader.query.subquery()
        match = target.c[self.loader.key.key] == row.c[self.attr]
        return (
            select(b.object_json(named_type(field_def), target, nodes))
            .where(match)
            .scalar_subquery()
        )


@dataclass(frozen=True)
class ToMany:
    """A list of rows by key, in the loader query's order (RowsByKeyLoader)."""

    loader: type[RowsByKeyLoader]
    attr: str
    where: Callable[[Any], ColumnElement[bool]] | None = None
    latest: bool = False  # only the last row of the order (e.g. the current term)

    def build(
        self, b: Builder, row: FromClause, field_def: GraphQLField, nodes: list[FieldNode]
    ) -> ColumnElement[Any]:
        query = self.loader.query
        parts = _order_parts(query._order_by_clauses)
        labelled = query.order_by(None).add_columns(
            *(e.label(f"_o{i}") for i, (e, _) in enumerate(parts))
        )
        if self.where is not None:
            labelled = labelled.where(self.where(query))
        rows = labelled.subquery()
        order = [
            rows.c[f"_o{i}"].desc() if desc else rows.c[f"_o{i}"]
            for i, (_, desc) in enumerate(parts)
        ]
        match = rows.c[self.loader.key.key] == row.c[self.attr]
        value = b.object_json(named_type(field_def), rows, nodes)
        if self.latest:
            reverse = [
                rows.c[f"_o{i}"] if desc else rows.c[f"_o{i}"].desc()
                for i, (_, desc) in enumerate(parts)
            ]
            return select(value).where(match).order_by(*reverse).limit(1).scalar_subquery()
        aggregated = (
            func.json_agg(aggregate_order_by(value, *order)) if order else func.json_agg(value)
        )
        return select(func.coalesce(aggregated, sqljson.EMPTY_ARRAY)).where(match).scalar_subquery()


@dataclass(frozen=True)
class Page:
    """A connection of rows under the parent (PageLoader): partition == parent.<attr>."""

    loader: type[PageLoader]
    attr: str
    extra: Callable[[dict[str, Any]], Hashable] = lambda args: None

    def build(
        self, b: Builder, row: FromClause, field_def: GraphQLField, nodes: list[FieldNode]
    ) -> ColumnElement[Any]:
        args = b.args(field_def, nodes)
        extra = self.extra(args)
        loader = self.loader.__new__(self.loader)  # only its SQL is used, no context needed
        source = loader.source(extra).where(self.loader.partition == row.c[self.attr])
        ordering = loader.page_ordering(extra)
        total = None
        counts = loader.counts(extra)
        if counts is not None:
            kept = counts.subquery()
            total = (
                select(func.coalesce(func.sum(kept.c.n), 0))
                .where(kept.c._p == row.c[self.attr])
                .correlate(row)
                .scalar_subquery()
            )
        return b.connection_json(
            named_type(field_def), source, ordering, args, nodes, parent=row, total=total
        )


@dataclass(frozen=True)
class LevelCounts:
    """A LevelCount per level, zeros included (LevelCountsLoader)."""

    loader: type[LevelCountsLoader]
    attr: str

    def build(
        self, b: Builder, row: FromClause, field_def: GraphQLField, nodes: list[FieldNode]
    ) -> ColumnElement[Any]:
        counts = (
            self.loader.query.where(self.loader.key == row.c[self.attr]).correlate(row).subquery()
        )
        _, level_col, count_col = counts.c
        levels = select(
            func.unnest(func.enum_range(literal_column("NULL::level"))).label("level")
        ).subquery()
        value = level_count_json(
            b, named_type(field_def), nodes, levels.c.level, func.coalesce(count_col, 0)
        )
        joined = levels.outerjoin(counts, level_col == levels.c.level)
        return (
            select(func.json_agg(aggregate_order_by(value, levels.c.level)))
            .select_from(joined)
            .scalar_subquery()
        )


def level_count_json(
    b: Builder, type_: Any, nodes: list[FieldNode], level: Any, count: Any
) -> ColumnElement[Any]:
    from compiled.collect import collect, sub_selections

    values = {"level": level, "count": count, "__typename": sqljson.string(type_.name)}
    return sqljson.build_object(
        [
            (k, values[v[0].name.value])
            for k, v in collect(b.doc, type_, sub_selections(nodes)).items()
        ]
    )


class ActiveLevels:
    """Levels of the deputy's active mandates, highest first (as Deputy.activeLevels)."""

    mandates: ClassVar = deputies.mandates

    def build(
        self, b: Builder, row: FromClause, field_def: GraphQLField, nodes: list[FieldNode]
    ) -> ColumnElement[Any]:
        m = self.mandates
        levels = (
            select(m.c.level)
            .where(m.c.deputy_id == row.c.id, m.c.status == MandateStatus.ACTIVE)
            .distinct()
            .correlate(row)
            .subquery()
        )
        return select(
            func.coalesce(
                func.json_agg(aggregate_order_by(levels.c.level, levels.c.level)),
                sqljson.EMPTY_ARRAY,
            )
        ).scalar_subquery()


class Ancestors:
    """From the nation down to the parent, read off the region's lineage."""

    def build(
        self, b: Builder, row: FromClause, field_def: GraphQLField, nodes: list[FieldNode]
    ) -> ColumnElement[Any]:
        a = regions.regions.alias()
        value = b.object_json(named_type(field_def), a, nodes)
        position = func.array_position(row.c.lineage, a.c.code)
        found = select(
            func.coalesce(func.json_agg(aggregate_order_by(value, position)), sqljson.EMPTY_ARRAY)
        ).where(a.c.code == func.any(row.c.lineage), a.c.code != row.c.code)
        return found.scalar_subquery()


def deputy_args(args: dict[str, Any]) -> tuple[DeputyFilter | None, DeputyOrder | None]:
    return as_input(DeputyFilter, args.get("filter")), as_input(DeputyOrder, args.get("orderBy"))


def _deputy_extra(args: dict[str, Any]) -> Hashable:
    f, order = deputy_args(args)
    return deputy_spec(f), deputy_order(order)


def _congress_deputy_extra(args: dict[str, Any]) -> Hashable:
    f, order = deputy_args(args)
    return deputy_spec(f, term_number=args.get("termNumber") or 0), deputy_order(order)


def _station_deputy_extra(args: dict[str, Any]) -> Hashable:
    return deputy_spec(DeputyFilter(levels=args.get("levels")))


def _station_filter_extra(args: dict[str, Any]) -> Hashable:
    return station_extra(as_input(StationFilter, args.get("filter")))


RELATIONS: dict[tuple[str, str], Any] = {
    ("Region", "parent"): ToOne(regions.RegionByCodeLoader, "parent_code"),
    ("Region", "ancestors"): Ancestors(),
    ("Region", "children"): Page(regions.ChildrenByRegionLoader, "code"),
    ("Region", "descendants"): Page(
        regions.DescendantsByRegionLoader, "code", lambda a: a["level"]
    ),
    ("Region", "congress"): ToOne(committees.CongressByRegionLoader, "code"),
    ("Region", "deputies"): Page(deputies.DeputiesByRegionLoader, "code", _deputy_extra),
    ("Region", "stations"): Page(stations.StationsByRegionLoader, "code", _station_filter_extra),
    ("Congress", "region"): ToOne(regions.RegionByCodeLoader, "region_code"),
    ("Congress", "terms"): ToMany(committees.TermsByCongressLoader, "id"),
    ("Congress", "currentTerm"): ToMany(committees.TermsByCongressLoader, "id", latest=True),
    ("Congress", "committees"): ToMany(committees.CommitteesByCongressLoader, "id"),
    ("Congress", "standingCommittee"): ToMany(
        committees.CommitteesByCongressLoader,
        "id",
        where=lambda q: committees.committees.c.kind == CommitteeKind.STANDING_COMMITTEE,
        latest=True,
    ),
    ("Congress", "deputies"): Page(deputies.DeputiesByCongressLoader, "id", _congress_deputy_extra),
    ("Congress", "groups"): Page(groups.GroupsByCongressLoader, "id"),
    ("Term", "congress"): ToOne(committees.CongressByIdLoader, "congress_id"),
    ("Committee", "congress"): ToOne(committees.CongressByIdLoader, "congress_id"),
    ("Committee", "members"): ToMany(deputies.MembershipsByCommitteeLoader, "id"),
    ("Committee", "meetings"): Page(attendance.MeetingsByCommitteeLoader, "id"),
    ("CommitteeMembership", "committee"): ToOne(committees.CommitteeByIdLoader, "committee_id"),
    ("CommitteeMembership", "deputy"): ToOne(deputies.DeputyByIdLoader, "deputy_id"),
    ("Deputy", "locality"): ToOne(regions.RegionByCodeLoader, "locality_code"),
    ("Deputy", "mandates"): ToMany(deputies.MandatesByDeputyLoader, "id"),
    ("Deputy", "activeLevels"): ActiveLevels(),
    ("Deputy", "stations"): ToMany(stations.StationsByDeputyLoader, "id"),
    ("Deputy", "groups"): ToMany(groups.GroupsByDeputyLoader, "id"),
    ("Deputy", "contacts"): ToMany(contacts.ContactsByDeputyLoader, "id"),
    ("Deputy", "attendances"): Page(attendance.AttendancesByDeputyLoader, "id"),
    ("Mandate", "deputy"): ToOne(deputies.DeputyByIdLoader, "deputy_id"),
    ("Mandate", "congress"): ToOne(committees.CongressByIdLoader, "congress_id"),
    ("Mandate", "term"): ToOne(committees.TermByIdLoader, "term_id"),
    ("Station", "region"): ToOne(regions.RegionByCodeLoader, "region_code"),
    ("Station", "deputies"): Page(stations.DeputiesByStationLoader, "id", _station_deputy_extra),
    ("Station", "deputyCountByLevel"): LevelCounts(
        stations.DeputyCountByLevelForStationLoader, "id"
    ),
    ("Station", "receptions"): Page(
        stations.ReceptionsByStationLoader, "id", lambda a: (a.get("from"), a.get("to"))
    ),
    ("Reception", "station"): ToOne(stations.StationByIdLoader, "station_id"),
    ("Reception", "deputies"): ToMany(stations.DeputiesByReceptionLoader, "id"),
    ("DeputyGroup", "congress"): ToOne(committees.CongressByIdLoader, "congress_id"),
    ("DeputyGroup", "region"): ToOne(regions.RegionByCodeLoader, "region_code"),
    ("DeputyGroup", "members"): ToMany(groups.MembersByGroupLoader, "id"),
    ("DeputyGroup", "memberCountByLevel"): LevelCounts(groups.MemberCountByLevelLoader, "id"),
    ("GroupMembership", "group"): ToOne(groups.GroupByIdLoader, "group_id"),
    ("GroupMembership", "deputy"): ToOne(deputies.DeputyByIdLoader, "deputy_id"),
    ("ContactAssignment", "contactor"): ToOne(deputies.DeputyByIdLoader, "contactor_id"),
    ("ContactAssignment", "committee"): ToOne(committees.CommitteeByIdLoader, "committee_id"),
    ("ContactAssignment", "deputy"): ToOne(deputies.DeputyByIdLoader, "deputy_id"),
    ("ContactAssignment", "logs"): ToMany(contacts.LogsByAssignmentLoader, "id"),
    ("Meeting", "committee"): ToOne(committees.CommitteeByIdLoader, "committee_id"),
    ("Meeting", "attendances"): Page(attendance.AttendancesByMeetingLoader, "id"),
    ("Meeting", "attendanceByLevel"): LevelCounts(attendance.AttendanceByLevelLoader, "id"),
    ("Attendance", "meeting"): ToOne(attendance.MeetingByIdLoader, "meeting_id"),
    ("Attendance", "deputy"): ToOne(deputies.DeputyByIdLoader, "deputy_id"),
}

# Node types: the loader that finds a row by its key (also for node(id)), and personal fields.
NODES: dict[str, type[RowByKeyLoader]] = {
    "Region": regions.RegionByCodeLoader,
    "Congress": committees.CongressByIdLoader,
    "Term": committees.TermByIdLoader,
    "Committee": committees.CommitteeByIdLoader,
    "Deputy": deputies.DeputyByIdLoader,
    "Mandate": deputies.MandateByIdLoader,
    "Station": stations.StationByIdLoader,
    "Reception": stations.ReceptionByIdLoader,
    "DeputyGroup": groups.GroupByIdLoader,
    "ContactAssignment": contacts.ContactAssignmentByIdLoader,
    "Meeting": attendance.MeetingByIdLoader,
    "Attendance": attendance.AttendanceByIdLoader,
}
PERSONAL = {"Deputy": frozenset({"phone", "birth_date", "id_number"})}
ROW_TYPES = {
    name: (loader.key.key, PERSONAL.get(name, frozenset())) for name, loader in NODES.items()
}


def unsupported(*_: Any) -> ColumnElement[Any]:
    raise Unsupported("field")
