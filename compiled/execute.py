"""Run an operation on the compiled path: parse and validate once per document, build one
SQL statement for the whole operation, and splice PostgreSQL's JSON into the response."""

from __future__ import annotations

import enum
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values
from sqlalchemy import ColumnElement, Text, cast, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from compiled import sqljson
from compiled.build import Builder, Unsupported
from compiled.collect import Document, collect
from compiled.declared import schema_map
from compiled.roots import root_json
from core.context import Caller, Context
from service.errors import masked_error
from service.faults import is_unavailable
from service.input_checks import check_document_size, count_tokens
from service.limits import check_limits

log = logging.getLogger(__name__)
DIALECT = asyncpg_dialect()


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode
    fragments: dict[str, FragmentDefinitionNode]


MAX_CACHED_QUERY = 20_000  # characters; longer documents are parsed each time, never kept
MAX_CACHED_BODY = 40_000  # bytes of a request whose plan is kept
# What the caches may hold in all, whatever the requests: documents by the characters of
# their text (a parsed document without locations takes a few times that), plans by the
# characters of their SQL and parameters.
DOCUMENT_CACHE_CHARS = 4_000_000
PLAN_CACHE_CHARS = 64_000_000


class DocumentCache:
    """Parsed and validated documents by their text (validation does not depend on variables)."""

    def __init__(
        self, schema: GraphQLSchema, size: int = 512, budget: int = DOCUMENT_CACHE_CHARS
    ) -> None:
        self.schema = schema
        self.size = size
        self.budget = budget
        self.held = 0  # characters of the documents kept
        self.entries: OrderedDict[str, Prepared | None] = OrderedDict()

    def get(self, query: str, max_tokens: int | None = None) -> Prepared | None:
        if query in self.entries:
            self.entries.move_to_end(query)
            return self.entries[query]
        prepared: Prepared | None = None
        try:
            # Without locations: no token chain is kept with the document (the resolver
            # path, which reports errors with their locations, parses for itself).
            document = parse(query, no_location=True, max_tokens=max_tokens)
        except GraphQLError:
            document = None
        if document is not None and not validate(self.schema, document):
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            prepared = Prepared(document, fragments)
        if len(query) <= MAX_CACHED_QUERY:
            self.entries[query] = prepared
            self.held += len(query)
        while self.entries and (len(self.entries) > self.size or self.held > self.budget):
            dropped, _ = self.entries.popitem(last=False)
            self.held -= len(dropped)
        return prepared


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        operations = [o for o in operations if o.name and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def build_statement(
    schema: GraphQLSchema,
    prepared: Prepared,
    operation: OperationDefinitionNode,
    variables: Any,
    context: Context,
) -> Any:
    doc = Document(schema, prepared.fragments, variables)
    builder = Builder(doc, context.caller, context.settings, schema_map(schema))
    query_type = schema.query_type
    assert query_type is not None
    pairs: list[tuple[str, ColumnElement[Any]]] = []
    for response_key, nodes in collect(doc, query_type, [operation.selection_set]).items():
        name = nodes[0].name.value
        if name == "__typename":
            pairs.append((response_key, sqljson.string("Query")))
            continue
        pairs.append((response_key, root_json(builder, name, nodes)))
    return select(cast(sqljson.build_object(pairs), Text))


@dataclass(frozen=True)
class Plan:
    """One statement that answers an operation, and the operation's name for the logs."""

    sql: str
    params: tuple[Any, ...]
    operation: str


def to_plan(statement: Any, operation: str = "anonymous") -> Plan:
    """SQL text with $n placeholders and its parameters, as the asyncpg dialect sends them."""
    # Expanding IN lists are rendered into the text: the plan is for these exact inputs.
    compiled = statement.compile(dialect=DIALECT, compile_kwargs={"render_postcompile": True})
    processors = compiled._bind_processors
    values = compiled.construct_params()
    params = []
    for name in compiled.positiontup:
        value = values[name]
        process = processors.get(name)
        if process is not None:
            value = process(value)
        elif isinstance(value, enum.Enum):  # an expanded IN list's items: PostgreSQL enum labels
            value = value.name
        params.append(value)
    return Plan(compiled.string, tuple(params), operation)


PlanKey = tuple[bytes, str, str | None]


def _plan_chars(plan: Plan) -> int:
    return len(plan.sql) + sum(len(p) if isinstance(p, str | bytes) else 8 for p in plan.params)


class PlanCache:
    """Compiled statements by everything that shapes them: the request body as sent (the
    document, the operation and the variables) and the caller's role and region (personal
    data masking is built in).

    The body is kept as its BLAKE2b digest, not as itself, and the plans in all hold at
    most `budget` characters of SQL and parameters: memory stays bounded whatever is sent.
    """

    def __init__(self, size: int = 4096, budget: int = PLAN_CACHE_CHARS) -> None:
        self.size = size
        self.budget = budget
        self.held = 0
        self.entries: OrderedDict[PlanKey, Plan] = OrderedDict()

    @staticmethod
    def key(raw: bytes, caller: Caller) -> PlanKey:
        return (hashlib.blake2b(raw, digest_size=32).digest(), caller.role, caller.region_code)

    def get(self, key: PlanKey) -> Plan | None:
        plan = self.entries.get(key)
        if plan is not None:
            self.entries.move_to_end(key)
        return plan

    def put(self, key: PlanKey, plan: Plan) -> None:
        previous = self.entries.pop(key, None)
        if previous is not None:
            self.held -= _plan_chars(previous)
        self.entries[key] = plan
        self.held += _plan_chars(plan)
        while self.entries and (len(self.entries) > self.size or self.held > self.budget):
            _, dropped = self.entries.popitem(last=False)
            self.held -= _plan_chars(dropped)


class CompiledPath:
    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.documents = DocumentCache(schema)
        self.plans = PlanCache()

    async def run(self, raw: bytes, context: Context) -> bytes | None:
        """The whole response body, or None to hand the request to the resolver path."""
        key = self.plans.key(raw, context.caller)
        plan = self.plans.get(key)
        if plan is None:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
            if not isinstance(body, dict) or not isinstance(body.get("query"), str):
                return None
            plan = self.plan(body, context)
            if plan is None:
                return None
            if len(raw) <= MAX_CACHED_BODY:
                self.plans.put(key, plan)
        return await self.execute(plan, context)

    async def execute(self, plan: Plan, context: Context) -> bytes:
        try:
            data = await context.db.fetch_value(plan.sql, plan.params)
        except Exception as exc:
            if is_unavailable(exc):
                raise  # nothing to answer: service.faults sends 503 with Retry-After
            error = masked_error(exc, statement_timeout_ms=context.settings.statement_timeout_ms)
            return orjson.dumps({"data": None, "errors": [error.formatted]})
        return b'{"data":' + data.encode() + b"}"

    def plan(self, body: dict[str, Any], context: Context) -> Plan | None:
        """Validate, check the limits and compile; None when the resolver path must answer."""
        query: str = body["query"]
        # Too large or too many tokens (comments too): not even parsed here, and the
        # resolver path refuses it with the same errors as any other request.
        if check_document_size(query, context.settings.max_document_bytes) is not None:
            return None
        limit = context.settings.max_tokens
        if count_tokens(query, stop_after=limit) > limit:
            return None
        prepared = self.documents.get(query, max_tokens=limit)
        if prepared is None:
            return None
        operation = _operation(prepared.document, body.get("operationName"))
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        inputs = body.get("variables") or {}
        if not isinstance(inputs, dict):
            return None
        if check_limits(
            self.schema, prepared.document, inputs, body.get("operationName"), context.settings
        ):
            return None  # the resolver path refuses it with the same errors
        variables = get_variable_values(self.schema, operation.variable_definitions or (), inputs)
        if isinstance(variables, list):
            return None
        name = body.get("operationName") or (operation.name.value if operation.name else None)
        try:
            statement = build_statement(self.schema, prepared, operation, variables, context)
        except (Unsupported, sqljson.TooWide):
            return None
        return to_plan(statement, name or "anonymous")
