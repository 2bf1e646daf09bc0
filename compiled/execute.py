"""Run an operation on the compiled path: from the request's prepared operation (parsed
and validated once, the limits included, by the service's front), build one SQL
statement for the whole operation, and splice PostgreSQL's JSON into the response."""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

import orjson
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.values import get_variable_values
from sqlalchemy import ColumnElement, Text, cast, select

from compiled import sqljson
from compiled.build import Builder, Unsupported
from compiled.collect import Document, collect
from compiled.declared import schema_map
from compiled.plans import Plan, PlanCache, PlanKey, Template, to_plan, to_template
from compiled.roots import root_json
from compiled.shapes import Tainted, Trace, Variables, read
from core.context import Caller, Context
from core.operations import PreparedOperation
from db.faults import is_unavailable
from db.masking import masked_error

log = logging.getLogger(__name__)


# What build_statement reads of a document: its fragments (core.operations).
Prepared = PreparedOperation

MAX_CACHED_BODY = 40_000  # bytes of a request whose plan is kept


class OperationSource(Protocol):
    """The front that prepares a request's operation (service.front.OperationFront)."""

    documents: Any  # its cache of parsed documents
    limits: Any  # its limits (strings longer than max_string_length are refused)

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


MAX_SHAPES = 1024  # documents whose variables' shapes are known


def document_key(query: str, operation_name: str | None) -> bytes:
    text = f"{query}\0{operation_name or ''}".encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=32).digest()


