"""The published figures, each computed by PostgreSQL in one statement over a region's subtree.

Every per-level report lists all five levels in order (zeros included): the level list is
the enum itself (`enum_range(NULL::level)`), LEFT JOINed to the counts.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, text

from core.codes import Code
from core.context import Caller
from core.permissions import can_see_personal
from db.enums import Level
from db.models import deputies
from db.rules import mandate_in_force_sql
from db.session import RequestDatabase
from resolvers.deputies import BY_NAME
from resolvers.pagination import Page, PageArgs, fetch_pages

# Mandates counted: active today, or in force (and not suspended) on `as_of`.
MANDATE_IN_FORCE = (
    "CASE WHEN CAST(:as_of AS date) IS NULL THEN m.status = 'ACTIVE' ELSE "
    + mandate_in_force_sql("m", "CAST(:as_of AS date)")
    + " END"
)

# (deputy, level, group) for the counted mandates; group is the child region for by-child.
COUNTED = {
    "CONGRESSES": """
        SELECT DISTINCT m.deputy_id, m.level, s.grp
        FROM subtree s
        JOIN congresses c ON c.region_code = s.code
        JOIN mandates m ON m.congress_id = c.id
        WHERE {in_force}
    """,
    "LOCALITY": """
        SELECT DISTINCT m.deputy_id, m.level, s.grp
        FROM subtree s
        JOIN deputies d ON d.locality_code = s.code
        JOIN mandates m ON m.deputy_id = d.id
        WHERE {in_force}
    """,
}

# The subtree of :code with, for each region, the group it counts in: the region itself
# (one group) or the child of :code it lies under (by child).
WHOLE = "SELECT code, CAST(:code AS varchar) AS grp FROM regions WHERE lineage @> ARRAY[CAST(:code AS varchar)]"
BY_CHILD = """
    SELECT code, lineage[array_position(lineage, CAST(:code AS varchar)) + 1] AS grp
    FROM regions WHERE lineage @> ARRAY[CAST(:code AS varchar)] AND code <> :code
"""
GROUPS_WHOLE = (
    "SELECT CAST(:code AS varchar) AS grp WHERE EXISTS (SELECT 1 FROM regions WHERE code = :code)"
)
GROUPS_BY_CHILD = "SELECT code AS grp FROM regions WHERE parent_code = :code"


class ReportArgumentError(ValueError):
    """An argument no report accepts; both surfaces (GraphQL and CSV) show it with its code."""

    def __init__(self, message: str, code: str = Code.INVALID_VALUE) -> None:
        super().__init__(message)
        self.code = code


class AgeDetail(enum.Enum):
    """How finely a report may count ages (under 40) for a caller. The exact birth date is
    personal data: a count to the day over a small region, asked for day after day, would
    give it away, so a caller who may not see it gets ages by the public birth year."""

    YEAR = "YEAR"  # age = the year of asOf - the birth year, for everyone
    DAY_INSIDE = "DAY_INSIDE"  # to the day for deputies living in the report's region
    DAY = "DAY"  # to the day for everyone


def age_detail(caller: Caller, lineage: Sequence[str]) -> AgeDetail:
    """The caller's age detail for a report over the region with this lineage (the rule on
    personal data itself is core.permissions.can_see_personal)."""
    if can_see_personal(caller, ()):  # even someone living in no region: everyone's
        return AgeDetail.DAY
    if can_see_personal(caller, lineage):  # those living in the region's subtree
        return AgeDetail.DAY_INSIDE
    return AgeDetail.YEAR


def check_as_of(as_of: date | None) -> None:
    """asOf is bounded to what the registry knows: today at the latest."""
    today = date.today()
    if as_of is not None and as_of > today:
        raise ReportArgumentError(
            f"asOf ({as_of}) is after today ({today}): the registry knows only the past."
        )


def check_span(start: date, end: date) -> None:
    if end < start:
        raise ReportArgumentError(f"`to` ({end}) is before `from` ({start}).")


# Whether a counted deputy's age is counted to the day (the caller may see the birth date).
LIVES_INSIDE = """EXISTS (SELECT 1 FROM regions lr WHERE lr.code = d.locality_code
                          AND lr.lineage @> ARRAY[CAST(:code AS varchar)])"""


def _by_day(ages: AgeDetail, scope: str) -> str:
    if ages is AgeDetail.DAY:
        return "true"
    if ages is AgeDetail.DAY_INSIDE:
        # A LOCALITY report counts only deputies living inside; a CONGRESSES report may
        # count a congress's deputies who live elsewhere.
        return "true" if scope == "LOCALITY" else LIVES_INSIDE
    return "false"


# Under 40 on a day: born in a year after (the day's year - 40), which the public birth
# year settles, or, where the caller may see the birth date, born after the day 40 years
# before (which adds those born in the year (the day's year - 40) after that day).
UNDER_40 = """
    d.birth_year >= extract(year FROM CAST(:as_of AS date)) - 39
    OR ({by_day} AND d.birth_date > CAST(CAST(:as_of AS date) - interval '40 years' AS date))
