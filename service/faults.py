"""Database faults as HTTP answers: what a request gets when PostgreSQL is away.

**PostgreSQL unreachable** (refused or dropped connections, a server shutting down or
starting up, too many connections, a pool that could not hand out a connection in time):
a request that could answer nothing gets HTTP 503 with `Retry-After` and one error with
code DATABASE_UNAVAILABLE, so that clients and load balancers retry instead of treating
it as a bug. A request that could answer part of its fields keeps HTTP 200 and those
fields, the others carrying the same error. Nothing is kept from one request to the next:
no pool hands out a connection the server has closed (db.engine, db.pool: checked at
checkout without a round trip), and a connection that fails takes the idle ones with it,
so the first request after PostgreSQL is back succeeds and the service recovers by itself.

Two pieces do this: `DatabaseFaults`, a strawberry extension placed after the error
masking (so it sees the raw exceptions), recognises the errors and marks the request;
`FaultMiddleware` answers 503 for a marked request, and for any request whose handler
raised such an error (the compiled read path, the CSV reports).

Which errors mean "unavailable" is db.faults' to say; the retried write transaction and
its record of having reached COMMIT (after which no 503 is sent) are db.transactions'.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

import orjson
from graphql import GraphQLError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from core.codes import Code
from db.faults import is_aftermath, is_unavailable, original_exception
from db.transactions import FaultState, fault_state
from service.observability import setting

if TYPE_CHECKING:
    from strawberry import Schema

log = logging.getLogger("registry.faults")

DEFAULT_RETRY_AFTER_SECONDS = 2


# --- turning errors into answers -----------------------------------------------------------


def _unavailable_message(retry_after: int) -> str:
    return f"The database is unavailable, so this could not be answered. Retry in {retry_after} s."


def _committed_message() -> str:
    return (
        "The write was saved, but the database became unavailable before the answer could "
        "be read: read the record back instead of repeating the write."
    )


class DatabaseFaults(SchemaExtension):
    """Turns errors caused by an unreachable database into DATABASE_UNAVAILABLE errors, and
    marks a request that could answer nothing for a 503 by `FaultMiddleware`."""

    def __init__(self, *, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        self.retry_after = retry_after

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is None or not errors:
            return
        causes = [original_exception(e) for e in errors]
        if not any(c is not None and is_unavailable(c) for c in causes):
            return
        state = fault_state.get()
        committed = state is not None and state.commit_attempted
        replaced: list[GraphQLError] = []
        every_error_is_the_database = True
        for error, cause in zip(errors, causes, strict=True):
            if cause is not None and (is_unavailable(cause) or is_aftermath(cause)):
                replaced.append(
                    GraphQLError(
                        _committed_message()
                        if committed
                        else _unavailable_message(self.retry_after),
                        nodes=error.nodes,
                        path=error.path,
                        extensions={
                            "code": Code.DATABASE_UNAVAILABLE,
                            "retryAfter": self.retry_after,
                        }
                        | ({"committed": True} if committed else {}),
                    )
                )
            else:
                every_error_is_the_database = False
                replaced.append(error)
        result.errors = replaced
        data = result.data
        answered_nothing = data is None or all(v is None for v in data.values())
        if answered_nothing and every_error_is_the_database and state is not None and not committed:
            state.unavailable = True


def with_fault_handling(schema: Schema, settings: object = None) -> Schema:
    """A shallow copy of `schema` with `DatabaseFaults` as its innermost extension: after the
    error masking in the list, so it sees errors before they are masked."""
    retry_after = int(setting(settings, "retry_after_seconds", DEFAULT_RETRY_AFTER_SECONDS))
    handled = copy.copy(schema)
    handled.extensions = (*schema.extensions, partial(DatabaseFaults, retry_after=retry_after))
    return handled


def unavailable_body(retry_after: int) -> bytes:
    return orjson.dumps(
        {
            "errors": [
                {
                    "message": _unavailable_message(retry_after),
                    "extensions": {"code": Code.DATABASE_UNAVAILABLE, "retryAfter": retry_after},
                }
            ]
        }
    )


class FaultMiddleware:
    """Answers HTTP 503 with Retry-After for a request that the database's absence left with
    nothing to answer: marked by `DatabaseFaults`, or raised from a handler before any
    response was started. Everything else passes through untouched."""

    def __init__(self, app: ASGIApp, settings: object = None) -> None:
        self.app = app
        self.retry_after = int(
            setting(settings, "retry_after_seconds", DEFAULT_RETRY_AFTER_SECONDS)
        )

    async def _answer_unavailable(self, send: Send) -> None:
        body = unavailable_body(self.retry_after)
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(self.retry_after).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = FaultState()
        token = fault_state.set(state)
        started = False
        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return  # the application's own answer, superseded by the 503
            if message["type"] == "http.response.start":
                if state.unavailable and not state.commit_attempted:
                    replaced = True
                    await self._answer_unavailable(send)
                    return
                started = True
            await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except Exception as error:
            if started or replaced or state.commit_attempted or not is_unavailable(error):
                raise
            log.warning("database unavailable: %s: %s (answered 503)", type(error).__name__, error)
            await self._answer_unavailable(send)
        finally:
            fault_state.reset(token)


def retry_after_header(settings: object = None) -> dict[str, str]:
    """The Retry-After header for other 503 answers (readiness)."""
    return {
        "Retry-After": str(setting(settings, "retry_after_seconds", DEFAULT_RETRY_AFTER_SECONDS))
    }


__all__ = [
    "DatabaseFaults",
    "FaultMiddleware",
    "retry_after_header",
    "with_fault_handling",
]
