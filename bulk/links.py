"""Importing station assignments, group memberships and attendance: checks and writes in SQL
over the whole staged file (the temporary table import_rows).

Each row links a registered deputy (by Deputy ID, ID number, or name + birth date +
locality) to a station, group or meeting (by ID or by natural key). A link that exists
already is left as it is (only a group role or an attendance's `spoke` is updated), so a
file imported twice changes nothing; the rules of the mutations (catchment area, active
mandate, eligibility, one group leader, members do not attend) apply to the new links.
What differs by kind (the target, its rules, the writes) is a `LinkKind` of the kind's
module: bulk.stations, bulk.groups, bulk.attendance.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bulk.problems import Clock
from bulk.staging import AUDIT
from db.rules import eligible_for_sql
from db.write_scope import visible, writable

__all__ = ["AUDIT", "NOT_ELIGIBLE", "LinkKind", "apply", "check"]


@dataclass(frozen=True)
class LinkKind:
    """What one kind of link adds to the shared checks and writes."""

    kind: str
    target_column: str  # the column its target errors name
    what: str  # the target in a sentence: station, group, meeting
    table: str  # the targets' table, whose `id` the target column may give
    by_natural_key: str  # SELECT line, id of the targets a row names without an ID
    links: str  # SELECT b.*, ... FROM import_base b: the row with what its rules need
    checks: list[str]  # SELECT line, column, code, message
    writes: list[tuple[str, str]]  # (count name, statement returning the count)
    eligibility: bool = True  # whether import_eligible is needed (a congress's work)


# Only deputies whose personal data the importer may see are found (import_scope): to an
# editor, a deputy outside its region is NOT_FOUND exactly as one the registry lacks, so a
# row naming someone by ID number or birth date learns nothing of people outside it.
PEOPLE = f"""
CREATE TEMP TABLE import_people ON COMMIT DROP AS
SELECT line, array_agg(DISTINCT id) AS ids FROM (
    SELECT r.line, d.id FROM import_rows r JOIN deputies d ON d.id = r.deputy_id
    UNION ALL
    SELECT r.line, d.id FROM import_rows r JOIN deputies d ON d.id_number = r.id_number
    WHERE r.deputy_id IS NULL
    UNION ALL
    SELECT r.line, d.id FROM import_rows r
    JOIN deputies d ON d.name = r.name AND d.birth_date = r.birth_date AND d.locality_code = r.locality_code
    WHERE r.deputy_id IS NULL AND r.id_number IS NULL
) c JOIN deputies d USING (id) WHERE {visible("d.locality_code")} GROUP BY line
"""

BASE = """
CREATE TEMP TABLE import_base ON COMMIT DROP AS
SELECT r.*, p.ids AS people, t.ids AS targets,
       CASE WHEN cardinality(p.ids) = 1 THEN p.ids[1] END AS person_id,
       CASE WHEN cardinality(t.ids) = 1 THEN t.ids[1] END AS target_id
FROM import_rows r
LEFT JOIN import_people p USING (line)
LEFT JOIN (SELECT line, array_agg(DISTINCT id) AS ids FROM ({targets}) c GROUP BY line) t USING (line)
"""

# Per kind: the target's name, region lineage and congress, the day the rules apply on,

# For each new link to a congress's work: the mandate that makes the deputy eligible on the
# day, highest level first (DESIGN.md, "eligible deputy"; db.rules.eligible_for, as the
# mutations ask it).
ELIGIBLE = f"""
CREATE TEMP TABLE import_eligible ON COMMIT DROP AS
SELECT DISTINCT ON (l.line) l.line, m.id AS mandate_id, m.level
FROM import_links l
JOIN congresses c ON c.id = l.congress_id
JOIN deputies d ON d.id = l.person_id
JOIN regions loc ON loc.code = d.locality_code
JOIN mandates m ON m.deputy_id = l.person_id
WHERE NOT l.existing
  AND {eligible_for_sql("m", "c", "loc.lineage", "l.day", "l.own_only")}
  AND (l.want_level IS NULL OR m.level = CAST(l.want_level AS level))
