"""Importing station assignments, group memberships and attendance: checks and writes in SQL
over the whole staged file (the temporary table import_rows).

Each row links a registered deputy (by Deputy ID, ID number, or name + birth date +
locality) to a station, group or meeting (by ID or by natural key). A link that exists
already is left as it is (only a group role or an attendance's `spoke` is updated), so a
file imported twice changes nothing; the rules of the mutations (catchment area, active
mandate, eligibility, one group leader, members do not attend) apply to the new links.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.write_scope import visible, writable
from service.import_columns import Clock
from service.imports_deputies import AUDIT

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

TARGETS = {
    "station-assignments": """
        SELECT r.line, s.id FROM import_rows r JOIN stations s ON s.id = r.station_id
        UNION ALL
        SELECT r.line, s.id FROM import_rows r
        JOIN stations s ON s.region_code = r.station_region_code AND s.name = r.station_name
        WHERE r.station_id IS NULL""",
    "group-memberships": """
        SELECT r.line, g.id FROM import_rows r JOIN deputy_groups g ON g.id = r.group_id
        UNION ALL
        SELECT r.line, g.id FROM import_rows r
        JOIN congresses c ON c.region_code = r.group_congress_code
        JOIN deputy_groups g ON g.congress_id = c.id AND g.name = r.group_name
        WHERE r.group_id IS NULL""",
    "attendance": """
        SELECT r.line, t.id FROM import_rows r JOIN meetings t ON t.id = r.meeting_id
        UNION ALL
        SELECT r.line, t.id FROM import_rows r
        JOIN congresses c ON c.region_code = r.meeting_congress_code
        JOIN committees k ON k.congress_id = c.id
             AND CASE WHEN r.committee_name IS NULL THEN k.kind = 'STANDING_COMMITTEE'
                      ELSE k.name = r.committee_name END
        JOIN meetings t ON t.committee_id = k.id AND t.number = r.meeting_number
        WHERE r.meeting_id IS NULL""",
}

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
# whether the link exists already, and what the kind's own rules need.
LINKS = {
    "station-assignments": """
        SELECT b.*, s.name AS target_name, sr.code AS target_region, d.name AS person_name,
               CASE WHEN sr.level = 'TOWNSHIP' THEN sr.parent_code ELSE sr.code END AS catchment,
               loc.lineage AS locality_lineage, loc.name AS locality_name,
               coalesce(b.assigned_on, current_date) AS day,
               EXISTS (SELECT 1 FROM station_assignments a
                       WHERE a.station_id = b.target_id AND a.deputy_id = b.person_id) AS existing
        FROM import_base b
        LEFT JOIN stations s ON s.id = b.target_id LEFT JOIN regions sr ON sr.code = s.region_code
        LEFT JOIN deputies d ON d.id = b.person_id LEFT JOIN regions loc ON loc.code = d.locality_code""",
    "group-memberships": """
        SELECT b.*, g.name AS target_name, cr.code AS target_region, d.name AS person_name,
               g.congress_id, g.kind = 'PROFESSIONAL' AS own_only, NULL::text AS want_level,
               coalesce(b.joined_on, current_date) AS day,
               EXISTS (SELECT 1 FROM group_memberships m
                       WHERE m.group_id = b.target_id AND m.deputy_id = b.person_id) AS existing
        FROM import_base b
        LEFT JOIN deputy_groups g ON g.id = b.target_id
        LEFT JOIN congresses c ON c.id = g.congress_id LEFT JOIN regions cr ON cr.code = c.region_code
        LEFT JOIN deputies d ON d.id = b.person_id""",
    "attendance": """
        SELECT b.*, k.name || ' #' || t.number AS target_name, cr.code AS target_region,
               d.name AS person_name, k.congress_id, k.id AS committee_id, false AS own_only,
               b.level AS want_level, t.start_date AS day,
               EXISTS (SELECT 1 FROM attendances a
                       WHERE a.meeting_id = b.target_id AND a.deputy_id = b.person_id) AS existing
        FROM import_base b
        LEFT JOIN meetings t ON t.id = b.target_id LEFT JOIN committees k ON k.id = t.committee_id
        LEFT JOIN congresses c ON c.id = k.congress_id LEFT JOIN regions cr ON cr.code = c.region_code
        LEFT JOIN deputies d ON d.id = b.person_id""",
}

# For each new link to a congress's work: the mandate that makes the deputy eligible on the
# day, highest level first (DESIGN.md, "eligible deputy"; as resolvers.mutations.eligibility).
ELIGIBLE = """
CREATE TEMP TABLE import_eligible ON COMMIT DROP AS
SELECT DISTINCT ON (l.line) l.line, m.id AS mandate_id, m.level
FROM import_links l
JOIN congresses c ON c.id = l.congress_id
JOIN regions cr ON cr.code = c.region_code
JOIN deputies d ON d.id = l.person_id
JOIN regions loc ON loc.code = d.locality_code
JOIN mandates m ON m.deputy_id = l.person_id
WHERE NOT l.existing
  AND m.start_date <= l.day AND (m.end_date IS NULL OR m.end_date >= l.day)
  AND NOT (m.suspended_from IS NOT NULL AND m.suspended_from <= l.day
           AND (m.suspended_until IS NULL OR m.suspended_until >= l.day))
  AND (m.congress_id = c.id OR (NOT l.own_only AND m.level < c.level AND loc.lineage @> ARRAY[cr.code]))
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

