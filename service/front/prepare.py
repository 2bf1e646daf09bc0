"""The front of a GraphQL request (see the package's doc for the limits): its document parsed once and validated once, the limits
included, into the one PreparedOperation (core.operations) that the logs and metrics, the
compiled path and strawberry all read.

- parse: the size is checked before the text is lexed; the parse itself stops at the
  token limit (graphql-core's `max_tokens`, comments counted), and only a document refused
  so is lexed again to say by how much. Documents keep their locations: the errors of
  validation and execution point into the text.
- validate: the specification's rules (and strawberry's, and no introspection when it is
  off) with the limits' (service.front.rules) in one graphql-core validation.
- cache: the parse and the specification's verdict by the document's text, within a
  budget of characters; the limits' verdict by the text, the operation name and the
  variables (the cost counts `first: $n`), as a digest. A document sent again is neither
  parsed nor validated; one sent with new variables is checked by the limits' rules alone.

Strawberry reads the prepared operation through its own hooks (`PreparedOperations`, a
SchemaExtension whose on_parse and on_validate supply the document and the verdict), so it
never parses or validates again.
"""

from __future__ import annotations

import copy
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules, validate
from graphql.error import GraphQLSyntaxError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry import Schema
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from core.codes import Code
from core.operations import PreparedOperation, choose_operation, fragments_of
from core.settings import Settings
from service.errors import error_extensions, give_code, log_client_errors
from service.front.budgets import TOKEN_COUNT_REACH, Limits, token_limit_error
from service.front.rules import RequestInputs, limit_rules, without_gate
from service.input_checks import check_document_size, count_tokens
from service.observability.requests import current_request

MAX_CACHED_QUERY = 20_000  # characters; longer documents are parsed each time, never kept
# What the document cache may hold in all, whatever the requests: documents by the
# characters of their text (a parsed document with its locations takes some times that).
DOCUMENT_CACHE_CHARS = 4_000_000
MAX_VERDICTS = 8192  # limit verdicts (a digest and a few errors each)


@dataclass
class _Parsed:
    """A text's parse, and the specification's verdict once a validation has given one."""

    document: DocumentNode | None
    parse_error: GraphQLError | None
    spec_errors: tuple[GraphQLError, ...] | None = None


class DocumentCache:
    """Parsed documents by their text, within `size` entries and `budget` characters."""

    def __init__(self, size: int = 512, budget: int = DOCUMENT_CACHE_CHARS) -> None:
        self.size = size
        self.budget = budget
        self.held = 0  # characters of the texts kept
        self.entries: OrderedDict[str, _Parsed] = OrderedDict()

    def get(self, query: str) -> _Parsed | None:
        parsed = self.entries.get(query)
        if parsed is not None:
            self.entries.move_to_end(query)
        return parsed

    def put(self, query: str, parsed: _Parsed) -> None:
        if len(query) > MAX_CACHED_QUERY or query in self.entries:
            return
        self.entries[query] = parsed
        self.held += len(query)
        while self.entries and (len(self.entries) > self.size or self.held > self.budget):
            dropped, _ = self.entries.popitem(last=False)
            self.held -= len(dropped)


