"""What a client may see of a failure: masking of unexpected errors, and request-body limits.

Deliberate errors keep their message: graphql-core's syntax, validation and variable errors,
and every GraphQLError our code raises. Each gets a stable `extensions.code` if it has none:
GRAPHQL_PARSE_FAILED (syntax), GRAPHQL_VALIDATION_FAILED (validation), BAD_USER_INPUT
(variables that do not coerce, and a resolver's refusal of an argument). Anything else a
resolver raises (KeyError, SQLAlchemy or asyncpg errors with their SQL text,
AssertionError, ...) reaches the client only as "Internal error; quote error id <id>" with
`extensions: {code: INTERNAL, errorId}`, while the stack is logged under that id on the
`registry.errors` logger. A PostgreSQL statement timeout becomes a TIMEOUT error, and a
value PostgreSQL refuses as such (a NUL character, a word too long to search) BAD_USER_INPUT
(db.masking: the compiled path masks its failed statement the same way).

One response carries one error per cause: errors of the same code and message (and every
TIMEOUT, INTERNAL of a request) are sent once, at the first path, and logged once; at most
`max_errors` are sent, the last one saying how many were left out. Client mistakes are
logged at INFO, our failures at ERROR, SQL only at DEBUG. With introspection off, no
message suggests names ("Did you mean ...?").

`BodyLimitMiddleware` (service.body_limits) refuses oversized
bodies (413) and JSON bodies that are not a single operation object (400) before
strawberry reads them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from functools import partial

from graphql import GraphQLError
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from core.codes import Code
from core.settings import Settings
from db.faults import QUERY_CANCELED, sqlstate
from db.faults import original_exception as _cause
from db.masking import (
    failure_code,
    internal_error,
    internal_error_for,
    log_internal,
    log_timeout,
    new_error_id,
    path_text,
    refused_value_error,
    timeout_error,
)

log = logging.getLogger("registry.errors")

DEFAULT_MAX_ERRORS = 50

# Failures of the request as a whole: however many fields they reach, sent and logged once.
_ONCE_PER_REQUEST = frozenset({Code.INTERNAL, Code.TIMEOUT, Code.DATABASE_UNAVAILABLE})
# Client errors logged per request, at most (the rest counted).
_LOGGED_CLIENT_ERRORS = 5
_SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")

# Strawberry turns these into HTTP 400 answers itself; they must pass through untouched.
_STRAWBERRY_REQUEST_ERRORS = (
    MissingQueryError,
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)

# Exceptions that graphql-core wraps, with a message of its own, when a request's input
# fails to parse or coerce before execution (e.g. an invalid Date literal).
_INPUT_EXCEPTIONS = (ValueError, TypeError)


def is_deliberate(error: GraphQLError) -> bool:
    """Whether the client may see `error` as it is."""
    cause = _cause(error)
    if cause is None:
        return True  # raised as a GraphQLError: by graphql-core or on purpose by our code
    # Before execution (no path) graphql-core wraps input that fails to parse or coerce
    # (an invalid Date literal, a variable of the wrong type) in a message of its own; an
    # error whose message is just str(cause) is strawberry's wrapping of a failed hook.
    return (
        error.path is None and isinstance(cause, _INPUT_EXCEPTIONS) and error.message != str(cause)
    )


def _code(error: GraphQLError) -> str | None:
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else None


def give_code(error: GraphQLError, code: str) -> GraphQLError:
    """`error` with `code` as its extensions.code when it has none yet."""
    if _code(error) is None:
        error.extensions = {**(error.extensions or {}), "code": code}
    return error


def without_suggestions(error: GraphQLError) -> GraphQLError:
    """`error` without "Did you mean ...?" hints, which would reveal names of the schema."""
    if "Did you mean" in error.message:
        error.message = _SUGGESTION.sub("", error.message)
    return error


def log_client_errors(errors: list[GraphQLError], operation: str | None = None) -> None:
    """Strawberry's `process_errors`: a client's mistakes on one INFO line per request.

    Our failures are not logged here: the masking logs each cause once, at ERROR (or a
    timeout at WARNING), under the error id the client is given.
    """
    mistakes = list(
        dict.fromkeys(
            f"{_code(e)}: {e.message}" if _code(e) else e.message
            for e in errors
            if is_deliberate(e)
        )
    )
    if not mistakes:
        return
    shown = [m if len(m) <= 300 else m[:300] + "..." for m in mistakes[:_LOGGED_CLIENT_ERRORS]]
    more = len(mistakes) - len(shown)
    log.info(
        "Request refused in operation %s: %s%s",
        operation or "(anonymous)",
        " | ".join(shown),
        f" (and {more} more)" if more else "",
        extra={"client_errors": len(mistakes)},
    )


class MaskUnexpectedErrors(SchemaExtension):
    """Replaces every error that is not deliberate (see `is_deliberate`) in the result, gives
    every error a code, sends one error per cause and at most `max_errors` of them."""

    def __init__(
        self,
        *,
        statement_timeout_ms: int,
        max_errors: int = DEFAULT_MAX_ERRORS,
        suggestions: bool = True,
    ) -> None:
        self.statement_timeout_ms = statement_timeout_ms
        self.max_errors = max(max_errors, 2)
        self.suggestions = suggestions

    def _operation_name(self) -> str | None:
        try:
            return self.execution_context.operation_name
        except Exception:  # a document without a usable operation
            return None

    def _code_pre_execution_errors(self, code: str) -> None:
        for error in self.execution_context.pre_execution_errors or ():
            give_code(error, code)

    def on_parse(self) -> Iterator[None]:
        yield
        self._code_pre_execution_errors(Code.GRAPHQL_PARSE_FAILED)

    def on_validate(self) -> Iterator[None]:
        yield
        self._code_pre_execution_errors(Code.GRAPHQL_VALIDATION_FAILED)

    def mask(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        causes = [None if is_deliberate(e) else _cause(e) for e in errors]
        # After a timeout the request's transaction is aborted: the statements that other
        # resolvers send next fail with 25P02, which is the same timeout seen again.
        timed_out = any(c is not None and sqlstate(c) == QUERY_CANCELED for c in causes)
        operation = self._operation_name()
        error_id = new_error_id()  # one per request: each cause is logged under it
        logged: set[tuple[str, str]] = set()
        kept: dict[tuple[str, str], GraphQLError] = {}
        repeats: dict[str, int] = {}
        for error, cause in zip(errors, causes, strict=True):
            if cause is None:
                replacement = give_code(error, Code.BAD_USER_INPUT)
            else:
                failure = failure_code(cause, timed_out)
                if failure is Code.INTERNAL:
                    signature = (type(cause).__name__, str(cause)[:500])
                    if signature not in logged:  # each distinct cause once
                        logged.add(signature)
                        log_internal(error_id, cause, error.path, operation)
                if (failure, "") in kept:
                    repeats[failure] = repeats.get(failure, 0) + 1
                    continue
                replacement = self._replacement(failure, cause, error, error_id)
            code = _code(replacement) or ""
            key = (code, "" if code in _ONCE_PER_REQUEST else replacement.message)
            if key in kept:
                repeats[code] = repeats.get(code, 0) + 1
                continue
            kept[key] = replacement
        timeout = kept.get((Code.TIMEOUT, ""))
        first_timeout = next(
            (c for c in causes if c is not None and sqlstate(c) == QUERY_CANCELED), None
        )
        if timeout is not None and first_timeout is not None:
            log_timeout(first_timeout, timeout.path, operation, 1 + repeats.get(Code.TIMEOUT, 0))
        unavailable = kept.get((Code.DATABASE_UNAVAILABLE, ""))
        if unavailable is not None:
            log.warning(
                "Database unavailable in operation %s at path %s (%d fields without an answer)",
                operation or "(anonymous)",
                path_text(unavailable.path),
                1 + repeats.get(Code.DATABASE_UNAVAILABLE, 0),
            )
        return self._capped(list(kept.values()))

    def _replacement(
        self, code: Code, cause: BaseException, error: GraphQLError, error_id: str
    ) -> GraphQLError:
        if code is Code.TIMEOUT:
            return timeout_error(self.statement_timeout_ms, nodes=error.nodes, path=error.path)
        if code is Code.BAD_USER_INPUT:
            return refused_value_error(cause, nodes=error.nodes, path=error.path)
        return internal_error_for(error_id, nodes=error.nodes, path=error.path)

    def _capped(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        if not self.suggestions:
            errors = [without_suggestions(e) for e in errors]
        if len(errors) <= self.max_errors:
            return errors
        shown = self.max_errors - 1
        left_out = len(errors) - shown
        return [
            *errors[:shown],
            GraphQLError(
                f"{left_out} more errors were left out of this response "
                f"(at most {self.max_errors} are sent): fix the ones above first.",
                extensions={"code": Code.TOO_MANY_ERRORS, "leftOut": left_out},
            ),
        ]

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except (GraphQLError, *_STRAWBERRY_REQUEST_ERRORS):
            raise
        except Exception as exc:
            # An exception from a hook or from graphql-core itself: strawberry would send
            # str(exc) to the client. The replacement is a GraphQLError, which it sends as is.
            raise internal_error(exc, operation=self._operation_name()) from None
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = self.mask(list(errors))


def error_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """The masking extension; it must come first so that it sees every other one's errors."""
    return [
        partial(
            MaskUnexpectedErrors,
            statement_timeout_ms=settings.statement_timeout_ms,
            max_errors=getattr(settings, "max_errors", DEFAULT_MAX_ERRORS),
            # Suggestions name fields and types: only where introspection shows them anyway.
            suggestions=settings.introspection,
        )
    ]


class NoSubscriptionsOverHttp(SchemaExtension):
    """Refuses a subscription sent as an HTTP request (they are served over WebSocket): the
    view answers it with a 400 instead of running its resolver as if it were a query."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            raise InvalidOperationTypeError(OperationType.SUBSCRIPTION)
        yield


SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions are served over WebSocket (graphql-transport-ws at /graphql), "
    "not over HTTP: open a WebSocket connection to subscribe."
)


__all__ = [
    "SUBSCRIPTION_OVER_HTTP",
    "MaskUnexpectedErrors",
    "NoSubscriptionsOverHttp",
    "error_extensions",
    "is_deliberate",
    "log_client_errors",
]
