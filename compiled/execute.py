"""Run an operation on the compiled path: from the request's prepared operation (parsed
and validated once, the limits included, by the service's front), build one SQL
statement for the whole operation, and splice PostgreSQL's JSON into the response."""

from __future__ import annotations

import enum
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
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
from core.operations import PreparedOperation
from db.faults import is_unavailable
from db.masking import masked_error

log = logging.getLogger(__name__)
DIALECT = asyncpg_dialect()


# What build_statement reads of a document: its fragments (core.operations).
Prepared = PreparedOperation

MAX_CACHED_BODY = 40_000  # bytes of a request whose plan is kept
# What the plans may hold in all, whatever the requests: the characters of their SQL and
# parameters.
PLAN_CACHE_CHARS = 64_000_000


class OperationSource(Protocol):
    """The front that prepares a request's operation (service.front.OperationFront)."""

    documents: Any  # its cache of parsed documents

    def prepare(
        self, query: str, operation_name: str | None, variables: object
    ) -> PreparedOperation: ...


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
    def __init__(self, schema: GraphQLSchema, front: OperationSource) -> None:
        self.schema = schema
        self.front = front
        self.documents = front.documents
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
        """Compile the request's query; None when the resolver path must answer (a refusal,
        a mutation, a field the builder does not know)."""
        name = body.get("operationName")
        inputs = body.get("variables") or {}
        if not isinstance(inputs, dict) or not isinstance(name, str | None):
            return None
        prepared = self.front.prepare(body["query"], name, inputs)
        operation = prepared.operation
        if not prepared.runnable or operation is None:
            return None  # the resolver path refuses it with the same errors
        if operation.operation is not OperationType.QUERY:
            return None
        variables = get_variable_values(self.schema, operation.variable_definitions or (), inputs)
        if isinstance(variables, list):
            return None
        try:
            statement = build_statement(self.schema, prepared, operation, variables, context)
        except (Unsupported, sqljson.TooWide):
            return None
        return to_plan(statement, prepared.operation_name(name))
