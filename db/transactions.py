"""Write transactions: run again after losing a race, and never offered for a blind retry
once they may have been saved.

**Serialization failures and deadlocks** (SQLSTATE 40001, 40P01) abort a transaction that
would succeed if run again: `transact` runs the write again from the start, a bounded
number of times with a short randomised back-off, then gives up with WriteConflict
(a userError WRITE_CONFLICT).

**A write that reached COMMIT** is recorded in the request's `FaultState` (set up by
service.faults.FaultMiddleware, which then sends no 503 inviting a retry). If the
connection dies during COMMIT itself the outcome is unknown and the client is told so
(WRITE_OUTCOME_UNKNOWN: read before repeating).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.faults import RETRYABLE, is_unavailable, sqlstate
from db.metrics import TRANSACTION_RETRIES

if TYPE_CHECKING:
    from db.session import RequestDatabase

log = logging.getLogger("registry.faults")

T = TypeVar("T")

DEFAULT_TRANSACTION_ATTEMPTS = 3
RETRY_BASE_DELAY_SECONDS = 0.02


@dataclass
class FaultState:
    """What one request's database did, for the answer the service gives when it fails."""

    unavailable: bool = False  # nothing answered because the database is away: send 503
    commit_attempted: bool = False  # a write reached COMMIT: never invite a blind retry
    committed: bool = False


fault_state: ContextVar[FaultState | None] = ContextVar("registry_fault_state", default=None)


def mark_commit(*, done: bool) -> None:
    state = fault_state.get()
    if state is not None:
        state.commit_attempted = True
        state.committed = state.committed or done


class WriteConflict(Exception):
    """A write lost its race with concurrent ones every time it was tried."""

    code = Code.WRITE_CONFLICT

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
        extensions={"code": Code.WRITE_OUTCOME_UNKNOWN},
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
                mark_commit(done=False)
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
        mark_commit(done=True)
        return result
    raise AssertionError("unreachable: the loop returns or raises")


__all__ = [
    "DEFAULT_TRANSACTION_ATTEMPTS",
    "FaultState",
    "WriteConflict",
    "fault_state",
    "mark_commit",
    "outcome_unknown_error",
    "transact",
]
