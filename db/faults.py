"""Sorting database errors: which SQLSTATE an exception carries, whether it means that
PostgreSQL cannot be reached or cannot serve now, and which errors only follow such a loss.

Both read paths, the writes (db.transactions) and the service's answers (503 with
Retry-After in service.faults, TIMEOUT and refused values in db.masking) ask these
questions; the answers live here, with the database code, once.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator

from graphql import GraphQLError
from sqlalchemy import exc as sa_exc

# SQLSTATEs of a transaction that PostgreSQL aborted only because of a concurrent one.
RETRYABLE = {"40001": "serialization_failure", "40P01": "deadlock_detected"}
# query_canceled (statement_timeout), and statements sent after an earlier one failed in
# the same transaction.
QUERY_CANCELED = "57014"
IN_FAILED_TRANSACTION = "25P02"
# Values PostgreSQL refuses for what they are, whoever sent them: a character it cannot
# store (NUL), a value too long for a column, an index row or a search word.
VALUE_STATES = frozenset({"22021", "22001", "54000"})
# SQLSTATEs that mean the server cannot serve now: class 08 (connection exceptions), an
# administrator or crash shutdown, a server starting up, too many connections.
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# What follows a lost connection in the same request: a transaction that must be rolled
# back first, statements refused in an aborted transaction.
_AFTERMATH_STATES = frozenset({IN_FAILED_TRANSACTION})
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
        # Pushed in reverse: the wrapped error first, the driver's next, contexts last.
        for inner in (
            current.__context__,
            current.__cause__,
            getattr(current, "orig", None),
            getattr(current, "original_error", None),
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


def is_aftermath(exc: BaseException) -> bool:
    """An error that only follows an earlier lost connection in the same request."""
    if isinstance(exc, sa_exc.PendingRollbackError):
        return True
    if isinstance(exc, sa_exc.InvalidRequestError) and "invalid transaction" in str(exc):
        return True
    return sqlstate(exc) in _AFTERMATH_STATES


def original_exception(error: GraphQLError) -> BaseException | None:
    """The first exception behind `error` that is not itself a GraphQLError (None when our
    code or graphql-core raised the GraphQLError on purpose)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while isinstance(current, GraphQLError) and id(current) not in seen:
        seen.add(id(current))
        current = current.original_error
    return current


def describe(exc: BaseException) -> str:
    """A short, safe description of a database error for health answers and logs."""
    code = sqlstate(exc)
    return f"{type(exc).__name__}" + (f" (SQLSTATE {code})" if code else "")


__all__ = [
    "IN_FAILED_TRANSACTION",
    "QUERY_CANCELED",
    "RETRYABLE",
    "VALUE_STATES",
    "describe",
    "is_aftermath",
    "is_unavailable",
    "original_exception",
    "sqlstate",
]