def _request(body: Any) -> tuple[str, str | None, dict[str, Any]] | None:
    """The query, operation name and variables of a JSON body, if it is a usable one."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    name, variables = body.get("operationName"), body.get("variables") or {}
    if not isinstance(variables, dict) or not isinstance(name, str | None):
        return None
    return body["query"], name, variables


class CompiledPath:
    def __init__(
        self,
        schema: GraphQLSchema,
        front: OperationSource,
        counted: Callable[[bool], None] | None = None,
    ) -> None:
        self.schema = schema
        self.front = front
        self.documents = front.documents
        self.plans = PlanCache()
        # Per document: which variables are traced (compiled.shapes); the key digests
        # the text with the operation name.
        self.shapes: OrderedDict[bytes, Variables] = OrderedDict()
        self.counted = counted or (lambda hit: None)  # plan cache hits and misses
        limits = getattr(front, "limits", None)
        self.max_string = min(
            getattr(limits, "max_string_length", 0), getattr(limits, "max_search_length", 0)
        )

    def find(self, raw: bytes, caller: Caller) -> Plan | None:
        """The plan of a request whose shape is known, without parsing its document."""
        try:
            request = _request(orjson.loads(raw))
        except orjson.JSONDecodeError:
            return None
        if request is None or len(raw) > MAX_CACHED_BODY:
            return None
        query, name, variables = request
        document = document_key(query, name)
        shape = self.shapes.get(document)
        if shape is None:
            return None
        try:
            key = self.plans.key(document, shape.signature(variables), caller)
        except TypeError:
            return None
        for template in self.plans.get(key):
            if template.matches(variables):
                return template.bind(variables) if template.usable(variables) else None
        return None

    async def run(self, raw: bytes, context: Context) -> bytes | None:
        """The whole response body, or None to hand the request to the resolver path."""
        plan = self.find(raw, context.caller)
        hit = plan is not None
        if plan is None:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return None
            plan = self.plan(body, context, keep=len(raw) <= MAX_CACHED_BODY)
            if plan is None:
                return None  # the resolver path's: neither a hit nor a miss
        self.counted(hit)
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

    def prepare(self, query: str) -> int:
        """A trusted document made ready before its first request: parsed and validated
        (the front keeps both), and which of each query's variables are traced. Plans
        need a caller and the variables' shape: they are made on first use. The number
        of operations made ready."""
        ready = 0
        document = self.front.prepare(query, None, None).document
        for definition in document.definitions if document is not None else ():
            if not isinstance(definition, OperationDefinitionNode):
                continue
            name = definition.name.value if definition.name is not None else None
            prepared = self.front.prepare(query, name, None)
            if prepared.operation is not None and self._shape(query, name, prepared) is not None:
                ready += 1
        return ready

    def _shape(self, query: str, name: str | None, prepared: Prepared) -> Variables | None:
        operation = prepared.operation
        if operation is None or prepared.parse_error is not None:
            return None
        if operation.operation is not OperationType.QUERY:
            return None
        document = document_key(query, name)
        shape = self.shapes.get(document)
        if shape is None:
            shape = Variables.of(self.schema, operation, self.max_string)
            self.shapes[document] = shape
            if len(self.shapes) > MAX_SHAPES:
                self.shapes.popitem(last=False)
        else:
            self.shapes.move_to_end(document)
        return shape

    def plan(self, body: Any, context: Context, keep: bool = True) -> Plan | None:
        """Compile the request's query; None when the resolver path must answer (a refusal,
        a mutation, a field the builder does not know)."""
        request = _request(body)
        if request is None:
            return None
        query, name, inputs = request
        prepared = self.front.prepare(query, name, inputs)
        operation = prepared.operation
        if not prepared.runnable or operation is None:
            return None  # the resolver path refuses it with the same errors
        if operation.operation is not OperationType.QUERY:
            return None
        variables = get_variable_values(self.schema, operation.variable_definitions or (), inputs)
        if isinstance(variables, list):
            return None
        shape = self._shape(query, name, prepared)
        label = prepared.operation_name(name)
        if shape is None or not keep:
            return self._build(prepared, operation, variables, context, label)
        tainted_once = False
        for _ in range(MAX_ATTEMPTS):
            untraced = len(shape.untraced)
            try:
                key = self.plans.key(
                    document_key(query, name), shape.signature(inputs), context.caller
                )
            except TypeError:
                break
            matching = [t for t in self.plans.get(key) if t.matches(inputs)]
            if matching and matching[0].usable(inputs):
                return matching[0].bind(inputs)
            if matching:
                return self._verify(key, matching[0], shape, prepared, variables, inputs, context)
            trace = Trace()
            traced = shape.traced(variables, inputs, trace)
            if len(shape.untraced) > untraced:
                continue  # a value coerced otherwise than sent: the shape changed
            try:
                statement = build_statement(self.schema, prepared, operation, traced, context)
                template = to_template(statement, label, trace)
            except (Unsupported, sqljson.TooWide, Tainted):
                if not trace.tainted:
                    return None
                template = None
            if trace.tainted:
                # Read as values: in the key by value. A second taint in one request
                # untraces every value, so no document costs more than a few builds.
                shape.untraced |= trace.paths if tainted_once else trace.tainted
                tainted_once = True
                continue
            assert template is not None
            template.sample = {p: read(inputs, p) for p in trace.paths}
            # Checked against a build from the real values before it is kept.
            real = self._build(prepared, operation, variables, context, label)
            if real is None or template.bind(inputs) != real:
                log.warning("plan of %s differs from its build: values keyed by value", label)
                shape.untraced |= trace.paths
                return real
            self.plans.add(key, template)
            return real
        return self._build(prepared, operation, variables, context, label)

    def _verify(
        self,
        key: PlanKey,
        template: Template,
        shape: Variables,
        prepared: Prepared,
        variables: Any,
        inputs: dict[str, Any],
        context: Context,
    ) -> Plan | None:
        """A plan of this shape not yet trusted, for new values: a build from the real
        values checks it (and answers); a plan that differs is dropped, its values
        untraced."""
        assert prepared.operation is not None
        real = self._build(prepared, prepared.operation, variables, context, template.operation)
        if real is not None and not template.verify(real, inputs):
            log.warning("plan of %s differs from its build: values keyed by value", real.operation)
            shape.untraced |= template.sample.keys()
            self.plans.drop(key)
        return real

    def _build(
        self,
        prepared: Prepared,
        operation: OperationDefinitionNode,
        variables: Any,
        context: Context,
        label: str,
    ) -> Plan | None:
        try:
            statement = build_statement(self.schema, prepared, operation, variables, context)
        except (Unsupported, sqljson.TooWide):
            return None
        return to_plan(statement, label)


MAX_ATTEMPTS = 4  # builds of one request's plan: traced, less traced, by value