"""

COMPOSITION = """
WITH subtree AS ({subtree}),
counted AS ({counted}),
groups AS ({groups}),
figures AS (
    SELECT c.grp, c.level,
           count(*) AS deputies,
           count(*) FILTER (WHERE d.gender = 'FEMALE') AS female,
           count(*) FILTER (WHERE d.is_grassroots) AS grassroots,
           count(*) FILTER (WHERE d.ethnicity IS NOT NULL AND d.ethnicity <> '汉族') AS minority,
           count(*) FILTER (WHERE {under40}) AS under40
    FROM counted c JOIN deputies d ON d.id = c.deputy_id
    GROUP BY c.grp, c.level
)
SELECT g.grp, l.level,
       coalesce(f.deputies, 0), coalesce(f.female, 0), coalesce(f.grassroots, 0),
       coalesce(f.minority, 0), coalesce(f.under40, 0)
FROM groups g
CROSS JOIN unnest(enum_range(NULL::level)) AS l(level)
LEFT JOIN figures f ON f.grp = g.grp AND f.level = l.level
ORDER BY g.grp, l.level
"""


@dataclass(frozen=True)
class LevelComposition:
    level: Level
    deputies: int
    female: int
    grassroots: int
    minority: int
    under40: int


# Today's figures from the running totals (db/reports.py): the rows of the region (or of
# each child) itself. The totals' birth years settle under 40 by the year; where the caller
# may see birth dates, the deputies born in the boundary year after this day 40 years ago
# are added, counted from the mandates ({boundary}).
COMPOSITION_NOW = """
WITH groups AS ({groups}),
today AS (SELECT CAST(current_date - interval '40 years' AS date) AS cutoff),
counts AS (
    SELECT rc.region_code AS grp, rc.level,
           sum(rc.deputies) AS deputies, sum(rc.female) AS female,
           sum(rc.grassroots) AS grassroots, sum(rc.minority) AS minority,
           coalesce(sum(rc.deputies) FILTER (
               WHERE rc.birth_year > extract(year FROM (SELECT cutoff FROM today))), 0) AS under40
    FROM report_counts rc
    WHERE rc.scope = :scope AND rc.level IS NOT NULL AND rc.region_code IN (SELECT grp FROM groups)
    GROUP BY rc.region_code, rc.level
),
{boundary}
SELECT g.grp, l.level,
       coalesce(c.deputies, 0), coalesce(c.female, 0), coalesce(c.grassroots, 0),
       coalesce(c.minority, 0), coalesce(c.under40, 0) + coalesce(b.n, 0)
