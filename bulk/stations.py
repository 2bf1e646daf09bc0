"""Station assignments: a deputy joins a liaison station (by ID, or by region code + name)."""

from __future__ import annotations

from bulk.links import AUDIT, LinkKind
from bulk.subtree import PEOPLE_JOIN, SUBTREE, person_ref
from core.context import Caller
from db.rules import mandate_in_force_sql

IMPORT = LinkKind(
    kind="station-assignments",
    target_column="station_id",
    what="station",
    table="stations",
    by_natural_key="""
        SELECT r.line, s.id FROM import_rows r
        JOIN stations s ON s.region_code = r.station_region_code AND s.name = r.station_name
        WHERE r.station_id IS NULL""",
    links="""
        SELECT b.*, s.name AS target_name, sr.code AS target_region, d.name AS person_name,
               CASE WHEN sr.level = 'TOWNSHIP' THEN sr.parent_code ELSE sr.code END AS catchment,
               loc.lineage AS locality_lineage, loc.name AS locality_name,
               coalesce(b.assigned_on, current_date) AS day,
               EXISTS (SELECT 1 FROM station_assignments a
                       WHERE a.station_id = b.target_id AND a.deputy_id = b.person_id) AS existing
        FROM import_base b
        LEFT JOIN stations s ON s.id = b.target_id LEFT JOIN regions sr ON sr.code = s.region_code
        LEFT JOIN deputies d ON d.id = b.person_id LEFT JOIN regions loc ON loc.code = d.locality_code""",
    eligibility=False,
    checks=[
        """SELECT line, :target_column, 'LOCALITY_OUTSIDE_REGION',
                  format('%s lives in %s, outside the area that %s serves.', person_name,
                         locality_name, target_name)
           FROM import_links WHERE NOT existing AND person_id IS NOT NULL AND target_id IS NOT NULL
                AND NOT locality_lineage @> ARRAY[catchment]""",
        # The mutation's "holds an active mandate", on the day of the assignment.
        f"""SELECT l.line, :target_column, 'NOT_ELIGIBLE',
                  format('%s held no mandate in force on %s.', l.person_name, l.day)
           FROM import_links l WHERE NOT l.existing AND l.person_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = l.person_id
                                AND {mandate_in_force_sql("m", "l.day")})""",
    ],
    writes=[
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
)


def export_query(caller: Caller) -> str:
    """The CSV export's rows of a subtree (bulk.subtree), in this kind's columns."""
    return f"""
            SELECT NULL, {person_ref(caller)}, NULL, s.region_code, s.name, x.assigned_on
            FROM station_assignments x JOIN stations s ON s.id = x.station_id {PEOPLE_JOIN}
            WHERE s.region_code IN ({SUBTREE}) ORDER BY s.id, d.id"""