def _inputs_key(query: str, operation_name: str | None, variables: object) -> bytes | None:
    """A digest of what the limits' verdict depends on, or None when it cannot be made."""
    try:
        given = orjson.dumps(variables or None, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # past orjson's depth limit, or a value JSON has no word for
        return None
    digest = hashlib.blake2b(query.encode("utf-8", "surrogatepass"), digest_size=32)
    digest.update(b"\0" + (operation_name or "").encode("utf-8", "surrogatepass") + b"\0")
    digest.update(given)
    return digest.digest()


# The last operation prepared in this task: the compiled path and then strawberry ask for
# the same request's, and a document too long to be cached is not parsed twice.
_last: ContextVar[tuple[OperationFront, bytes, PreparedOperation] | None] = ContextVar(
    "last_prepared", default=None
)


def _without_back_links(document: DocumentNode) -> DocumentNode:
    """`document` with its token chain linked one way only: a chain linked both ways is a
    reference cycle, which only the (rarely run: service.app) cyclic collector frees, so
    a burst of large documents would stay in memory long after it. Nothing reads `prev`
    once the parse is done (error locations come from the source)."""
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        token.prev = None
        token = token.next
    return document


class OperationFront:
    """Prepares the operations of one schema under one set of limits (see the module's doc)."""

    def __init__(self, schema: GraphQLSchema, settings: Settings) -> None:
        self.schema = schema
        self.limits = Limits.from_settings(settings)
        rules: list[type[ASTValidationRule]] = [
            *specified_rules,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
        ]
        if not self.limits.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.spec_rules = tuple(rules)
        self.documents = DocumentCache()
        self.verdicts: OrderedDict[bytes, tuple[GraphQLError, ...]] = OrderedDict()

    def prepare(
        self, query: str, operation_name: str | None, variables: object
    ) -> PreparedOperation:
        """The request's prepared operation; it also names the request in logs and metrics."""
        key = _inputs_key(query, operation_name, variables)
        last = _last.get()
        if key is not None and last is not None and last[0] is self and last[1] == key:
            prepared = last[2]
        else:
            prepared = self._prepare(query, key, operation_name, variables)
            if key is not None:
                _last.set((self, key, prepared))
        info = current_request.get()
        if info is not None:
            info.operation = prepared.operation_name(operation_name)
            info.operation_type = prepared.operation_type
        return prepared

    def _prepare(
        self, query: str, key: bytes | None, operation_name: str | None, variables: object
    ) -> PreparedOperation:
        parsed = self.documents.get(query)
        if parsed is None:
            parsed = self._parse(query)
            self.documents.put(query, parsed)
        document = parsed.document
        if document is None:
            return PreparedOperation(None, parse_error=parsed.parse_error)
        # A verdict stands only beside the specification's (a text parsed again has none).
        refused = self.verdicts.get(key) if key and parsed.spec_errors is not None else None
        if refused is None:
            refused = self._validate(parsed, operation_name, variables)
            if key is not None:
                self.verdicts[key] = refused
                if len(self.verdicts) > MAX_VERDICTS:
                    self.verdicts.popitem(last=False)
        elif key is not None:
            self.verdicts.move_to_end(key)
        errors = refused or parsed.spec_errors or ()
        operation = choose_operation(document, operation_name)
        return PreparedOperation(document, operation, None, errors, fragments_of(document))

    def _parse(self, query: str) -> _Parsed:
        too_large = check_document_size(query, self.limits.max_document_bytes)
        if too_large is not None:
            return _Parsed(None, too_large)
        limit = self.limits.max_tokens
        try:
            return _Parsed(_without_back_links(parse(query, max_tokens=limit)), None)
        except GraphQLSyntaxError as error:
            if "tokens. Parsing aborted." not in error.message:
                # Coded here: raised from a hook, it skips the masking that codes the rest.
                give_code(error, Code.GRAPHQL_PARSE_FAILED)
                return _Parsed(None, error)
        reach = limit * TOKEN_COUNT_REACH
        tokens = count_tokens(query, stop_after=reach)
        return _Parsed(None, token_limit_error(min(tokens, reach), limit, at_least=tokens > reach))

    def _validate(
        self, parsed: _Parsed, operation_name: str | None, variables: object
    ) -> tuple[GraphQLError, ...]:
        """The limits' errors (the request's only ones when there are any); the
        specification's verdict is kept on `parsed` when this validation gave one."""
        assert parsed.document is not None
        inputs = RequestInputs(
            self.limits, variables if isinstance(variables, Mapping) else None, operation_name
        )
        rules = limit_rules(inputs)
        if parsed.spec_errors is None:
            rules += self.spec_rules
        errors = without_gate(validate(self.schema, parsed.document, rules))
        if inputs.refused:
            return tuple(inputs.refused)
        if parsed.spec_errors is None:
            parsed.spec_errors = tuple(errors)
        return ()


class PreparedOperations(SchemaExtension):
    """Strawberry's parse and validation, answered from the front (see the module's doc)."""

    def __init__(self, *, front: OperationFront) -> None:
        self.front = front
        self.prepared: PreparedOperation | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            prepared = self.front.prepare(context.query, context.operation_name, context.variables)
            if prepared.parse_error is not None:
                # Raised from a hook, the error becomes the request's only error.
                raise prepared.parse_error
            context.graphql_document = prepared.document
            self.prepared = prepared
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.prepared is not None and context.pre_execution_errors is None:
            # Set, even empty: strawberry then runs no validation of its own.
            context.pre_execution_errors = list(self.prepared.errors)
        yield


def guard_schema(schema: Schema, settings: Settings) -> Schema:
    """`schema` with error masking (outermost, so it sees every error) and the front: the
    limits, the one parse and the one validation. Its `front` is the OperationFront, for
    the compiled path.

    A shallow copy: the cached schema stays as it is for printing the SDL and for apps
    with other settings.
    """
    guarded = copy.copy(schema)
    front = OperationFront(schema._schema, settings)
    extensions: list[Callable[[], SchemaExtension]] = [partial(PreparedOperations, front=front)]
    guarded.extensions = (*error_extensions(settings), *schema.extensions, *extensions)
    # Strawberry logs every error at ERROR with its stack (and a timed-out statement's SQL
    # once per field): the client's mistakes go on one INFO line instead, and our failures
    # are logged once per cause by the masking.
    guarded.process_errors = _log_errors  # type: ignore[method-assign]
    guarded.registry_guarded = True  # type: ignore[attr-defined]
    guarded.front = front  # type: ignore[attr-defined]
    return guarded


def front_of(schema: object) -> OperationFront:
    """The OperationFront of a schema guard_schema made."""
    front = getattr(schema, "front", None)
    assert isinstance(front, OperationFront), "a schema guard_schema made"
    return front


def _log_errors(errors: list[GraphQLError], execution_context: Any = None) -> None:
    try:
        operation = execution_context.operation_name if execution_context else None
    except Exception:  # a document without a usable operation
        operation = None
    log_client_errors(errors, operation)