FROM groups g
CROSS JOIN unnest(enum_range(NULL::level)) AS l(level)
LEFT JOIN counts c ON c.grp = g.grp AND c.level = l.level
LEFT JOIN boundary b ON b.grp = g.grp AND b.level = l.level
ORDER BY g.grp, l.level
"""
BOUNDARY = """
born_late AS (
    SELECT DISTINCT m.deputy_id, m.level, r.lineage
    FROM deputies d
    JOIN mandates m ON m.deputy_id = d.id AND m.status = 'ACTIVE'
    {region_join}
    -- A date range (ix_deputies_birth_date): born after the cutoff, in the cutoff's year.
    WHERE d.birth_date > (SELECT cutoff FROM today)
      AND d.birth_date < (SELECT CAST(date_trunc('year', cutoff) + interval '1 year' AS date)
                          FROM today)
      AND {by_day}
),
boundary AS (
    SELECT g.grp, b.level, count(*) AS n
    FROM born_late b JOIN groups g ON g.grp = ANY(b.lineage)
    GROUP BY g.grp, b.level
)"""
NO_BOUNDARY = (
    "boundary AS (SELECT NULL::varchar AS grp, NULL::level AS level, 0::bigint AS n WHERE false)"
)
REGION_OF = {
    "CONGRESSES": "JOIN congresses c ON c.id = m.congress_id JOIN regions r ON r.code = c.region_code",
    "LOCALITY": "JOIN regions r ON r.code = d.locality_code",
}


def _composition_sql(scope: str, by_child: bool, as_of: date | None, ages: AgeDetail) -> str:
    by_day = _by_day(ages, scope)
    groups = GROUPS_BY_CHILD if by_child else GROUPS_WHOLE
    if as_of is None:
        boundary = (
            NO_BOUNDARY
            if ages is AgeDetail.YEAR
            else BOUNDARY.format(region_join=REGION_OF[scope], by_day=by_day)
        )
        return COMPOSITION_NOW.format(groups=groups, boundary=boundary)
    return COMPOSITION.format(
        subtree=BY_CHILD if by_child else WHOLE,
        counted=COUNTED[scope].format(in_force=MANDATE_IN_FORCE),
        groups=groups,
        under40=UNDER_40.format(by_day=by_day),
    )


def _zeros() -> list[LevelComposition]:
    return [LevelComposition(level, 0, 0, 0, 0, 0) for level in Level]


async def composition(
    db: RequestDatabase,
    code: str,
    scope: str,
    as_of: date | None,
    by_child: bool = False,
    ages: AgeDetail = AgeDetail.YEAR,
) -> dict[str, list[LevelComposition]]:
    """Per group (the region, or each child) the make-up of its deputies at each level."""
    sql = _composition_sql(scope, by_child, as_of, ages)
    rows = await db.execute(text(sql), {"code": code, "as_of": as_of, "scope": scope})
    found: dict[str, list[LevelComposition]] = {}
    for grp, level, *figures in rows:
        found.setdefault(grp, []).append(LevelComposition(Level[level], *figures))
    if not by_child and code not in found:
        found[code] = _zeros()
    return found


async def composition_for(
    db: RequestDatabase,
    caller: Caller,
    lineage: Sequence[str],
    scope: str,
    as_of: date | None,
    by_child: bool = False,
) -> dict[str, list[LevelComposition]]:
    """The composition report as this caller may have it, for GraphQL and CSV alike: asOf
    bounded to today, ages as finely as the caller may see birth dates in the region."""
    check_as_of(as_of)
    code = lineage[-1]
    return await composition(db, code, scope, as_of, by_child, age_detail(caller, lineage))


ATTENDANCE = """
WITH held AS (
    SELECT id FROM meetings
    WHERE committee_id = :committee_id AND extract(year FROM start_date) = :year
),
attended AS (SELECT a.* FROM attendances a WHERE a.meeting_id IN (SELECT id FROM held))
SELECT (SELECT count(*) FROM held) AS meetings,
       (SELECT count(*) FROM attended) AS person_times,
       (SELECT count(DISTINCT deputy_id) FROM attended) AS deputies,
       (SELECT array_agg(coalesce(n, 0) ORDER BY l.level)
        FROM unnest(enum_range(NULL::level)) AS l(level)
        LEFT JOIN (SELECT level, count(*) AS n FROM attended GROUP BY level) c USING (level)
       ) AS by_level
