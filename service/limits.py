"""Request cost limits: tokens, depth, aliases, page sizes and a computed cost.

`check_limits` applies all of them to a parsed document; the strawberry extensions from
`limit_extensions` call it before validation, and any other execution path (such as a
compiled SQL path) calls it to refuse exactly the same requests.

How the numbers are counted:

- document size: the `query` string's UTF-8 bytes, checked first: nothing larger is lexed.
- tokens: GraphQL lexical tokens (names, punctuation, values) and comments, which cost the
  lexer as much; checked before parsing too, so a huge document is refused without being
  parsed, and the parse itself is given the same bound (graphql-core's `max_tokens`).
- depth: levels of nested selection sets below the root fields: `{ region { name } }` has
  depth 1. `ofType` does not count: the introspection query follows type wrappers through
  a chain of `ofType` fields that never fans out.
- aliases: aliased fields in the operation, a fragment counted each time it is spread.
- page size: `first` at most `max_page_size`, and `nodes(ids:)` at most as many IDs.
- cost: the sum, over every list in the selection tree, of the number of items it may
  return multiplied by those of the lists it sits in. A field with a `first` argument (a
  connection) returns `first` items (literal or variable; `default_page_size` when not
  given); the `nodes`/`edges` of a connection are that same list, not counted again.
  `nodes(ids:)` returns one item per ID. Any other list of objects (`mandates`,
  `members`, `ancestors`, `terms`, ...) counts as LIST_ESTIMATE items; `__schema.types` as
  the number of types in the schema. Scalars and single objects cost nothing themselves.
  E.g. `regions(first: 100) { nodes { children(first: 50) { nodes { ancestors { name } } } } }`
  costs 100 + 100*50 + 100*50*10 = 55,100.
- strings: every string value, literal or in the variables, is refused if it holds a NUL
  character (PostgreSQL cannot store one) or is longer than `max_string_length`; a string
  given as (or inside) a `search` argument or input field, longer than `max_search_length`.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import partial
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
    Node,
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
    parse,
    value_from_ast_untyped,
)
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef, TypeNameMetaFieldDef
from strawberry import Schema
from strawberry.extensions import DisableIntrospection, SchemaExtension

from core.settings import Settings, get_settings
from service.errors import error_extensions, log_client_errors
from service.input_checks import (
    check_document_size,
    count_tokens,
    document_tokens,
    string_errors,
)

# Items assumed for a list field that has no `first` (mandates, members, ancestors, ...):
# most hold a handful of rows, a few dozens; ten keeps nesting two of them cheap.
LIST_ESTIMATE = 10

# graphql-core 3.3 bounds the source's length in the parse itself; 3.2 has no such option.
_PARSE_TAKES_SOURCE_LENGTH = "max_source_length" in inspect.signature(parse).parameters

# Before parsing, tokens are counted up to this many times the limit, so that the error
# can say by how much a document is over without lexing all of a huge one.
TOKEN_COUNT_REACH = 10


@dataclass(frozen=True)
class Limits:
    """The budgets, read from Settings (a field missing there keeps the default here)."""

    max_tokens: int = 2000
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 50_000
    max_page_size: int = 100
    default_page_size: int = 20
    introspection: bool = True
    max_document_bytes: int = 65_536
    max_string_length: int = 10_000
    max_search_length: int = 200

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Limits:
        if settings is None:
            return cls()
        values: dict[str, Any] = {f.name: getattr(settings, f.name, f.default) for f in fields(cls)}
        return cls(**values)


def _limit_error(code: str, message: str, nodes: Sequence[Node] | None = None) -> GraphQLError:
    return GraphQLError(message, nodes=nodes, extensions={"code": code})


def token_limit_error(tokens: int, limit: int, *, at_least: bool = False) -> GraphQLError:
    more = "more than " if at_least else ""
    return _limit_error(
        "TOKEN_LIMIT",
        f"Query has {more}{tokens} tokens, exceeding the limit of {limit} "
        f"(by {more}{tokens - limit}): send a shorter query or split it.",
    )


def depth_limit_error(depth: int, limit: int) -> GraphQLError:
    return _limit_error(
        "DEPTH_LIMIT",
        f"Query depth {depth} exceeds the limit of {limit} (by {depth - limit}): "
        "ask for fewer nested levels.",
    )


def alias_limit_error(aliases: int, limit: int) -> GraphQLError:
    return _limit_error(
        "ALIAS_LIMIT",
        f"Query uses {aliases} aliases, exceeding the limit of {limit} "
        f"(by {aliases - limit}): split it into several requests.",
    )


def cost_limit_error(cost: int, limit: int) -> GraphQLError:
    return _limit_error(
        "COST_LIMIT",
        f"Query cost {cost} exceeds the limit of {limit} (by {cost - limit}): "
        "lower `first` in nested lists.",
    )


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
                _limit_error(
                    "PAGE_SIZE_LIMIT",
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
                _limit_error(
                    "PAGE_SIZE_LIMIT",
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


def check_limits(
    schema: object | None,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    settings: Settings | None,
) -> list[GraphQLError]:
    """Every limit this module enforces, applied to a parsed document; [] when within them.

    `schema` is a strawberry Schema or a graphql-core GraphQLSchema; `variables` are the
    request's raw variables. All violations are reported together.
    """
    limits = Limits.from_settings(settings)
    errors: list[GraphQLError] = []
    tokens = document_tokens(document)
    if tokens > limits.max_tokens:
        errors.append(token_limit_error(tokens, limits.max_tokens))
    errors.extend(string_errors(document, variables, limits))
    measure, page_errors = measure_document(schema, document, variables, operation_name, limits)
    if measure.depth > limits.max_depth:
        errors.append(depth_limit_error(measure.depth, limits.max_depth))
    if measure.aliases > limits.max_aliases:
        errors.append(alias_limit_error(measure.aliases, limits.max_aliases))
    errors.extend(page_errors)
    if measure.cost > limits.max_cost:
        errors.append(cost_limit_error(measure.cost, limits.max_cost))
    return errors


class RequestLimits(SchemaExtension):
    """Refuses over-limit requests before they are validated or run."""

    def __init__(self, *, settings: Settings) -> None:
        self.settings = settings
        self.limits = Limits.from_settings(settings)

    def on_operation(self) -> Iterator[None]:
        # graphql-core's own bounds on the parse, comments counted (behind the checks of
        # on_parse, which refuse with clearer errors first).
        options: dict[str, Any] = self.execution_context.parse_options  # type: ignore[assignment]
        options["max_tokens"] = self.limits.max_tokens
        if _PARSE_TAKES_SOURCE_LENGTH:
            options["max_source_length"] = self.limits.max_document_bytes
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            too_large = check_document_size(context.query, self.limits.max_document_bytes)
            if too_large is not None:
                raise too_large
            limit = self.limits.max_tokens
            reach = limit * TOKEN_COUNT_REACH
            tokens = count_tokens(context.query, stop_after=reach)
            if tokens > limit:
                # Raised from a hook, the error becomes the request's only error.
                raise token_limit_error(min(tokens, reach), limit, at_least=tokens > reach)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            errors = check_limits(
                context.schema, document, context.variables, context.operation_name, self.settings
            )
            if errors:
                # Set before validation, they also spare running the (costlier) rules.
                context.pre_execution_errors = errors
        yield


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Strawberry extensions enforcing the limits (and switching introspection off if asked)."""
    extensions: list[Callable[[], SchemaExtension]] = [partial(RequestLimits, settings=settings)]
    if not Limits.from_settings(settings).introspection:
        extensions.append(DisableIntrospection)
    return extensions


def guard_schema(schema: Schema, settings: Settings) -> Schema:
    """`schema` with error masking (outermost, so it sees every error) and the limits.

    A shallow copy: the cached schema stays as it is for printing the SDL and for apps
    with other settings.
    """
    guarded = copy.copy(schema)
    guarded.extensions = (
        *error_extensions(settings),
        *schema.extensions,
        *limit_extensions(settings),
    )
    # Strawberry logs every error at ERROR with its stack (and a timed-out statement's SQL
    # once per field): the client's mistakes go on one INFO line instead, and our failures
    # are logged once per cause by the masking.
    guarded.process_errors = _log_errors  # type: ignore[method-assign]
    guarded.registry_guarded = True  # type: ignore[attr-defined]
    return guarded


def _log_errors(errors: list[GraphQLError], execution_context: Any = None) -> None:
    try:
        operation = execution_context.operation_name if execution_context else None
    except Exception:  # a document without a usable operation
        operation = None
    log_client_errors(errors, operation)