_not_eligible = """SELECT l.line, :target_column, 'NOT_ELIGIBLE',
       format('%s is not eligible on %s: no mandate in force in the congress, nor one at a higher '
              'level with a locality in its region%s.', l.person_name, l.day,
              CASE WHEN l.want_level IS NOT NULL THEN ' at ' || l.want_level || ' level' ELSE '' END)
   FROM import_links l WHERE NOT l.existing AND l.person_id IS NOT NULL AND l.target_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM import_eligible e WHERE e.line = l.line)"""

KIND_CHECKS = {
    "station-assignments": [
        """SELECT line, :target_column, 'LOCALITY_OUTSIDE_REGION',
                  format('%s lives in %s, outside the area that %s serves.', person_name,
                         locality_name, target_name)
           FROM import_links WHERE NOT existing AND person_id IS NOT NULL AND target_id IS NOT NULL
                AND NOT locality_lineage @> ARRAY[catchment]""",
        # The mutation's "holds an active mandate", on the day of the assignment.
        """SELECT l.line, :target_column, 'NOT_ELIGIBLE',
                  format('%s held no mandate in force on %s.', l.person_name, l.day)
           FROM import_links l WHERE NOT l.existing AND l.person_id IS NOT NULL
                AND NOT EXISTS (
                    SELECT 1 FROM mandates m WHERE m.deputy_id = l.person_id
                      AND m.start_date <= l.day AND (m.end_date IS NULL OR m.end_date >= l.day)
                      AND NOT (m.suspended_from IS NOT NULL AND m.suspended_from <= l.day
                               AND (m.suspended_until IS NULL OR m.suspended_until >= l.day)))""",
    ],
    "group-memberships": [
        _not_eligible,
        # Leaders counted per group once (a GROUP BY), not once per row: the registered
        # leaders the file does not give another role, and the file's leaders.
        """SELECT l.line, 'role', 'INVALID_VALUE', format('%s would have more than one leader.', l.target_name)
           FROM import_links l
           JOIN (SELECT target_id FROM (
                     SELECT m.group_id AS target_id, m.deputy_id FROM group_memberships m
                     WHERE m.role = 'LEADER' AND m.group_id IN (
                               SELECT target_id FROM import_links WHERE role = 'LEADER')
                       AND NOT EXISTS (SELECT 1 FROM import_links x WHERE x.target_id = m.group_id
                                       AND x.person_id = m.deputy_id AND x.role IS NOT NULL)
                     UNION
                     SELECT target_id, person_id FROM import_links
                     WHERE role = 'LEADER' AND target_id IS NOT NULL) leaders
                 GROUP BY target_id HAVING count(*) > 1) crowded USING (target_id)
           WHERE l.role = 'LEADER'""",
    ],
    "attendance": [
        """SELECT l.line, :target_column, 'COMMITTEE_MEMBER',
                  format('%s is a member of the committee, not a non-voting attendee.', l.person_name)
           FROM import_links l JOIN committee_memberships cm
                ON cm.committee_id = l.committee_id AND cm.deputy_id = l.person_id
                AND cm.start_date <= l.day AND (cm.end_date IS NULL OR cm.end_date >= l.day)
           WHERE NOT l.existing""",
        _not_eligible,
    ],
}