"""


@dataclass(frozen=True)
class AttendanceFigures:
    meetings: int
    person_times: int
    deputies: int
    by_level: list[tuple[Level, int]]


async def attendance(db: RequestDatabase, committee_id: int, year: int) -> AttendanceFigures:
    row = (await db.execute(text(ATTENDANCE), {"committee_id": committee_id, "year": year})).one()
    return AttendanceFigures(
        row.meetings, row.person_times, row.deputies, list(zip(Level, row.by_level, strict=True))
    )


# Active deputies of a congress, and those with a current assignment by one of its committees.
COVERAGE = """
WITH members AS (
    SELECT DISTINCT m.deputy_id FROM mandates m
    WHERE m.congress_id = :congress_id AND m.status = 'ACTIVE'
)
SELECT count(*) AS deputies,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM contact_assignments a JOIN committees k ON k.id = a.committee_id
           WHERE a.deputy_id = members.deputy_id AND k.congress_id = :congress_id
             AND a.end_date IS NULL)) AS covered
FROM members
"""


async def contact_coverage(db: RequestDatabase, congress_id: int) -> tuple[int, int]:
    row = (await db.execute(text(COVERAGE), {"congress_id": congress_id})).one()
    return row.deputies, row.covered


UNCOVERED_CONDITION = """
    EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = deputies.id
            AND m.congress_id = :congress_id AND m.status = 'ACTIVE')
    AND NOT EXISTS (SELECT 1 FROM contact_assignments a JOIN committees k ON k.id = a.committee_id
                    WHERE a.deputy_id = deputies.id AND k.congress_id = :congress_id
                      AND a.end_date IS NULL)
"""

STATION_ACTIVITY = """
WITH subtree AS ({subtree}),
groups AS ({groups}),
held AS (
    SELECT s.grp, r.id, r.visitors, r.opinions_collected, r.problems_resolved
    FROM subtree s
    JOIN stations st ON st.region_code = s.code
    JOIN receptions r ON r.station_id = st.id
    WHERE r.date BETWEEN :start AND :end
)
SELECT g.grp,
       count(h.id) AS receptions,
       coalesce(sum((SELECT count(*) FROM reception_deputies rd WHERE rd.reception_id = h.id)), 0)
           AS deputy_visits,
       coalesce(sum(h.visitors), 0) AS visitors,
       coalesce(sum(h.opinions_collected), 0) AS opinions_collected,
       coalesce(sum(h.problems_resolved), 0) AS problems_resolved
FROM groups g LEFT JOIN held h ON h.grp = g.grp
GROUP BY g.grp ORDER BY g.grp
"""


@dataclass(frozen=True)
class StationActivity:
    receptions: int
    deputy_visits: int
    visitors: int
    opinions_collected: int
    problems_resolved: int


async def station_activity(
    db: RequestDatabase, code: str, start: date, end: date, by_child: bool = False
) -> dict[str, StationActivity]:
    sql = STATION_ACTIVITY.format(
        subtree=BY_CHILD if by_child else WHOLE,
        groups=GROUPS_BY_CHILD if by_child else GROUPS_WHOLE,
    )
    rows = await db.execute(text(sql), {"code": code, "start": start, "end": end})
    found = {grp: StationActivity(*(int(v) for v in figures)) for grp, *figures in rows}
    if not by_child and code not in found:
        found[code] = StationActivity(0, 0, 0, 0, 0)
    return found


STATION_COVERAGE = """
SELECT l.level, coalesce(sum(rc.deputies), 0), coalesce(sum(rc.in_station), 0)
FROM unnest(enum_range(NULL::level)) AS l(level)
LEFT JOIN report_counts rc
       ON rc.scope = 'LOCALITY' AND rc.region_code = :code AND rc.level = l.level
GROUP BY l.level
ORDER BY l.level
"""


async def station_coverage(db: RequestDatabase, code: str) -> list[tuple[Level, int, int]]:
    rows = await db.execute(text(STATION_COVERAGE), {"code": code})
    return [(Level[level], deputies, in_station) for level, deputies, in_station in rows]


async def uncovered(db: RequestDatabase, congress_id: int, args: PageArgs) -> Page:
    """The deputies of a congress that no committee member of it keeps in touch with."""
    query = select(deputies).where(text(UNCOVERED_CONDITION).bindparams(congress_id=congress_id))
    return (await fetch_pages(db, query, BY_NAME, args))[None]
