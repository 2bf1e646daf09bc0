"""Duty records (履职档案): a deputy's year, counted from the facts in one statement.

Nothing here is stored: each figure is a count over the rows that record the deed itself
(an attendance, a reception, a contact log, a participation, a signature), so a record
can never disagree with the registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Integer

from resolvers.loaders import Loader

# One row per (deputy, year) asked for; `since` and `before` bound the calendar year.
DUTY_RECORDS = text(
    """
    SELECT k.deputy_id, k.year,
        (SELECT count(*) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
         WHERE a.deputy_id = k.deputy_id
           AND m.start_date >= k.since AND m.start_date < k.before) AS meetings_attended,
        (SELECT count(*) FROM reception_deputies rd JOIN receptions r ON r.id = rd.reception_id
         WHERE rd.deputy_id = k.deputy_id
           AND r.date >= k.since AND r.date < k.before) AS receptions,
        (SELECT count(*) FROM contact_logs l JOIN contact_assignments ca ON ca.id = l.assignment_id
         WHERE (ca.deputy_id = k.deputy_id OR ca.contactor_id = k.deputy_id)
           AND l.date >= k.since AND l.date < k.before) AS contacts_logged,
        (SELECT count(*) FROM activity_participants p JOIN activities v ON v.id = p.activity_id
         WHERE p.deputy_id = k.deputy_id AND v.kind <> 'TRAINING'
           AND v.start_date >= k.since AND v.start_date < k.before) AS activities,
        (SELECT count(*) FROM activity_participants p JOIN activities v ON v.id = p.activity_id
         WHERE p.deputy_id = k.deputy_id AND v.kind = 'TRAINING'
           AND v.start_date >= k.since AND v.start_date < k.before) AS trainings,
        (SELECT count(*) FROM suggestions s
         WHERE s.lead_id = k.deputy_id
           AND s.submitted_on >= k.since AND s.submitted_on < k.before) AS suggestions_led,
        (SELECT count(*) FROM suggestion_cosigners sc JOIN suggestions s ON s.id = sc.suggestion_id
         WHERE sc.deputy_id = k.deputy_id
           AND s.submitted_on >= k.since AND s.submitted_on < k.before) AS suggestions_cosigned
    FROM (
        SELECT u.deputy_id, u.year, make_date(u.year, 1, 1) AS since,
               make_date(u.year + 1, 1, 1) AS before
        FROM unnest(:deputy_ids, :years) AS u(deputy_id, year)
    ) k
    """
).bindparams(
    bindparam("deputy_ids", type_=ARRAY(Integer)), bindparam("years", type_=ARRAY(Integer))
)


@dataclass(frozen=True)
class DutyFigures:
    year: int
    meetings_attended: int
    receptions: int
    contacts_logged: int
    activities: int
    trainings: int
    suggestions_led: int
    suggestions_cosigned: int


class DutyRecordLoader(Loader):
    """A duty record per (deputy id, year), one statement for the whole batch."""

    async def batch_load_fn(self, keys: Sequence[tuple[int, int]]) -> list[DutyFigures]:
        params: dict[str, Any] = {
            "deputy_ids": [k[0] for k in keys],
            "years": [k[1] for k in keys],
        }
        found = {}
        for row in await self.context.db.execute(DUTY_RECORDS, params):
            figures = {k: v for k, v in row._mapping.items() if k != "deputy_id"}
            found[(row.deputy_id, row.year)] = DutyFigures(**figures)
        return [found[k] for k in keys]
