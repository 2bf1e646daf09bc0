"""Database faults: what a request gets when PostgreSQL is away, and transactions retried
after losing a race.

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

**A write is never offered for a blind retry once it may have been saved**: `transact`
records that the request reached COMMIT; after that, no 503 is sent. If the connection
dies during COMMIT itself the outcome is unknown and the client is told so
(WRITE_OUTCOME_UNKNOWN: read before repeating).

**Serialization failures and deadlocks** (SQLSTATE 40001, 40P01) abort a transaction that
would succeed if run again: `transact` runs the write again from the start, a bounded
number of times with a short randomised back-off, then gives up with WriteConflict
(a userError WRITE_CONFLICT).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import random
import socket
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

import orjson
from graphql import GraphQLError
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from service.observability import TRANSACTION_RETRIES, setting

if TYPE_CHECKING:
    from strawberry import Schema

    from db.session import RequestDatabase

log = logging.getLogger("registry.faults")

T = TypeVar("T")

DEFAULT_RETRY_AFTER_SECONDS = 2
DEFAULT_TRANSACTION_ATTEMPTS = 3
RETRY_BASE_DELAY_SECONDS = 0.02

UNAVAILABLE = "DATABASE_UNAVAILABLE"
OUTCOME_UNKNOWN = "WRITE_OUTCOME_UNKNOWN"
WRITE_CONFLICT = "WRITE_CONFLICT"

# SQLSTATEs of a transaction that PostgreSQL aborted only because of a concurrent one.
RETRYABLE = {"40001": "serialization_failure", "40P01": "deadlock_detected"}
# SQLSTATEs that mean the server cannot serve now: class 08 (connection exceptions), an
# administrator or crash shutdown, a server starting up, too many connections.
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# What follows a lost connection in the same request: a transaction that must be rolled
# back first, statements refused in an aborted transaction.
_AFTERMATH_STATES = frozenset({"25P02"})
_CLOSED_MESSAGES = ("connection is closed", "connection was closed", "underlying connection")
# Socket errors of a server that is down or cut off (other OSErrors are not the database's).
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)


# --- recognising errors --------------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps: causes, contexts, SQLAlchemy's `orig`, GraphQL's original."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for inner in (
            getattr(current, "original_error", None),
            getattr(current, "orig", None),
            current.__cause__,
            current.__context__,
        ):
            if isinstance(inner, BaseException):
                pending.append(inner)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, looking through the drivers' wrappers."""
    for current in _chain(exc):
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached or cannot serve now."""
    for current in _chain(exc):
        if isinstance(
            current, ConnectionError | TimeoutError | socket.gaierror | sa_exc.TimeoutError
        ):
            return True  # refused, reset, timed out, unknown host, no pooled connection in time
        if isinstance(current, OSError) and current.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        code = getattr(current, "sqlstate", None)
        if isinstance(code, str) and (code.startswith("08") or code in _UNAVAILABLE_STATES):
            return True
        if type(current).__name__ == "InterfaceError" and any(
            m in str(current) for m in _CLOSED_MESSAGES
        ):
            return True
    return False


def _is_aftermath(exc: BaseException) -> bool:
    """An error that only follows an earlier lost connection in the same request."""
    if isinstance(exc, sa_exc.PendingRollbackError):
        return True
    if isinstance(exc, sa_exc.InvalidRequestError) and "invalid transaction" in str(exc):
        return True
    return sqlstate(exc) in _AFTERMATH_STATES


# --- the request's state ---------------------------------------------------------------------


@dataclass
class _RequestState:
    unavailable: bool = False  # nothing answered because the database is away: send 503
    commit_attempted: bool = False  # a write reached COMMIT: never invite a blind retry
    committed: bool = False


_state: ContextVar[_RequestState | None] = ContextVar("registry_fault_state", default=None)


def _mark_commit(*, done: bool) -> None:
    state = _state.get()
    if state is not None:
        state.commit_attempted = True
        state.committed = state.committed or done


# --- the retry wrapper for writes ----------------------------------------------------------


class WriteConflict(Exception):
    """A write lost its race with concurrent ones every time it was tried."""

    code = WRITE_CONFLICT

    def __init__(self, attempts: int) -> None:
        super().__init__(
            f"The write conflicted with concurrent writes {attempts} times and was not made: "
            "try again."
        )
        self.attempts = attempts


def outcome_unknown_error() -> GraphQLError:
    return GraphQLError(
        "The connection to the database was lost while the write was being committed: it may "
        "or may not have been saved. Read the record before repeating the write.",
        extensions={"code": OUTCOME_UNKNOWN},
    )


async def transact(
    db: RequestDatabase,
    body: Callable[[AsyncConnection], Awaitable[T]],
    *,
    attempts: int = DEFAULT_TRANSACTION_ATTEMPTS,
    base_delay: float = RETRY_BASE_DELAY_SECONDS,
) -> T:
    """Run `body` in one write transaction of `db` and commit; run it again from the start
    when PostgreSQL aborts it as a serialization failure or a deadlock, `attempts` times in
    all, then raise WriteConflict.

    `body` must do all of its work through the connection it is given (it may run more than
    once). Any other exception (validation, integrity) propagates after the rollback.
    """
    for attempt in range(1, attempts + 1):
        reached_commit = False
        try:
            async with db.transaction() as conn:
                result = await body(conn)
                reached_commit = True
                _mark_commit(done=False)
        except Exception as error:
            reason = RETRYABLE.get(sqlstate(error) or "")
            if reason is not None:
                TRANSACTION_RETRIES.labels(reason).inc()
                if attempt >= attempts:
                    log.warning("write gave up after %d attempts: %s", attempts, reason)
                    raise WriteConflict(attempts) from error
                log.info("write aborted (%s), attempt %d of %d", reason, attempt, attempts)
                # Randomised, growing pause: two writers retrying in step would collide again.
                await asyncio.sleep(base_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
                continue
            if reached_commit and is_unavailable(error):
                log.error("connection lost during COMMIT: outcome unknown", exc_info=error)
                raise outcome_unknown_error() from error
            raise
        _mark_commit(done=True)
        return result
    raise AssertionError("unreachable: the loop returns or raises")


# --- turning errors into answers -----------------------------------------------------------


def _unavailable_message(retry_after: int) -> str:
    return f"The database is unavailable, so this could not be answered. Retry in {retry_after} s."


def _committed_message() -> str:
    return (
        "The write was saved, but the database became unavailable before the answer could "
        "be read: read the record back instead of repeating the write."
    )


def _original(error: GraphQLError) -> BaseException | None:
    current: BaseException | None = error
    seen: set[int] = set()
    while isinstance(current, GraphQLError) and id(current) not in seen:
        seen.add(id(current))
        current = current.original_error
    return current


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
        causes = [_original(e) for e in errors]
        if not any(c is not None and is_unavailable(c) for c in causes):
            return
        state = _state.get()
        committed = state is not None and state.commit_attempted
        replaced: list[GraphQLError] = []
        every_error_is_the_database = True
        for error, cause in zip(errors, causes, strict=True):
            if cause is not None and (is_unavailable(cause) or _is_aftermath(cause)):
                replaced.append(
                    GraphQLError(
                        _committed_message()
                        if committed
                        else _unavailable_message(self.retry_after),
                        nodes=error.nodes,
                        path=error.path,
                        extensions={"code": UNAVAILABLE, "retryAfter": self.retry_after}
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
    import copy

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
                    "extensions": {"code": UNAVAILABLE, "retryAfter": retry_after},
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
        state = _RequestState()
        token = _state.set(state)
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
            _state.reset(token)


def retry_after_header(settings: object = None) -> dict[str, str]:
    """The Retry-After header for other 503 answers (readiness)."""
    return {
        "Retry-After": str(setting(settings, "retry_after_seconds", DEFAULT_RETRY_AFTER_SECONDS))
    }


def describe(exc: BaseException) -> str:
    """A short, safe description of a database error for health answers and logs."""
    code = sqlstate(exc)
    return f"{type(exc).__name__}" + (f" (SQLSTATE {code})" if code else "")


__all__ = [
    "OUTCOME_UNKNOWN",
    "RETRYABLE",
    "UNAVAILABLE",
    "WRITE_CONFLICT",
    "DatabaseFaults",
    "FaultMiddleware",
    "WriteConflict",
    "describe",
    "is_unavailable",
    "retry_after_header",
    "sqlstate",
    "transact",
    "with_fault_handling",
]
