"""From a collected selection to one SQL expression that yields the JSON answer.

Rows are always read through an alias (a derived table), so that a type nested in itself
(a region's parent's parent) never collides; every relation is a correlated subquery on
its parent's row, built from the loader query that the resolver path runs in batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, GraphQLError, GraphQLField, GraphQLObjectType
from graphql.execution.values import get_argument_values
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Table,
    case,
    func,
    literal,
    null,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.types import DateTime

from compiled import sqljson
from compiled.collect import Document, Unsupported, collect, named_type, sub_selections
from compiled.declared import SchemaMap
from compiled.relations import relation_json
from compiled.shapes import CursorKey, Traced
from core.context import Caller
from core.permissions import personal_scope
from core.settings import Settings
from db.models import regions
from db.rules import masked
from resolvers.pagination import Ordering, bounded_count, count_limit, decode_cursor
from resolvers.relations import Personal

__all__ = ["Builder", "Unsupported", "named_type"]


@dataclass
class Builder:
    doc: Document
    caller: Caller
    settings: Settings
    schema_map: SchemaMap  # what the schema declares of each field (compiled.declared)

    def args(self, field_def: GraphQLField, nodes: list[FieldNode]) -> dict[str, Any]:
        return get_argument_values(field_def, nodes[0], self.doc.variables)

    def object_json(
        self, type_: GraphQLObjectType, row: FromClause, nodes: list[FieldNode]
    ) -> ColumnElement[Any]:
        """The JSON object of one row of `type_` with the fields the nodes select."""
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for response_key, field_nodes in collect(self.doc, type_, sub_selections(nodes)).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append((response_key, sqljson.string(type_.name)))
                continue
            field_def = type_.fields[name]
            pairs.append((response_key, self.field_value(type_, row, name, field_def, field_nodes)))
        return sqljson.build_object(pairs)

    def field_value(
        self,
        type_: GraphQLObjectType,
        row: FromClause,
        name: str,
        field_def: GraphQLField,
        nodes: list[FieldNode],
    ) -> ColumnElement[Any]:
        if name == "id" and type_.name in self.schema_map.nodes:
            loader = self.schema_map.nodes[type_.name]
            return sqljson.global_id(type_.name, row.c[loader.key.key])
        declared = self.schema_map.field(type_.name, name)
        if declared is None:
            raise Unsupported(f"{type_.name}.{name}")
        if declared.spec is not None and not isinstance(declared.spec, Personal):
            return relation_json(self, declared, row, field_def, nodes)
        column = declared.column or declared.field.python_name
        if column not in row.c:
            raise Unsupported(f"{type_.name}.{name}")
        value: ColumnElement[Any] = row.c[column]
        if isinstance(value.type, DateTime):
            value = sqljson.timestamp(value)
        if isinstance(declared.spec, Personal):
            return self.personal(row.c[declared.spec.locality], value)
        return value

    def personal(
        self, locality: ColumnElement[Any], value: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """Personal data as the rule of core.permissions.personal_scope lets the caller see it,
        by the lineage of the person's locality."""
        scope = personal_scope(self.caller)
        if scope.everywhere or scope.nowhere:
            return masked(scope, null(), value)
        lineage = select(regions.c.lineage).where(regions.c.code == locality)
        return masked(scope, lineage.scalar_subquery(), value)

    # ------------------------------------------------------------------ connections

    def page_args(self, args: dict[str, Any], ordering: Ordering) -> tuple[int, list[Any] | None]:
        first = args.get("first")
        first = self.settings.default_page_size if first is None else first
        if first < 0 or first > self.settings.max_page_size:
            raise Unsupported("page size out of range")  # the resolver path explains it
        after = args.get("after")
        if after is None:
            return first, None
        traced = after if type(after) is Traced else None
        try:
            keys = decode_cursor(ordering, traced.value if traced is not None else after)
        except Exception as exc:  # an invalid cursor: the resolver path says so
            raise Unsupported("cursor") from exc
        if traced is None:
            return first, keys
        # A variable's cursor is decoded from each request (compiled.shapes): its keys are
        # parameters, of the types this one's have.
        traced.observe(lambda text: tuple(type(k) for k in decode_cursor(ordering, text)))
        return first, [traced.derive(CursorKey(ordering, i)) for i in range(len(keys))]

    def connection_json(
        self,
        connection_type: GraphQLObjectType,
        source: Select[Any],
        ordering: Ordering,
        args: dict[str, Any],
        nodes: list[FieldNode],
        parent: FromClause | None = None,
        total: ColumnElement[Any] | None = None,
    ) -> ColumnElement[Any]:
        """A connection (edges, nodes, pageInfo, totalCount, boundedCount) over `source`, one
        page of it.

        `source` may refer to the parent row (a correlated condition) given as `parent`;
        `total`, when given, is the count kept elsewhere (resolvers.loaders.PageLoader.counts)."""
        first, after = self.page_args(args, ordering)
        if total is not None and first == 0 and after is None:
            return self._totals_only(connection_type, nodes, total)
        node_type = named_type(connection_type.fields["nodes"])
        keys = list(ordering.keys)
        key_labels = [k.label(f"_k{i}") for i, k in enumerate(keys)]
        correlated = source.correlate(parent) if parent is not None else source
        keyed = correlated.add_columns(*key_labels)
        selected = collect(self.doc, connection_type, sub_selections(nodes))
        counted = total is None and any(f[0].name.value == "totalCount" for f in selected.values())
        # The table whose rows the page reads again by key (a counted root connection).
        table = _single_table(source) if counted and parent is None else None
        if counted:
            # Paged and counted from one materialized set of rows: neither counted twice nor
            # found by walking an ordered index past millions of rows that do not match. At
            # the root the set holds only the row key and the sort keys (half a million wide
            # rows would spill to disk) and the page's rows are read again by key; under a
            # parent row it sits inside the parent's subquery.
            if table is not None:
                keyed = keyed.with_only_columns(_row_key(table).label("_id"), *key_labels)
            hits = keyed.cte()
            total = select(func.count()).select_from(hits).scalar_subquery()
            keys = [hits.c[label.name] for label in key_labels]
            keyed = select(hits)
        if after is not None:
            bound = [literal(v, k.type) for k, v in zip(ordering.keys, after, strict=True)]
            keyed = keyed.where(
                tuple_(*keys) < tuple_(*bound)
                if ordering.descending
                else tuple_(*keys) > tuple_(*bound)
            )
        # With `first: 0` any one row tells whether there is a next page: no sort needed.
        order = [k.desc() if ordering.descending else k.asc() for k in keys] if first else []
        limited = keyed.order_by(*order).limit(first + 1).subquery()
        if table is not None:
            limited = (
                select(table, *(limited.c[label.name] for label in key_labels))
                .join_from(table, limited, _row_key(table) == limited.c._id)
                .subquery()
            )
        key_cols = [limited.c[label.name] for label in key_labels]
        rn_order = [c.desc() if ordering.descending else c.asc() for c in key_cols] if first else []
        page = select(
            limited, func.row_number().over(order_by=rn_order or None).label("_rn")
        ).subquery()
        kept = page.c._rn <= first
        cursor = sqljson.cursor(ordering.tag, [page.c[label.name] for label in key_labels])
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for response_key, field_nodes in selected.items():
            name = field_nodes[0].name.value
            if name == "__typename":
                pairs.append((response_key, sqljson.string(connection_type.name)))
            elif name == "nodes":
                node_json = self.object_json(node_type, page, field_nodes)
                pairs.append((response_key, self._agg(node_json, page, kept)))
            elif name == "edges":
                edge_type = named_type(connection_type.fields["edges"])
                edge_pairs = []
                for edge_key, edge_nodes in collect(
                    self.doc, edge_type, sub_selections(field_nodes)
                ).items():
                    edge_field = edge_nodes[0].name.value
                    if edge_field == "cursor":
                        edge_pairs.append((edge_key, cursor))
                    elif edge_field == "node":
                        edge_pairs.append((edge_key, self.object_json(node_type, page, edge_nodes)))
                    else:
                        edge_pairs.append((edge_key, sqljson.string(edge_type.name)))
                pairs.append(
                    (response_key, self._agg(sqljson.build_object(edge_pairs), page, kept))
                )
            elif name == "pageInfo":
                info_type = named_type(connection_type.fields["pageInfo"])
                cursors = func.array_agg(cursor).filter(kept)
                info: dict[str, ColumnElement[Any]] = {
                    "hasNextPage": func.count() > first,
                    "hasPreviousPage": literal(after is not None),
                    "startCursor": cursors[1],
                    "endCursor": cursors[func.least(func.count(), first)],
                    "__typename": sqljson.string(info_type.name),
                }
                fields = collect(self.doc, info_type, sub_selections(field_nodes))
                pairs.append(
                    (
                        response_key,
                        sqljson.build_object(
                            [(k, info[v[0].name.value]) for k, v in fields.items()]
                        ),
                    )
                )
            elif name == "totalCount":
                assert total is not None  # counted above when selected
                pairs.append((response_key, total))
            elif name == "boundedCount":
                # As resolvers.pagination: a total at hand, a first page that holds every
                # row, or the rows counted up to the limit.
                limit = self._count_limit(connection_type, field_nodes)
                counted_up = total
                if counted_up is None:
                    some = bounded_count(correlated, limit).scalar_subquery()
                    counted_up = (
                        case((func.count() <= first, func.count()), else_=some)
                        if after is None
                        else some
                    )
                bounded = self._bounded_json(connection_type, field_nodes, counted_up, limit)
                pairs.append((response_key, bounded))
            else:
                raise Unsupported(f"{connection_type.name}.{name}")
        # HAVING makes this one aggregate row even when nothing in it aggregates (totalCount
        # alone) and when the page is empty.
        answer = select(sqljson.build_object(pairs)).select_from(page).having(true())
        if counted and parent is not None:
            answer = answer.add_cte(hits, nest_here=True)
        return answer.scalar_subquery()

    def _totals_only(
        self, connection_type: GraphQLObjectType, nodes: list[FieldNode], total: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        """`first: 0` with a kept total: no rows are read (as resolvers.pagination does)."""
        values: dict[str, ColumnElement[Any]] = {
            "totalCount": total,
            "nodes": sqljson.EMPTY_ARRAY,
            "edges": sqljson.EMPTY_ARRAY,
            "__typename": sqljson.string(connection_type.name),
        }
        info_type = named_type(connection_type.fields["pageInfo"])
        info: dict[str, ColumnElement[Any]] = {
            "hasNextPage": total > 0,
            "hasPreviousPage": literal(False),
            "startCursor": null(),
            "endCursor": null(),
            "__typename": sqljson.string(info_type.name),
        }
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for key, field_nodes in collect(self.doc, connection_type, sub_selections(nodes)).items():
            name = field_nodes[0].name.value
            if name == "pageInfo":
                fields = collect(self.doc, info_type, sub_selections(field_nodes))
                value = sqljson.build_object(
                    [(k, info[v[0].name.value]) for k, v in fields.items()]
                )
            elif name == "boundedCount":
                limit = self._count_limit(connection_type, field_nodes)
                value = self._bounded_json(connection_type, field_nodes, total, limit)
            elif name in values:
                value = values[name]
            else:
                raise Unsupported(f"{connection_type.name}.{name}")
            pairs.append((key, value))
        return sqljson.build_object(pairs)

    def _count_limit(self, connection_type: GraphQLObjectType, nodes: list[FieldNode]) -> int:
        args = self.args(connection_type.fields["boundedCount"], nodes)
        try:
            return count_limit(self.settings, args.get("limit"))
        except GraphQLError as exc:  # the resolver path explains it
            raise Unsupported("count limit out of range") from exc

    def _bounded_json(
        self,
        connection_type: GraphQLObjectType,
        nodes: list[FieldNode],
        counted: ColumnElement[Any],
        limit: int,
    ) -> ColumnElement[Any]:
        """A BoundedCount of rows counted up to `limit + 1` or more (schema.pagination)."""
        type_ = named_type(connection_type.fields["boundedCount"])
        values: dict[str, ColumnElement[Any]] = {
            "count": func.least(counted, limit),
            "isExact": counted <= limit,
            "__typename": sqljson.string(type_.name),
        }
        fields = collect(self.doc, type_, sub_selections(nodes))
        return sqljson.build_object([(k, values[v[0].name.value]) for k, v in fields.items()])

    @staticmethod
    def _agg(
        value: ColumnElement[Any], page: FromClause, kept: ColumnElement[bool]
    ) -> ColumnElement[Any]:
        ordered = func.json_agg(aggregate_order_by(value, page.c._rn)).filter(kept)
        return func.coalesce(ordered, sqljson.EMPTY_ARRAY)


def _single_table(source: Select[Any]) -> Table | None:
    """The table `source` selects whole rows of, when it is one with a one-column key."""
    froms = source.get_final_froms()
    if len(froms) != 1 or not isinstance(froms[0], Table):
        return None
    table = froms[0]
    whole_rows = [c.key for c in source.selected_columns] == [c.key for c in table.c]
    return table if whole_rows and len(table.primary_key.columns) == 1 else None


def _row_key(table: Table) -> ColumnElement[Any]:
    return table.primary_key.columns[0]
