"""A suggestion's handling: assigned to units, replied, supervised, rated by its lead.

Each step checks the one before it (no reply before assignment, no rating before every
unit has replied, no second rating), and dates run in order and never into the future.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.enums import CommitteeKind, CommitteeRole
from db.suggestions import HandlerRole, Satisfaction, SuggestionOutcome, reply_due
from resolvers.mutations import tables
from resolvers.mutations.base import Actor
from resolvers.mutations.suggestions import handlers_of, locked_suggestion, not_before, not_future
from resolvers.mutations.tables import committees, memberships, suggestions, supervisions
from resolvers.mutations.write import Write

# Standing-committee leaders who may lead a key supervision (主任、副主任).
LEADER_ROLES = (CommitteeRole.CHAIR, CommitteeRole.VICE_CHAIR)


@dataclass(frozen=True)
class HandlerSpec:
    unit: str
    role: HandlerRole


async def assign_suggestion(
    conn: AsyncConnection,
    actor: Actor,
    suggestion_id: str,
    assigned_on: date,
    handlers: Sequence[HandlerSpec],
    complex: bool = False,
) -> int:
    units = handlers
    w = Write(conn, actor)
    suggestion = await locked_suggestion(w, suggestion_id)
    names = [u.unit.strip() for u in units]
    if not units:
        w.add(("handlers",), "Name at least the lead handling unit.", Code.INVALID_VALUE)
    elif [u.role for u in units].count(HandlerRole.LEAD) != 1:
        w.add(("handlers",), "Exactly one unit leads the handling (主办).", Code.INVALID_VALUE)
    for i, name in enumerate(names):
        if not name:
            w.add(("handlers", i, "unit"), "A unit needs a name.", Code.INVALID_VALUE)
        elif name in names[:i]:
            w.add(("handlers", i, "unit"), f"{name} is listed twice.", Code.DUPLICATE_UNIT)
    not_future(w, "assignedOn", assigned_on, "An assignment")
    if suggestion is not None:
        w.refuse(
            await handlers_of(conn, suggestion.id),
            "suggestionId",
            f"Suggestion {suggestion.number} has been assigned already.",
            Code.ALREADY_ASSIGNED,
        )
        not_before(w, "assignedOn", assigned_on, suggestion.submitted_on, "The assignment")
    w.check()
    assert suggestion is not None
    due = reply_due(assigned_on, complex)
    rows = [
        {
            "suggestion_id": suggestion.id,
            "unit": name,
            "role": u.role,
            "assigned_on": assigned_on,
            "reply_due": due,
        }
        for name, u in zip(names, units, strict=True)
    ]
    await conn.execute(insert(tables.handlers), rows)
    await w.audit("assignSuggestion", "Suggestion", suggestion.id, after={"handlers": rows})
    return int(suggestion.id)


async def reply_suggestion(
    conn: AsyncConnection,
    actor: Actor,
    suggestion_id: str,
    unit: str,
    replied_on: date,
    outcome: SuggestionOutcome,
) -> int:
    w = Write(conn, actor)
    suggestion = await locked_suggestion(w, suggestion_id)
    not_future(w, "repliedOn", replied_on, "A reply")
    handler = None
    if suggestion is not None:
        assigned = await handlers_of(conn, suggestion.id)
        handler = next((h for h in assigned if h.unit == unit.strip()), None)
        if not assigned:
            w.add(
                ("suggestionId",),
                f"Suggestion {suggestion.number} has not been assigned to any unit yet.",
                Code.NOT_ASSIGNED,
            )
        elif handler is None:
            w.add(
                ("unit",),
                f"{unit} is not a handling unit of suggestion {suggestion.number}.",
                Code.UNIT_NOT_ASSIGNED,
            )
        elif handler.replied_on is not None:
            w.add(
                ("unit",), f"{unit} replied on {handler.replied_on} already.", Code.ALREADY_REPLIED
            )
        else:
            not_before(w, "repliedOn", replied_on, handler.assigned_on, "The reply")
    w.check()
    assert suggestion is not None and handler is not None
    await conn.execute(
        update(tables.handlers)
        .where(tables.handlers.c.id == handler.id)
        .values(replied_on=replied_on, outcome=outcome)
    )
    after = {"unit": handler.unit, "replied_on": replied_on, "outcome": outcome}
    await w.audit("replySuggestion", "Suggestion", suggestion.id, before=handler, after=after)
    return int(suggestion.id)


async def supervise_suggestion(
    conn: AsyncConnection,
    actor: Actor,
    suggestion_id: str,
    committee_id: str,
    leader_id: str | None,
    since: date,
) -> int:
    w = Write(conn, actor)
    suggestion = await locked_suggestion(w, suggestion_id)
    committee = await w.find("committeeId", committee_id, "Committee")
    leader = None
    if leader_id is not None:
        leader = await w.find("leaderId", leader_id, "Deputy")
    not_future(w, "since", since, "Key supervision")
    if suggestion is not None:
        not_before(w, "since", since, suggestion.submitted_on, "Key supervision")
        taken = await conn.scalar(
            select(supervisions.c.suggestion_id).where(
                supervisions.c.suggestion_id == suggestion.id
            )
        )
        w.refuse(
            taken is not None,
            "suggestionId",
            f"Suggestion {suggestion.number} is under key supervision already.",
            Code.ALREADY_SUPERVISED,
        )
        w.refuse(
            suggestion.rated_on is not None,
            "suggestionId",
            f"Suggestion {suggestion.number} was closed on {suggestion.rated_on}.",
            Code.ALREADY_CLOSED,
        )
        if committee is not None and committee.congress_id != suggestion.congress_id:
            w.add(
                ("committeeId",),
                f"{committee.name} is not a committee of the suggestion's congress.",
                Code.WRONG_CONGRESS,
            )
        if leader is not None and not await _is_leader(
            conn, suggestion.congress_id, leader.id, since
        ):
            w.add(
                ("leaderId",),
                f"{leader.name} is not the chair or a vice-chair of the standing committee on "
                f"{since}.",
                Code.NOT_A_LEADER,
            )
    w.check()
    assert suggestion is not None and committee is not None
    values = {
        "suggestion_id": suggestion.id,
        "committee_id": committee.id,
        "leader_id": leader.id if leader is not None else None,
        "since": since,
    }
    await conn.execute(insert(supervisions).values(**values))
    await w.audit("superviseSuggestion", "Suggestion", suggestion.id, after=values)
    return int(suggestion.id)


async def _is_leader(conn: AsyncConnection, congress_id: int, deputy_id: int, day: date) -> bool:
    m = memberships
    query = (
        select(m.c.id)
        .join(committees, committees.c.id == m.c.committee_id)
        .where(
            committees.c.congress_id == congress_id,
            committees.c.kind == CommitteeKind.STANDING_COMMITTEE,
            m.c.deputy_id == deputy_id,
            m.c.role.in_(LEADER_ROLES),
            m.c.start_date <= day,
            (m.c.end_date.is_(None)) | (m.c.end_date >= day),
        )
    )
    return await conn.scalar(query.limit(1)) is not None


async def rate_suggestion(
    conn: AsyncConnection,
    actor: Actor,
    suggestion_id: str,
    satisfaction: Satisfaction,
    rated_on: date | None = None,
) -> int:
    rated_on = rated_on or date.today()
    w = Write(conn, actor)
    suggestion = await locked_suggestion(w, suggestion_id)
    not_future(w, "ratedOn", rated_on, "A rating")
    if suggestion is not None:
        assigned = await handlers_of(conn, suggestion.id)
        waiting = [h.unit for h in assigned if h.replied_on is None]
        if suggestion.rated_on is not None:
            w.add(
                ("suggestionId",),
                f"Suggestion {suggestion.number} was rated on {suggestion.rated_on} already.",
                Code.ALREADY_RATED,
            )
        elif not assigned or waiting:
            w.add(
                ("suggestionId",),
                f"Suggestion {suggestion.number} awaits replies ("
                + (", ".join(waiting) if waiting else "not assigned yet")
                + "): the deputy rates the handling once every unit has replied.",
                Code.NOT_REPLIED,
            )
        else:
            last = max(h.replied_on for h in assigned)
            not_before(w, "ratedOn", rated_on, last, "The rating")
    w.check()
    assert suggestion is not None
    await conn.execute(
        update(suggestions)
        .where(suggestions.c.id == suggestion.id)
        .values(satisfaction=satisfaction, rated_on=rated_on)
    )
    after = {"satisfaction": satisfaction, "rated_on": rated_on}
    await w.audit("rateSuggestion", "Suggestion", suggestion.id, after=after)
    return int(suggestion.id)
