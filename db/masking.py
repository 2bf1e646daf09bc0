"""What a client sees of an unexpected exception, on any execution path (the resolver path's
masking in service.errors, the compiled path's failed statement): TIMEOUT for a statement
timeout, BAD_USER_INPUT for a value PostgreSQL refuses as such, else INTERNAL with an error
id while the stack is logged under that id on `registry.errors`. SQL text is logged only
at DEBUG.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from graphql import GraphQLError

from core.codes import Code
from db.faults import IN_FAILED_TRANSACTION, QUERY_CANCELED, VALUE_STATES, sqlstate

log = logging.getLogger("registry.errors")

INTERNAL_MESSAGE = "Internal error; quote error id {error_id} to the operators."


def failure_code(cause: BaseException, timed_out: bool = False) -> Code:
    """The code an unexpected exception becomes. After a timeout (`timed_out`) the request's
    transaction is aborted, and what its next statements meet is that timeout again."""
    state = sqlstate(cause)
    if state == QUERY_CANCELED or (timed_out and state == IN_FAILED_TRANSACTION):
        return Code.TIMEOUT
    if state in VALUE_STATES:
        return Code.BAD_USER_INPUT
    return Code.INTERNAL


def new_error_id() -> str:
    return uuid.uuid4().hex[:12]


def internal_error_for(error_id: str, *, nodes: Any = None, path: Any = None) -> GraphQLError:
    return GraphQLError(
        INTERNAL_MESSAGE.format(error_id=error_id),
        nodes=nodes,
        path=path,
        extensions={"code": Code.INTERNAL, "errorId": error_id},
    )


def internal_error(
    exc: BaseException,
    *,
    nodes: Any = None,
    path: Any = None,
    operation: str | None = None,
) -> GraphQLError:
    """Log `exc` with its stack under a new id and return the error the client sees."""
    error_id = new_error_id()
    log_internal(error_id, exc, path, operation)
    return internal_error_for(error_id, nodes=nodes, path=path)


def timeout_error(timeout_ms: int, *, nodes: Any = None, path: Any = None) -> GraphQLError:
    return GraphQLError(
        f"The request took longer than the statement timeout of {timeout_ms} ms: "
        "ask for less (smaller `first`, fewer nested lists) or narrow the filters.",
        nodes=nodes,
        path=path,
        extensions={"code": Code.TIMEOUT},
    )


def refused_value_error(exc: BaseException, *, nodes: Any = None, path: Any = None) -> GraphQLError:
    log.info("A value was refused by PostgreSQL (SQLSTATE %s)", sqlstate(exc))
    log.debug("The refused statement: %s", exc)
    return GraphQLError(
        "A value in the request cannot be stored or searched: it is too long or holds a "
        "character that is not accepted (such as NUL).",
        nodes=nodes,
        path=path,
        extensions={"code": Code.BAD_USER_INPUT},
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
    BAD_USER_INPUT for a value PostgreSQL refuses, else INTERNAL with an error id (the
    stack is logged). For any execution path."""
    code = failure_code(exc)
    if code is Code.TIMEOUT:
        log_timeout(exc, path, operation)
        return timeout_error(statement_timeout_ms, nodes=nodes, path=path)
    if code is Code.BAD_USER_INPUT:
        return refused_value_error(exc, nodes=nodes, path=path)
    return internal_error(exc, nodes=nodes, path=path, operation=operation)


def path_text(path: Any) -> str:
    return ".".join(str(p) for p in path) if path else "-"


def log_timeout(exc: BaseException, path: Any, operation: str | None, fields: int = 1) -> None:
    # One line; the statement (long, with its parameters) only for those who ask for it.
    log.warning(
        "Statement timeout in operation %s at path %s (%d fields without an answer)",
        operation or "(anonymous)",
        path_text(path),
        fields,
    )
    log.debug("The statement that timed out: %s", exc)


def log_internal(error_id: str, exc: BaseException, path: Any, operation: str | None) -> None:
    log.error(
        "Internal error %s in operation %s at path %s: %s: %s",
        error_id,
        operation or "(anonymous)",
        path_text(path),
        type(exc).__name__,
        exc,
        exc_info=(type(exc), exc, exc.__traceback__),
    )


__all__ = [
    "INTERNAL_MESSAGE",
    "failure_code",
    "internal_error",
    "internal_error_for",
    "log_internal",
    "log_timeout",
    "masked_error",
    "new_error_id",
    "path_text",
    "refused_value_error",
    "timeout_error",
]
