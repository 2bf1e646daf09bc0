"""Who may take part in a committee's work on a date (DESIGN.md, "eligible deputy").

For a committee of congress C (region R, level L): a deputy holding a mandate in force in C
on that date, or holding one at a level above L and living (locality) inside R. A suspended
mandate does not count on the days of its suspension.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Integer

from db.enums import Level


@dataclass(frozen=True)
class EligibleMandate:
    mandate_id: int
    level: Level


# For each deputy, the mandates that make them eligible, highest level first.
_ELIGIBLE = text(
    """
    SELECT m.deputy_id, m.id, m.level
    FROM mandates m
    JOIN deputies d ON d.id = m.deputy_id
    JOIN congresses c ON c.id = :congress_id
    JOIN regions r ON r.code = c.region_code
    WHERE m.deputy_id = ANY(:deputy_ids)
      AND m.start_date <= :day AND (m.end_date IS NULL OR m.end_date >= :day)
      AND NOT (m.suspended_from IS NOT NULL AND m.suspended_from <= :day
               AND (m.suspended_until IS NULL OR m.suspended_until >= :day))
      AND (m.congress_id = c.id
           OR (NOT :own_only AND m.level < c.level
               AND d.locality_code IN (SELECT code FROM regions WHERE lineage @> ARRAY[r.code])))
    ORDER BY m.deputy_id, m.level, m.id
    """
).bindparams(bindparam("deputy_ids", type_=ARRAY(Integer)))


async def eligible_mandates(
    conn: AsyncConnection,
    congress_id: int,
    deputy_ids: Sequence[int],
    day: date,
    own_only: bool = False,
) -> dict[int, list[EligibleMandate]]:
    """Per deputy, the mandates that make them eligible (only mandates in the congress itself
    with own_only: committee and professional-group members come from its own deputies)."""
    params = {
        "congress_id": congress_id,
        "deputy_ids": list(deputy_ids),
        "day": day,
        "own_only": own_only,
    }
    rows = await conn.execute(_ELIGIBLE, params)
    found: dict[int, list[EligibleMandate]] = {}
    for deputy_id, mandate_id, level in rows:
        found.setdefault(deputy_id, []).append(EligibleMandate(mandate_id, Level[level]))
    return found
