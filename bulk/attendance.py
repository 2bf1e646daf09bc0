"""Attendance: an eligible deputy, not a member of the committee, attends a meeting (by ID,
or by congress, committee and number)."""

from __future__ import annotations

from bulk.links import AUDIT, NOT_ELIGIBLE, LinkKind
from bulk.subtree import PEOPLE_JOIN, SUBTREE, person_ref
from core.context import Caller

IMPORT = LinkKind(
    kind="attendance",
    target_column="meeting_id",
    what="meeting",
    table="meetings",
    by_natural_key="""
        SELECT r.line, t.id FROM import_rows r
        JOIN congresses c ON c.region_code = r.meeting_congress_code
        JOIN committees k ON k.congress_id = c.id
             AND CASE WHEN r.committee_name IS NULL THEN k.kind = 'STANDING_COMMITTEE'
                      ELSE k.name = r.committee_name END
        JOIN meetings t ON t.committee_id = k.id AND t.number = r.meeting_number
        WHERE r.meeting_id IS NULL""",
    links="""
        SELECT b.*, k.name || ' #' || t.number AS target_name, cr.code AS target_region,
               d.name AS person_name, k.congress_id, k.id AS committee_id, false AS own_only,
               b.level AS want_level, t.start_date AS day,
               EXISTS (SELECT 1 FROM attendances a
                       WHERE a.meeting_id = b.target_id AND a.deputy_id = b.person_id) AS existing
        FROM import_base b
        LEFT JOIN meetings t ON t.id = b.target_id LEFT JOIN committees k ON k.id = t.committee_id
        LEFT JOIN congresses c ON c.id = k.congress_id LEFT JOIN regions cr ON cr.code = c.region_code
        LEFT JOIN deputies d ON d.id = b.person_id""",
    eligibility=True,
    checks=[
        """SELECT l.line, :target_column, 'COMMITTEE_MEMBER',
                  format('%s is a member of the committee, not a non-voting attendee.', l.person_name)
           FROM import_links l JOIN committee_memberships cm
                ON cm.committee_id = l.committee_id AND cm.deputy_id = l.person_id
                AND cm.start_date <= l.day AND (cm.end_date IS NULL OR cm.end_date >= l.day)
           WHERE NOT l.existing""",
        NOT_ELIGIBLE,
    ],
    writes=[
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
)


def export_query(caller: Caller) -> str:
    """The CSV export's rows of a subtree (bulk.subtree), in this kind's columns."""
    return f"""
            SELECT NULL, {person_ref(caller)}, NULL, c.region_code, k.name, t.number, x.level, x.spoke
            FROM attendances x JOIN meetings t ON t.id = x.meeting_id
            JOIN committees k ON k.id = t.committee_id JOIN congresses c ON c.id = k.congress_id
            {PEOPLE_JOIN}
            WHERE c.region_code IN ({SUBTREE}) ORDER BY t.id, x.id"""
