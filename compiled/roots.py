"""The root fields the compiled path answers, each from the loader query its resolver runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import FieldNode, GraphQLField
from sqlalchemy import ColumnElement, func, select

from compiled.build import Builder, Unsupported, as_input, named_type
from compiled.relations import NODES, deputy_args
from resolvers import changes, deputies, groups, regions, stations
from resolvers.ids import decode_id, decode_int_id
from schema.deputies import deputy_order, deputy_spec
from schema.stations import StationFilter, station_extra

RootBuilder = Callable[[Builder, GraphQLField, list[FieldNode]], ColumnElement[Any]]


def _region(b: Builder, field: GraphQLField, nodes: list[FieldNode]) -> ColumnElement[Any]:
    code = b.args(field, nodes)["code"].strip()
    row = regions.RegionByCodeLoader.query.subquery()
    return (
        select(b.object_json(named_type(field), row, nodes))
        .where(row.c.code == code)
        .scalar_subquery()
    )


def _node_json(b: Builder, global_id: str, nodes: list[FieldNode]) -> ColumnElement[Any]:
    decoded = decode_id(global_id)
    if decoded is None or decoded[0] not in NODES:
        raise Unsupported("id")  # the resolver path reports the invalid ID
    type_name, key = decoded
    if type_name != "Region" and decode_int_id(global_id, type_name) is None:
        raise Unsupported("id")
    loader = NODES[type_name]
    row = loader.query.subquery()
    runtime = b.doc.schema.get_type(type_name)
    value = b.object_json(runtime, row, nodes)  # type: ignore[arg-type]
    match = row.c[loader.key.key] == (key if type_name == "Region" else int(key))
    return select(value).where(match).scalar_subquery()


def _node(b: Builder, field: GraphQLField, nodes: list[FieldNode]) -> ColumnElement[Any]:
    return _node_json(b, b.args(field, nodes)["id"], nodes)


def _nodes(b: Builder, field: GraphQLField, nodes: list[FieldNode]) -> ColumnElement[Any]:
    return func.json_build_array(*(_node_json(b, i, nodes) for i in b.args(field, nodes)["ids"]))


def _deputies(b: Builder, field: GraphQLField, nodes: list[FieldNode]) -> ColumnElement[Any]:
    args = b.args(field, nodes)
    f, order_input = deputy_args(args)
    spec, order = deputy_spec(f), deputy_order(order_input)
    any_status = f is None or f.status is None
    source = changes.deputy_changes_query(spec, args.get("updatedSince"), any_status)
    ordering = deputies.ordering(order, spec)
    return b.connection_json(named_type(field), source, ordering, args, nodes)


def _regions(b: Builder, field: GraphQLField, nodes: list[FieldNode]) -> ColumnElement[Any]:
    args = b.args(field, nodes)
    source = regions.region_search_query(args.get("level"), args.get("search"))
    return b.connection_json(named_type(field), source, regions.BY_CODE, args, nodes)


def _stations(b: Builder, field: GraphQLField, nodes: list[FieldNode]) -> ColumnElement[Any]:
    args = b.args(field, nodes)
    kinds, min_stars = station_extra(as_input(StationFilter, args.get("filter")))
    source = changes.station_changes_query(
        args.get("regionCode"), kinds, min_stars, args.get("updatedSince")
    )
    return b.connection_json(named_type(field), source, stations.BY_ID, args, nodes)


def _groups(b: Builder, field: GraphQLField, nodes: list[FieldNode]) -> ColumnElement[Any]:
    args = b.args(field, nodes)
    source = changes.group_changes_query(
        args.get("regionCode"), args.get("kind"), args.get("updatedSince")
    )
    return b.connection_json(named_type(field), source, groups.BY_ID, args, nodes)


ROOTS: dict[str, RootBuilder] = {
    "region": _region,
    "node": _node,
    "nodes": _nodes,
    "deputies": _deputies,
    "regions": _regions,
    "stations": _stations,
    "groups": _groups,
}
