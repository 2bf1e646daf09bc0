"""What every write shares: the one validation error type, the actor, and the audit log."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row, insert
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.audit import AuditEntry
from db.columns import table_of

audit_log = table_of(AuditEntry)


@dataclass(frozen=True)
class Problem:
    """One problem with the input: the field path, a sentence, and a stable code."""

    field: tuple[str, ...]
    message: str
    code: str


class Invalid(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = list(problems)


@dataclass
class Problems:
    """Collects every problem of an input, then raises them together."""

    found: list[Problem] = field(default_factory=list)

    def add(self, path: Sequence[str | int], message: str, code: str) -> None:
        self.found.append(Problem(tuple(str(p) for p in path), message, code))

    def check(self) -> None:
        if self.found:
            raise Invalid(self.found)

    def __bool__(self) -> bool:
        return bool(self.found)


def not_found(path: Sequence[str | int], what: str, given: object) -> Problem:
    return Problem(
        tuple(str(p) for p in path), f"No {what} with ID or code {given!r}.", Code.NOT_FOUND
    )


@dataclass(frozen=True)
class Actor:
    """Who writes: recorded with every audit entry."""

    subject: str
    role: str


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def snapshot(row: Row[Any] | dict[str, Any] | None) -> dict[str, Any] | None:
    """A row as JSON-ready data for the audit log."""
    if row is None:
        return None
    mapping = row if isinstance(row, dict) else dict(row._mapping)
    return {k: _plain(v) for k, v in mapping.items() if k != "search_vector"}


async def audit(
    conn: AsyncConnection,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    before: Row[Any] | dict[str, Any] | None = None,
    after: Row[Any] | dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        insert(audit_log).values(
            actor=actor.subject,
            role=actor.role,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=snapshot(before),
            after=snapshot(after),
        )
    )
