"""Suggestions submitted by a lead deputy with co-signers, and the categories they are
filed under. The steps after submission are in suggestion_handling.

Dates run in order and never into the future; signers hold a mandate in the congress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Row, cast, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from resolvers.mutations.base import Actor
from resolvers.mutations.eligibility import eligible_mandates
from resolvers.mutations.tables import categories, cosigners, handlers, suggestions, terms
from resolvers.mutations.write import Write


def not_future(w: Write, path: str, day: date, what: str) -> None:
    w.refuse(day > date.today(), path, f"{what} is recorded once it has happened ({day} is ahead).")


def not_before(w: Write, path: str, day: date, earlier: date, what: str) -> None:
    w.refuse(day < earlier, path, f"{what} ({day}) cannot precede {earlier}.")


async def locked_suggestion(w: Write, global_id: str) -> Row[Any] | None:
    """The suggestion, locked so that two steps on it never interleave."""
    return await w.find("suggestionId", global_id, "Suggestion", lock=True)


async def handlers_of(conn: AsyncConnection, suggestion_id: int) -> list[Row[Any]]:
    query = select(handlers).where(handlers.c.suggestion_id == suggestion_id)
    return list((await conn.execute(query.order_by(handlers.c.id))).all())


@dataclass(frozen=True)
class SubmissionSpec:
    congress_id: str
    title: str
    category_id: str
    submitted_on: date
    during_session: bool
    lead_id: str
    cosigner_ids: tuple[str, ...] = ()


async def _term_on(conn: AsyncConnection, congress_id: int, day: date) -> Row[Any] | None:
    query = select(terms).where(
        terms.c.congress_id == congress_id,
        terms.c.start_date <= day,
        (terms.c.end_date.is_(None)) | (terms.c.end_date >= day),
    )
    # Locked: the next number of the term is taken under this lock.
    return (await conn.execute(query.order_by(terms.c.number.desc()).with_for_update())).first()


async def _next_number(conn: AsyncConnection, term_id: int) -> str:
    last = await conn.scalar(
        select(func.max(cast(suggestions.c.number, BigInteger))).where(
            suggestions.c.term_id == term_id
        )
    )
    return f"{(last or 0) + 1:04d}"


async def submit_suggestion(conn: AsyncConnection, actor: Actor, spec: SubmissionSpec) -> int:
    w = Write(conn, actor)
    congress = await w.find("congressId", spec.congress_id, "Congress")
    category = await w.find("categoryId", spec.category_id, "SuggestionCategory")
    lead = await w.find("leadId", spec.lead_id, "Deputy")
    signers = await w.find_many("cosignerIds", spec.cosigner_ids, "Deputy")
    w.refuse(not spec.title.strip(), "title", "A suggestion needs a title.")
    not_future(w, "submittedOn", spec.submitted_on, "A suggestion")
    seen = {lead.id} if lead is not None else set()
    for i, signer in enumerate(signers):
        if signer is not None:
            w.refuse(
                signer.id in seen,
                ("cosignerIds", i),
                f"{signer.name} has signed already.",
                Code.DUPLICATE_SIGNER,
            )
            seen.add(signer.id)
    term = None
    if congress is not None:
        if category is not None:
            if category.congress_id != congress.id:
                w.add(
                    ("categoryId",),
                    f"{category.name} is a category of another congress.",
                    Code.WRONG_CONGRESS,
                )
            elif await conn.scalar(
                select(categories.c.id).where(categories.c.parent_id == category.id).limit(1)
            ):
                w.add(
                    ("categoryId",),
                    f"{category.name} has subcategories: file the suggestion under one of them.",
                    Code.CATEGORY_HAS_SUBCATEGORIES,
                )
        term = await _term_on(conn, congress.id, spec.submitted_on)
        w.refuse(
            term is None,
            "submittedOn",
            f"{congress.name} has no term in progress on {spec.submitted_on}.",
            Code.NO_TERM,
        )
        people = [(("leadId",), lead)] + [(("cosignerIds", i), s) for i, s in enumerate(signers)]
        ids = [p.id for _, p in people if p is not None]
        # Signers are the congress's own deputies, in office on the day.
        own = await eligible_mandates(conn, congress.id, ids, spec.submitted_on, own_only=True)
        for path, person in people:
            if person is not None:
                w.refuse(
                    person.id not in own,
                    path,
                    f"{person.name} holds no mandate in force in {congress.name} on "
                    f"{spec.submitted_on}.",
                    Code.NOT_ELIGIBLE,
                )
    w.check()
    assert congress is not None and category is not None and lead is not None and term
    row = await w.insert(
        suggestions,
        congress_id=congress.id,
        term_id=term.id,
        number=await _next_number(conn, term.id),
        title=spec.title.strip(),
        category_id=category.id,
        submitted_on=spec.submitted_on,
        during_session=spec.during_session,
        lead_id=lead.id,
    )
    signed = [{"suggestion_id": row.id, "deputy_id": s.id} for s in signers if s is not None]
    if signed:
        await conn.execute(insert(cosigners), signed)
    after = {**row._mapping, "cosigners": [s["deputy_id"] for s in signed]}
    await w.audit("submitSuggestion", "Suggestion", row.id, after=after)
    return int(row.id)


async def create_category(
    conn: AsyncConnection,
    actor: Actor,
    congress_id: str,
    code: str,
    name: str,
    parent_id: str | None,
) -> int:
    w = Write(conn, actor)
    congress = await w.find("congressId", congress_id, "Congress")
    parent = None
    if parent_id is not None:
        parent = await w.find("parentId", parent_id, "SuggestionCategory")
    w.refuse(not code.strip(), "code", "A category needs a code.")
    w.refuse(not name.strip(), "name", "A category needs a name.")
    if parent is not None:
        if congress is not None:
            w.refuse(
                parent.congress_id != congress.id,
                "parentId",
                f"{parent.name} belongs to another congress.",
                Code.WRONG_CONGRESS,
            )
        w.refuse(
            parent.parent_id is not None,
            "parentId",
            f"{parent.name} is a subcategory: the classification has two levels.",
            Code.CATEGORY_DEPTH,
        )
    if congress is not None:
        w.refuse(
            await w.exists(categories, congress_id=congress.id, code=code.strip()),
            "code",
            f"{congress.name} has a category {code} already.",
            Code.DUPLICATE_CATEGORY,
        )
    w.check()
    assert congress is not None
    return await w.create(
        "createSuggestionCategory",
        "SuggestionCategory",
        categories,
        congress_id=congress.id,
        parent_id=parent.id if parent is not None else None,
        code=code.strip(),
        name=name.strip(),
    )
