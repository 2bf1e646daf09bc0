"""The SQL of each relation spec (resolvers.relations), by the spec's type.

Every spec names the loader whose query the resolver path runs in batches; the compiled
path nests the same query as a correlated subquery on the parent's row. Which field
answers which spec is read off the schema (compiled.declared), never listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import FieldNode, GraphQLField
from sqlalchemy import ColumnElement, FromClause, UnaryExpression, func, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from compiled import sqljson
from compiled.collect import Unsupported, collect, named_type, sub_selections
from compiled.declared import Declared
from db.enums import MandateStatus
from db.models import mandates
from resolvers.relations import ActiveLevels, Ancestors, LevelCounts, PageOf, ToMany, ToOne

if TYPE_CHECKING:
    from compiled.build import Builder

Relation = Callable[["Builder", Any, FromClause, GraphQLField, list[FieldNode], Declared], Any]


def _order_parts(clauses: Any) -> list[tuple[ColumnElement[Any], bool]]:
    parts = []
    for clause in clauses:
        if isinstance(clause, UnaryExpression) and clause.modifier is not None:
            parts.append((clause.element, clause.modifier.__name__ == "desc_op"))
        else:
            parts.append((clause, False))
    return parts


def to_one(
    b: Builder,
    spec: ToOne,
    row: FromClause,
    field_def: GraphQLField,
    nodes: list[FieldNode],
    _: Declared,
) -> ColumnElement[Any]:
    target = spec.loader.query.subquery()
    match = target.c[spec.loader.key.key] == row.c[spec.attr]
    return (
        select(b.object_json(named_type(field_def), target, nodes)).where(match).scalar_subquery()
    )


def to_many(
    b: Builder,
    spec: ToMany,
    row: FromClause,
    field_def: GraphQLField,
    nodes: list[FieldNode],
    _: Declared,
) -> ColumnElement[Any]:
    query = spec.loader.query
    parts = _order_parts(query._order_by_clauses)
    labelled = query.order_by(None).add_columns(
        *(e.label(f"_o{i}") for i, (e, _) in enumerate(parts))
    )
    rows = labelled.subquery()
    order = [
        rows.c[f"_o{i}"].desc() if desc else rows.c[f"_o{i}"] for i, (_, desc) in enumerate(parts)
    ]
    match = rows.c[spec.loader.key.key] == row.c[spec.attr]
    if spec.only is not None:
        name, value = spec.only
        match = match & (rows.c[name] == value)
    value = b.object_json(named_type(field_def), rows, nodes)
    if spec.latest:
        reverse = [
            rows.c[f"_o{i}"] if desc else rows.c[f"_o{i}"].desc()
            for i, (_, desc) in enumerate(parts)
        ]
        return select(value).where(match).order_by(*reverse).limit(1).scalar_subquery()
    aggregated = func.json_agg(aggregate_order_by(value, *order)) if order else func.json_agg(value)
    return select(func.coalesce(aggregated, sqljson.EMPTY_ARRAY)).where(match).scalar_subquery()


def page_of(
    b: Builder,
    spec: PageOf,
    row: FromClause,
    field_def: GraphQLField,
    nodes: list[FieldNode],
    declared: Declared,
) -> ColumnElement[Any]:
    args = b.args(field_def, nodes)
    extra = spec.extra(**b.schema_map.arguments(declared, args)) if spec.extra else None
    loader = spec.loader.__new__(spec.loader)  # only its SQL is used, no context needed
    source = loader.source(extra).where(spec.loader.partition == row.c[spec.attr])
    ordering = loader.page_ordering(extra)
    total = None
    counts = loader.counts(extra)
    if counts is not None:
        kept = counts.subquery()
        total = (
            select(func.coalesce(func.sum(kept.c.n), 0))
            .where(kept.c._p == row.c[spec.attr])
            .correlate(row)
            .scalar_subquery()
        )
    return b.connection_json(
        named_type(field_def), source, ordering, args, nodes, parent=row, total=total
    )


def level_counts(
    b: Builder,
    spec: LevelCounts,
    row: FromClause,
    field_def: GraphQLField,
    nodes: list[FieldNode],
    _: Declared,
) -> ColumnElement[Any]:
    counts = spec.loader.query.where(spec.loader.key == row.c[spec.attr]).correlate(row).subquery()
    _key, level_col, count_col = counts.c
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
    values = {"level": level, "count": count, "__typename": sqljson.string(type_.name)}
    return sqljson.build_object(
        [
            (k, values[v[0].name.value])
            for k, v in collect(b.doc, type_, sub_selections(nodes)).items()
        ]
    )


def active_levels(
    b: Builder,
    spec: ActiveLevels,
    row: FromClause,
    field_def: GraphQLField,
    nodes: list[FieldNode],
    _: Declared,
) -> ColumnElement[Any]:
    m = mandates
    levels = (
        select(m.c.level)
        .where(m.c.deputy_id == row.c[spec.attr], m.c.status == MandateStatus.ACTIVE)
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


def ancestors(
    b: Builder,
    spec: Ancestors,
    row: FromClause,
    field_def: GraphQLField,
    nodes: list[FieldNode],
    _: Declared,
) -> ColumnElement[Any]:
    a = spec.loader.query.subquery()
    key = a.c[spec.loader.key.key]
    value = b.object_json(named_type(field_def), a, nodes)
    position = func.array_position(row.c[spec.attr], key)
    found = select(
        func.coalesce(func.json_agg(aggregate_order_by(value, position)), sqljson.EMPTY_ARRAY)
    ).where(key == func.any(row.c[spec.attr]), key != row.c[spec.loader.key.key])
    return found.scalar_subquery()


BUILDERS: dict[type, Relation] = {
    ToOne: to_one,
    ToMany: to_many,
    PageOf: page_of,
    LevelCounts: level_counts,
    ActiveLevels: active_levels,
    Ancestors: ancestors,
}


def relation_json(
    b: Builder,
    declared: Declared,
    row: FromClause,
    field_def: GraphQLField,
    nodes: list[FieldNode],
) -> ColumnElement[Any]:
    build = BUILDERS.get(type(declared.spec))
    if build is None:
        raise Unsupported(type(declared.spec).__name__)
    return build(b, declared.spec, row, field_def, nodes, declared)
