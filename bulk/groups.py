"""Group memberships: a deputy joins a deputy group (by ID, or by congress + name), with a role."""

from __future__ import annotations

from bulk.links import AUDIT, NOT_ELIGIBLE, LinkKind
from bulk.subtree import PEOPLE_JOIN, SUBTREE, person_ref
from core.context import Caller

IMPORT = LinkKind(
    kind="group-memberships",
    target_column="group_id",
    what="group",
    table="deputy_groups",
    by_natural_key="""
        SELECT r.line, g.id FROM import_rows r
        JOIN congresses c ON c.region_code = r.group_congress_code
        JOIN deputy_groups g ON g.congress_id = c.id AND g.name = r.group_name
        WHERE r.group_id IS NULL""",
    links="""
        SELECT b.*, g.name AS target_name, cr.code AS target_region, d.name AS person_name,
               g.congress_id, g.kind = 'PROFESSIONAL' AS own_only, NULL::text AS want_level,
               coalesce(b.joined_on, current_date) AS day,
               EXISTS (SELECT 1 FROM group_memberships m
                       WHERE m.group_id = b.target_id AND m.deputy_id = b.person_id) AS existing
        FROM import_base b
        LEFT JOIN deputy_groups g ON g.id = b.target_id
        LEFT JOIN congresses c ON c.id = g.congress_id LEFT JOIN regions cr ON cr.code = c.region_code
        LEFT JOIN deputies d ON d.id = b.person_id""",
    eligibility=True,
    checks=[
        NOT_ELIGIBLE,
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
    writes=[
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
)


def export_query(caller: Caller) -> str:
    """The CSV export's rows of a subtree (bulk.subtree), in this kind's columns."""
    return f"""
            SELECT NULL, {person_ref(caller)}, NULL, c.region_code, g.name, x.role, x.joined_on
            FROM group_memberships x JOIN deputy_groups g ON g.id = x.group_id
            JOIN congresses c ON c.id = g.congress_id {PEOPLE_JOIN}
            WHERE c.region_code IN ({SUBTREE}) ORDER BY g.id, d.id"""
