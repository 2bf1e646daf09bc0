"""Who may take part in a committee's work on a date (DESIGN.md, "eligible deputy"; the rule
itself is db.rules.eligible_for, which the imports use as well)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from db.enums import Level
from db.rules import eligible_for
from resolvers.mutations.tables import congresses, deputies, mandates, regions

localities = regions.alias("loc")


@dataclass(frozen=True)
class EligibleMandate:
    mandate_id: int
    level: Level


async def eligible_mandates(
    conn: AsyncConnection,
    congress_id: int,
    deputy_ids: Sequence[int],
    day: date,
    own_only: bool = False,
) -> dict[int, list[EligibleMandate]]:
    """Per deputy, the mandates that make them eligible, highest level first (only mandates
    in the congress itself with own_only: committee and professional-group members come
    from its own deputies)."""
    query = (
        select(mandates.c.deputy_id, mandates.c.id, mandates.c.level)
        .join(deputies, deputies.c.id == mandates.c.deputy_id)
        .join(localities, localities.c.code == deputies.c.locality_code)
        .join(congresses, congresses.c.id == congress_id)
        .where(
            mandates.c.deputy_id.in_(list(deputy_ids)),
            eligible_for(mandates, congresses, localities.c.lineage, day, own_only),
        )
        .order_by(mandates.c.deputy_id, mandates.c.level, mandates.c.id)
    )
    found: dict[int, list[EligibleMandate]] = {}
    for deputy_id, mandate_id, level in await conn.execute(query):
        level = level if isinstance(level, Level) else Level[level]
        found.setdefault(deputy_id, []).append(EligibleMandate(mandate_id, level))
    return found