WRITES = {
    "station-assignments": [
        (
            "assignments.created",
            """
        WITH written AS (
            INSERT INTO station_assignments (station_id, deputy_id, assigned_on)
            SELECT target_id, person_id, day FROM import_links WHERE NOT existing ORDER BY line
            RETURNING *, station_id AS id)"""
            + AUDIT.format(entity="Station", before="NULL::jsonb"),
        ),
    ],
    "group-memberships": [
        (
            "memberships.created",
            """
        WITH written AS (
            INSERT INTO group_memberships (group_id, deputy_id, role, joined_on)
            SELECT target_id, person_id, CAST(coalesce(role, 'MEMBER') AS group_role), day
            FROM import_links WHERE NOT existing ORDER BY line
            RETURNING *, group_id AS id)"""
            + AUDIT.format(entity="DeputyGroup", before="NULL::jsonb"),
        ),
        (
            "memberships.updated",
            """
        WITH written AS (
            UPDATE group_memberships g SET role = CAST(l.role AS group_role)
            FROM (SELECT l.target_id, l.person_id, l.role, to_jsonb(o) AS before FROM import_links l
                  JOIN group_memberships o ON o.group_id = l.target_id AND o.deputy_id = l.person_id
                  WHERE l.existing AND l.role IS NOT NULL) l
            WHERE g.group_id = l.target_id AND g.deputy_id = l.person_id AND g.role::text <> l.role
            RETURNING g.*, g.group_id AS id, l.before)"""
            + AUDIT.format(entity="DeputyGroup", before="w.before"),
        ),
    ],
    "attendance": [
        (
            "attendances.created",
            """
        WITH written AS (
            INSERT INTO attendances (meeting_id, deputy_id, mandate_id, level, spoke)
            SELECT l.target_id, l.person_id, e.mandate_id, e.level, coalesce(l.spoke, false)
            FROM import_links l JOIN import_eligible e USING (line)
            WHERE NOT l.existing ORDER BY l.line
            RETURNING *)"""
            + AUDIT.format(entity="Attendance", before="NULL::jsonb"),
        ),
        (
            "attendances.updated",
            """
        WITH written AS (
            UPDATE attendances a SET spoke = l.spoke
            FROM (SELECT l.target_id, l.person_id, l.spoke, to_jsonb(o) AS before FROM import_links l
                  JOIN attendances o ON o.meeting_id = l.target_id AND o.deputy_id = l.person_id
                  WHERE l.existing AND l.spoke IS NOT NULL) l
            WHERE a.meeting_id = l.target_id AND a.deputy_id = l.person_id AND a.spoke <> l.spoke
            RETURNING a.*, l.before)"""
            + AUDIT.format(entity="Attendance", before="w.before"),
        ),
    ],
}

TARGET = {
    "station-assignments": ("station_id", "station"),
    "group-memberships": ("group_id", "group"),
    "attendance": ("meeting_id", "meeting"),
}
TEMP_TABLES = ("import_people", "import_base", "import_links", "import_eligible")


async def check(
    conn: AsyncConnection, kind: str, editor_region: str | None, clock: Clock
) -> list[tuple[int, str | None, str, str]]:
    for table in TEMP_TABLES:
        await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    steps = [
        PEOPLE,
        BASE.format(targets=TARGETS[kind]),
        f"CREATE TEMP TABLE import_links ON COMMIT DROP AS {LINKS[kind]}",
        "ANALYZE import_links",
    ]
    if kind != "station-assignments":
        steps.append(ELIGIBLE)
    for sql in steps:
        await clock.tick(conn)
        await conn.execute(text(sql))
    column, what = TARGET[kind]
    query = "\nUNION ALL\n".join(f"({c})" for c in COMMON_CHECKS + KIND_CHECKS[kind])
    # The column named in a target's errors is a constant of this module: inlined.
    query = query.replace(":target_column", f"'{column}'").replace(":what", f"'{what}'")
    await clock.tick(conn)
    rows = await conn.execute(text(query), {"editor": editor_region})
    return [(int(line), col, code, message) for line, col, code, message in rows]


async def apply(
    conn: AsyncConnection, kind: str, actor: str, role: str, clock: Clock
) -> dict[str, int]:
    who = {"actor": actor, "role": role}
    counts: dict[str, int] = {}
    for name, sql in WRITES[kind]:
        await clock.tick(conn)
        counts[name] = (await conn.execute(text(sql), who)).scalar_one()
    existing = await conn.scalar(text("SELECT count(*) FROM import_links WHERE existing"))
    updated = sum(v for k, v in counts.items() if k.endswith(".updated"))
    counts["links.unchanged"] = int(existing or 0) - updated
    return counts
