"""The walk that measures an operation: its depth, aliases, page sizes and cost (how they
are counted: service.front)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    value_from_ast_untyped,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef

from core.codes import Code
from core.settings import Settings, get_settings
from service.front.budgets import Limits, limit_error

# Items assumed for a list field that has no `first` (mandates, members, ancestors, ...):
# most hold a handful of rows, a few dozens; ten keeps nesting two of them cheap.
LIST_ESTIMATE = 10


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    # Items of all lists below, per item of the list the selection belongs to.
    cost: int = 0


# GraphQL's Int is 32 bits: a larger number is no page size, and validation refuses it.
INT_RANGE = range(-(2**31), 2**31)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**31:
        value = int(value)
    return value if isinstance(value, int) and value in INT_RANGE else None


class _OperationMeasure:
    """Walks one operation's selection tree, following fragments (each measured once)."""

    def __init__(
        self,
        schema: GraphQLSchema | None,
        operation: OperationDefinitionNode,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any] | None,
        limits: Limits,
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.variables = variables or {}
        self.defaults = {
            d.variable.name.value: d.default_value
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        self.limits = limits
        self.page_errors: list[GraphQLError] = []
        self._fragment_measures: dict[str, Measure] = {}
        self._measuring: set[str] = set()

    def run(self) -> Measure:
        return self.selection_set(self.operation.selection_set, self._root_type())

    def _root_type(self) -> GraphQLNamedType | None:
        if self.schema is None:
            return None
        return {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[self.operation.operation]

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name) if self.schema is not None else None

    def selection_set(
        self, node: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> Measure:
        if node is None:
            return Measure()
        depth = aliases = cost = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                measure = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._type(condition.name.value) if condition else parent
                measure = self.selection_set(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                measure = self.fragment(selection.name.value)
            else:  # pragma: no cover - no other selection kinds exist
                continue
            depth = max(depth, measure.depth)
            aliases += measure.aliases
            cost += measure.cost
        return Measure(depth, aliases, cost)

    def fragment(self, name: str) -> Measure:
        # Memoised: a fragment spread many times (or fragments spreading each other
        # twice over) is walked once, so the walk stays linear in the document.
        if name in self._fragment_measures:
            return self._fragment_measures[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._measuring:
            return Measure()  # unknown or cyclic: validation reports it
        self._measuring.add(name)
        try:
            measure = self.selection_set(
                definition.selection_set, self._type(definition.type_condition.name.value)
            )
        finally:
            self._measuring.discard(name)
        self._fragment_measures[name] = measure
        return measure

    def _field_definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__typename":
            return TypeNameMetaFieldDef
        if parent is None or self.schema is None:
            return None
        if parent is self.schema.query_type:
            if name == "__schema":
                return SchemaMetaFieldDef
            if name == "__type":
                return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return parent.fields.get(name)
        return None

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Measure:
        name = node.name.value
        definition = self._field_definition(parent, name)
        child: GraphQLNamedType | None = None
        if definition is not None:
            named = get_named_type(definition.type)
            child = named if is_composite_type(named) else None
        below = self.selection_set(node.selection_set, child)
        if node.selection_set is None:
            depth = 0
        elif name == "ofType" and (parent is None or parent.name == "__Type"):
            depth = below.depth
        else:
            depth = below.depth + 1
        size = self._items(node, parent, definition)
        cost = below.cost if size is None else size + size * below.cost
        return Measure(depth, below.aliases + (1 if node.alias else 0), cost)

    def _items(
        self, node: FieldNode, parent: GraphQLNamedType | None, definition: GraphQLField | None
    ) -> int | None:
        """How many items the field returns, or None for a single value."""
        if definition is None:
            return None
        if "first" in definition.args:
            return self._page_size(node)
        if "ids" in definition.args and is_list_type(get_nullable_type(definition.type)):
            return self._ids(node)
        if _is_connection(parent) and node.name.value in ("nodes", "edges"):
            return None  # the connection's own list, counted at the connection field
        returned = get_nullable_type(definition.type)
        if not is_list_type(returned) or not is_composite_type(get_named_type(returned)):
            return None
        if parent is not None and parent.name == "__Schema" and node.name.value == "types":
            return len(self.schema.type_map) if self.schema is not None else LIST_ESTIMATE
        return LIST_ESTIMATE

    def _argument(self, node: FieldNode, name: str) -> tuple[object, ValueNode | None]:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self._value(argument.value), argument.value
        return None, None

    def _value(self, value: ValueNode) -> object:
        if isinstance(value, VariableNode):
            name = value.name.value
            if name in self.variables:
                return self.variables[name]
            default = self.defaults.get(name)
            return value_from_ast_untyped(default) if default is not None else None
        if isinstance(value, IntValueNode):
            # Long digit strings are no Int (and int() of thousands of digits is refused).
            return int(value.value) if len(value.value) <= 11 else None
        if isinstance(value, ListValueNode):
            return [self._value(v) for v in value.values]
        if isinstance(value, StringValueNode):
            return value.value
        if isinstance(value, NullValueNode):
            return None
        return value_from_ast_untyped(value, dict(self.variables))

    def _page_size(self, node: FieldNode) -> int:
        value, where = self._argument(node, "first")
        first = _as_int(value)
        if first is None:
            return self.limits.default_page_size
        cap = self.limits.max_page_size
        if first > cap:
            self.page_errors.append(
                limit_error(
                    Code.PAGE_SIZE_LIMIT,
                    f"`first` may be at most {cap} (got {first}) on `{node.name.value}`, "
                    f"{first - cap} over the cap: page with `after`.",
                    [where] if where is not None else None,
                )
            )
            return cap  # measure the cost as if the request were legal
        return max(first, 0)

    def _ids(self, node: FieldNode) -> int:
        value, where = self._argument(node, "ids")
        if value is None:
            return 0
        count = len(value) if isinstance(value, list) else 1  # one ID coerces to a list
        cap = self.limits.max_page_size
        if count > cap:
            self.page_errors.append(
                limit_error(
                    Code.PAGE_SIZE_LIMIT,
                    f"`ids` may list at most {cap} IDs (got {count}) on `{node.name.value}`, "
                    f"{count - cap} over the cap: ask in several requests.",
                    [where] if where is not None else None,
                )
            )
        return count


def _is_connection(parent: GraphQLNamedType | None) -> bool:
    return (
        isinstance(parent, GraphQLObjectType)
        and "pageInfo" in parent.fields
        and "edges" in parent.fields
    )


def _graphql_schema(schema: object | None) -> GraphQLSchema | None:
    """graphql-core's schema from a strawberry Schema (or a GraphQLSchema given as is)."""
    if schema is None or isinstance(schema, GraphQLSchema):
        return schema
    inner = getattr(schema, "_schema", None)
    return inner if isinstance(inner, GraphQLSchema) else None


def _operations(
    document: DocumentNode, operation_name: str | None
) -> list[OperationDefinitionNode]:
    # Without a name, every operation is measured (the one that runs is among them).
    return [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]


def measure_document(
    schema: object | None,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    limits: Limits,
) -> tuple[Measure, list[GraphQLError]]:
    """The largest depth, aliases and cost among the operations, and page-size errors."""
    graphql_schema = _graphql_schema(schema)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    depth = aliases = cost = 0
    page_errors: list[GraphQLError] = []
    for operation in _operations(document, operation_name):
        walk = _OperationMeasure(graphql_schema, operation, fragments, variables, limits)
        measure = walk.run()
        depth, aliases, cost = (
            max(depth, measure.depth),
            max(aliases, measure.aliases),
            max(cost, measure.cost),
        )
        page_errors.extend(walk.page_errors)
    return Measure(depth, aliases, cost), page_errors


def _default_schema() -> GraphQLSchema:
    from schema import build_schema  # here: the schema package imports the service's modules

    return build_schema()._schema


def query_cost(
    document_ast: DocumentNode,
    variables: Mapping[str, Any] | None = None,
    operation_name: str | None = None,
    *,
    schema: object | None = None,
    settings: Settings | None = None,
) -> int:
    """The cost of the operation (see the module's doc), for the registry's schema by default.

    Page sizes come from `settings` (the service's settings when not given); a `first` over
    the cap counts as the cap.
    """
    if settings is None:
        settings = get_settings()
    measure, _ = measure_document(
        schema if schema is not None else _default_schema(),
        document_ast,
        variables,
        operation_name,
        Limits.from_settings(settings),
    )
    return measure.cost
