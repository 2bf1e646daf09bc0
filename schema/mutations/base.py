"""The one mutation shape: authorise, write in one transaction, answer with userErrors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry
from asyncpg.exceptions import CheckViolationError, UniqueViolationError
from graphql import GraphQLError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from strawberry.types import Info

from core.codes import Code
from core.permissions import can_write, can_write_in, write_scope
from db.transactions import WriteConflict, transact
from resolvers.mutations.base import Actor, Invalid, Problem
from resolvers.mutations.scope import target_lineage


@strawberry.type(
    description="A problem with the input: the field path it concerns, a sentence for people "
    "and a stable code for programs."
)
class UserError:
    field: list[str] | None
    message: str
    code: str


# A write that races another past validation still meets the database's own keys; those
# answers are turned into the same userErrors that validation would have given.
CONSTRAINT_CODES = {
    "uq_attendances_meeting_deputy": Code.DUPLICATE_ATTENDANCE,
    "uq_mandates_one_per_term": Code.MANDATE_OVERLAP,
    "uq_ca_current": Code.DUPLICATE_ASSIGNMENT,
    "uq_cm_current": Code.DUPLICATE_MEMBER,
    "group_memberships_pkey": Code.DUPLICATE_MEMBER,
    "uq_meetings_committee_number": Code.DUPLICATE_MEETING,
}


def _from_integrity(error: IntegrityError) -> Problem:
    cause = error.orig.__cause__ if error.orig is not None else None
    constraint = getattr(cause, "constraint_name", None) or ""
    if isinstance(cause, UniqueViolationError):
        code = CONSTRAINT_CODES.get(constraint, Code.DUPLICATE)
        return Problem((), "This record exists already (written at the same moment?).", code)
    if isinstance(cause, CheckViolationError):
        return Problem((), f"A value breaks the rule {constraint}.", Code.INVALID_VALUE)
    return Problem((), "The input refers to something that does not exist.", Code.NOT_FOUND)


def user_errors(problems: list[Problem]) -> list[UserError]:
    return [
        UserError(field=list(p.field) or None, message=p.message, code=p.code) for p in problems
    ]


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": Code.FORBIDDEN})


WriteCall = Callable[[AsyncConnection, Actor], Awaitable[int]]


async def perform(
    info: Info, write: WriteCall, target: tuple[str, str]
) -> tuple[int | None, list[UserError]]:
    """Run a domain write in one transaction: (the key it returns, []) or (None, userErrors).

    `target` names what the write touches (a kind and its ID or code): an editor may write
    only when its region lies in the editor's subtree. On any problem the transaction is
    rolled back, so nothing of the write stays.
    """
    context = info.context
    caller = context.caller
    if not can_write(caller):
        raise forbidden("Writing needs an editor or admin token.")
    actor = Actor(subject=caller.subject, role=caller.role)

    async def attempt(conn: AsyncConnection) -> int:
        if not write_scope(caller).everywhere:  # else no region to look up
            lineage = await target_lineage(conn, *target)
            if lineage is not None and not can_write_in(caller, lineage):
                raise forbidden(
                    f"An editor for region {caller.region_code} may not write in region "
                    f"{lineage[-1]}."
                )
        return await write(conn, actor)

    try:
        # Run again from the start when PostgreSQL aborts it for a serialization failure or
        # a deadlock (a bounded number of times); see db/transactions.py.
        key = await transact(context.db, attempt, attempts=context.settings.transaction_attempts)
    except Invalid as invalid:
        return None, user_errors(invalid.problems)
    except IntegrityError as error:
        return None, user_errors([_from_integrity(error)])
    except WriteConflict as conflict:
        return None, [UserError(field=None, message=str(conflict), code=conflict.code)]
    # The same request and the next ones must read what was just written.
    context.clear_loaders()
    return key, []
