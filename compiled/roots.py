"""The root fields of Query the compiled path answers: those whose field declares a root
spec (resolvers.relations: Lookup, Listing, NodeById), from the loader query its resolver
runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import FieldNode, GraphQLField
from sqlalchemy import ColumnElement, Integer, func, select

from compiled.build import Builder
from compiled.collect import Unsupported, named_type
from compiled.declared import Declared
from compiled.shapes import IdKey, Traced
from resolvers.ids import decode_id, decode_int_id
from resolvers.relations import Listing, Lookup, NodeById

RootBuilder = Callable[[Builder, Any, GraphQLField, list[FieldNode], Declared], Any]


def _lookup(
    b: Builder, spec: Lookup, field: GraphQLField, nodes: list[FieldNode], declared: Declared
) -> ColumnElement[Any]:
    key = spec.key(**b.schema_map.arguments(declared, b.args(field, nodes)))
    row = spec.loader.query.subquery()
    return (
        select(b.object_json(named_type(field), row, nodes))
        .where(row.c[spec.loader.key.key] == key)
        .scalar_subquery()
    )


def _node_json(b: Builder, global_id: str, nodes: list[FieldNode]) -> ColumnElement[Any]:
    # A variable's ID is decoded from each request (compiled.shapes): its type shapes the
    # plan, its key is a parameter.
    traced = global_id if type(global_id) is Traced else None
    text = traced.value if traced is not None else global_id
    decoded = decode_id(text)
    if decoded is None or decoded[0] not in b.schema_map.nodes:
        raise Unsupported("id")  # the resolver path reports the invalid ID
    type_name, key = decoded
    loader = b.schema_map.nodes[type_name]
    integer = isinstance(loader.key.type, Integer)
    if integer and decode_int_id(text, type_name) is None:
        raise Unsupported("id")
    row = loader.query.subquery()
    runtime = b.doc.schema.get_type(type_name)
    value = b.object_json(runtime, row, nodes)  # type: ignore[arg-type]
    typed = traced.derive(IdKey(type_name, integer)) if traced is not None else loader.key_of(key)
    return select(value).where(row.c[loader.key.key] == typed).scalar_subquery()


def _node(
    b: Builder, spec: NodeById, field: GraphQLField, nodes: list[FieldNode], _: Declared
) -> ColumnElement[Any]:
    args = b.args(field, nodes)
    if spec.many:
        return func.json_build_array(*(_node_json(b, i, nodes) for i in args["ids"]))
    return _node_json(b, args["id"], nodes)


def _listing(
    b: Builder, spec: Listing, field: GraphQLField, nodes: list[FieldNode], declared: Declared
) -> ColumnElement[Any]:
    args = b.args(field, nodes)
    source, ordering = spec.query(**b.schema_map.arguments(declared, args))
    return b.connection_json(named_type(field), source, ordering, args, nodes)


ROOT_BUILDERS: dict[type, RootBuilder] = {Lookup: _lookup, NodeById: _node, Listing: _listing}


def root_json(b: Builder, name: str, nodes: list[FieldNode]) -> ColumnElement[Any]:
    """The JSON of the root field `name` of Query, or Unsupported."""
    query_type = b.doc.schema.query_type
    assert query_type is not None
    declared = b.schema_map.field(query_type.name, name)
    build = ROOT_BUILDERS.get(type(declared.spec)) if declared is not None else None
    if declared is None or build is None:
        raise Unsupported(name)
    return build(b, declared.spec, query_type.fields[name], nodes, declared)
