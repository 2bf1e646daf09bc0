"""What a client may see of a failure: masking of unexpected errors, and request-body limits.

Deliberate errors pass unchanged: graphql-core's syntax, validation and variable errors,
and every GraphQLError our code raises (with or without `extensions.code`). Anything
else a resolver raises (KeyError, SQLAlchemy or asyncpg errors with their SQL text,
AssertionError, ...) reaches the client only as "Internal error; quote error id <id>" with
`extensions: {code: INTERNAL, errorId}`, while the stack is logged under that id on the
`registry.errors` logger. A PostgreSQL statement timeout becomes a TIMEOUT error instead.

`BodyLimitMiddleware` refuses oversized bodies (413) and JSON bodies that are not a single
operation object (400) before strawberry reads them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError

from service.settings import Settings

log = logging.getLogger("registry.errors")

INTERNAL_MESSAGE = "Internal error; quote error id {error_id} to the operators."
DEFAULT_MAX_BODY_BYTES = 1_048_576

# PostgreSQL's SQLSTATE for query_canceled (statement_timeout) and for statements sent
# after an earlier one failed in the same transaction.
QUERY_CANCELED = "57014"
IN_FAILED_TRANSACTION = "25P02"

# Strawberry turns these into HTTP 400 answers itself; they must pass through untouched.
_STRAWBERRY_REQUEST_ERRORS = (
    MissingQueryError,
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)

# Exceptions that graphql-core wraps, with a message of its own, when a request's input
# fails to parse or coerce before execution (e.g. an invalid Date literal).
_INPUT_EXCEPTIONS = (ValueError, TypeError)


def _cause(error: GraphQLError) -> BaseException | None:
    """The first exception behind `error` that is not itself a GraphQLError."""
    seen: set[int] = set()
    current: BaseException | None = error
    while isinstance(current, GraphQLError) and id(current) not in seen:
        seen.add(id(current))
        current = current.original_error
    return current


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, looking through SQLAlchemy's and asyncpg's wrappers."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str):
            return code
        orig = getattr(current, "orig", None)
        pending.extend(
            [
                current.__cause__,
                current.__context__,
                orig if isinstance(orig, BaseException) else None,
            ]
        )
    return None


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


def internal_error(
    exc: BaseException,
    *,
    nodes: Any = None,
    path: Any = None,
    operation: str | None = None,
) -> GraphQLError:
    """Log `exc` with its stack under a new id and return the error the client sees."""
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "Internal error %s in operation %s at path %s: %s: %s",
        error_id,
        operation or "(anonymous)",
        ".".join(str(p) for p in path) if path else "-",
        type(exc).__name__,
        exc,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return GraphQLError(
        INTERNAL_MESSAGE.format(error_id=error_id),
        nodes=nodes,
        path=path,
        extensions={"code": "INTERNAL", "errorId": error_id},
    )


def timeout_error(timeout_ms: int, *, nodes: Any = None, path: Any = None) -> GraphQLError:
    return GraphQLError(
        f"The request took longer than the statement timeout of {timeout_ms} ms: "
        "ask for less (smaller `first`, fewer nested lists) or narrow the filters.",
        nodes=nodes,
        path=path,
        extensions={"code": "TIMEOUT"},
    )


def masked_error(
    exc: BaseException,
    *,
    statement_timeout_ms: int,
    nodes: Any = None,
    path: Any = None,
    operation: str | None = None,
) -> GraphQLError:
    """What the client sees of an unexpected exception: TIMEOUT for a statement timeout,
    else INTERNAL with an error id (the stack is logged). For any execution path."""
    if _sqlstate(exc) == QUERY_CANCELED:
        log.warning("Statement timeout at path %s: %s", path, exc)
        return timeout_error(statement_timeout_ms, nodes=nodes, path=path)
    return internal_error(exc, nodes=nodes, path=path, operation=operation)


class MaskUnexpectedErrors(SchemaExtension):
    """Replaces every error that is not deliberate (see `is_deliberate`) in the result."""

    def __init__(self, *, statement_timeout_ms: int) -> None:
        self.statement_timeout_ms = statement_timeout_ms

    def _operation_name(self) -> str | None:
        try:
            return self.execution_context.operation_name
        except Exception:  # a document without a usable operation
            return None

    def mask(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        causes = [None if is_deliberate(e) else _cause(e) for e in errors]
        # After a timeout the request's transaction is aborted: the statements that other
        # resolvers send next fail with 25P02, which is the same timeout seen again.
        timed_out = any(c is not None and _sqlstate(c) == QUERY_CANCELED for c in causes)
        masked: list[GraphQLError] = []
        for error, cause in zip(errors, causes, strict=True):
            if cause is None:
                masked.append(error)
            elif timed_out and _sqlstate(cause) == IN_FAILED_TRANSACTION:
                masked.append(
                    timeout_error(self.statement_timeout_ms, nodes=error.nodes, path=error.path)
                )
            else:
                masked.append(
                    masked_error(
                        cause,
                        statement_timeout_ms=self.statement_timeout_ms,
                        nodes=error.nodes,
                        path=error.path,
                        operation=self._operation_name(),
                    )
                )
        return masked

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
    return [partial(MaskUnexpectedErrors, statement_timeout_ms=settings.statement_timeout_ms)]


def _error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


class BodyLimitMiddleware:
    """Refuses a request body over `max_bytes` with 413, and a JSON body that is not one object.

    The body is read here (at most `max_bytes` of it) and replayed to the app, so the limit
    holds whether the client sends Content-Length or streams the body in chunks. A JSON body
    must be a single object: strawberry has operation batching (a JSON array) switched off
    and would answer a bare string or number with a 500.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_BODY_BYTES,
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose routes read and limit their bodies themselves (file uploads).
        self.exempt_prefixes = exempt_prefixes

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _too_large(self, size: int, exact: bool) -> bytes:
        if exact:
            message = (
                f"Request body of {size} bytes exceeds the limit of {self.max_bytes} bytes "
                f"(by {size - self.max_bytes})."
            )
        else:
            message = (
                f"Request body exceeds the limit of {self.max_bytes} bytes "
                f"(more than {size} bytes were sent)."
            )
        return _error_body(message, "BODY_TOO_LARGE")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                await self._answer(
                    send, 400, _error_body("Content-Length is not a number.", "BAD_REQUEST")
                )
                return
            if size > self.max_bytes:
                await self._answer(send, 413, self._too_large(size, exact=True))
                return

        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client has gone; nobody to answer
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await self._answer(send, 413, self._too_large(received, exact=False))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)

        content_type = headers.get(b"content-type", b"").lower()
        if scope["method"] == "POST" and b"application/json" in content_type:
            first = body.lstrip()[:1]
            if first == b"[":
                await self._answer(
                    send,
                    400,
                    _error_body(
                        "Batched operations (a JSON array) are not supported: "
                        "send one operation per request.",
                        "BATCH_NOT_SUPPORTED",
                    ),
                )
                return
            if first and first != b"{":
                await self._answer(
                    send,
                    400,
                    _error_body(
                        'The request body must be a JSON object such as {"query": "..."}.',
                        "BAD_REQUEST",
                    ),
                )
                return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: http.disconnect, when it comes

        await self.app(scope, replay, send)