ORDER BY l.line, m.level, m.id
"""

_person_column = """CASE WHEN deputy_id IS NOT NULL THEN 'deputy_id'
                         WHEN id_number IS NOT NULL THEN 'id_number' ELSE 'name' END"""

COMMON_CHECKS = [
    f"""SELECT line, {_person_column}, 'NOT_FOUND', 'No registered deputy matches this row.'
        FROM import_links WHERE people IS NULL AND (deputy_id IS NOT NULL OR id_number IS NOT NULL
             OR (name IS NOT NULL AND birth_date IS NOT NULL AND locality_code IS NOT NULL))""",
    f"""SELECT line, {_person_column}, 'DUPLICATE_PERSON',
               format('%s registered deputies match this row: give the ID number.', cardinality(people))
        FROM import_links WHERE cardinality(people) > 1""",
    """SELECT line, :target_column, 'NOT_FOUND', format('No %s matches this row.', CAST(:what AS text))
       FROM import_links WHERE targets IS NULL""",
    """SELECT line, :target_column, 'AMBIGUOUS',
              format('%s %ss match this row: give its ID.', cardinality(targets), CAST(:what AS text))
       FROM import_links WHERE cardinality(targets) > 1""",
    """SELECT l.line, :target_column, 'DUPLICATE_ROW', format('Line %s gives the same link.', f.line)
       FROM import_links l
       JOIN (SELECT person_id, target_id, min(line) AS line FROM import_links
             WHERE person_id IS NOT NULL AND target_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) f
            USING (person_id, target_id)
       WHERE l.line <> f.line""",
    # The mutations' scope: the station, group or meeting lies in the region (its congress's,
    # for a group or meeting), as resolvers.mutations.scope finds it.
    f"""SELECT line, :target_column, 'FORBIDDEN_REGION',
              format('An editor for region %s may not write in %s.', CAST(:editor AS varchar), target_name)
       FROM import_links WHERE target_id IS NOT NULL AND NOT {writable("target_region")}""",
]

NOT_ELIGIBLE = """SELECT l.line, :target_column, 'NOT_ELIGIBLE',
       format('%s is not eligible on %s: no mandate in force in the congress, nor one at a higher '
              'level with a locality in its region%s.', l.person_name, l.day,
              CASE WHEN l.want_level IS NOT NULL THEN ' at ' || l.want_level || ' level' ELSE '' END)
   FROM import_links l WHERE NOT l.existing AND l.person_id IS NOT NULL AND l.target_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM import_eligible e WHERE e.line = l.line)"""


def targets(link: LinkKind) -> str:
    """SELECT line, id of every target a row may name: by ID, or by natural key."""
    by_id = (
        f"SELECT r.line, x.id FROM import_rows r JOIN {link.table} x "
        f"ON x.id = r.{link.target_column}"
    )
    return f"{by_id}\nUNION ALL\n{link.by_natural_key}"


TEMP_TABLES = ("import_people", "import_base", "import_links", "import_eligible")


async def check(
    conn: AsyncConnection, link: LinkKind, editor_region: str | None, clock: Clock
) -> list[tuple[int, str | None, str, str]]:
    for table in TEMP_TABLES:
        await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    steps = [
        PEOPLE,
        BASE.format(targets=targets(link)),
        f"CREATE TEMP TABLE import_links ON COMMIT DROP AS {link.links}",
        "ANALYZE import_links",
    ]
    if link.eligibility:
        steps.append(ELIGIBLE)
    for sql in steps:
        await clock.tick(conn)
        await conn.execute(text(sql))
    query = "\nUNION ALL\n".join(f"({c})" for c in COMMON_CHECKS + link.checks)
    # The column named in a target's errors is a constant of the kind: inlined.
    query = query.replace(":target_column", f"'{link.target_column}'")
    query = query.replace(":what", f"'{link.what}'")
    await clock.tick(conn)
    rows = await conn.execute(text(query), {"editor": editor_region})
    return [(int(line), col, code, message) for line, col, code, message in rows]


async def apply(
    conn: AsyncConnection, link: LinkKind, actor: str, role: str, clock: Clock
) -> dict[str, int]:
    who = {"actor": actor, "role": role}
    counts: dict[str, int] = {}
    for name, sql in link.writes:
        await clock.tick(conn)
        counts[name] = (await conn.execute(text(sql), who)).scalar_one()
    existing = await conn.scalar(text("SELECT count(*) FROM import_links WHERE existing"))
    updated = sum(v for k, v in counts.items() if k.endswith(".updated"))
    counts["links.unchanged"] = int(existing or 0) - updated
    return counts
