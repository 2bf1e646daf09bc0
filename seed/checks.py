"""SQL checks of the rules generated data must keep (DESIGN.md, "Rules that the data must
keep"); each query counts violations, so every result must be 0.

Used to verify the generator; tests can run `await check_rules(connection)` after seeding.
A mandate is taken as in force on day D when start_date <= D < end_date (the stricter
reading of the end date) and D is outside any suspension.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


def _active(m: str, day: str) -> str:
    return (
        f"({m}.start_date <= {day} AND ({m}.end_date IS NULL OR {day} < {m}.end_date)"
        f" AND NOT ({m}.suspended_from IS NOT NULL AND {m}.suspended_from <= {day}"
        f" AND ({m}.suspended_until IS NULL OR {day} <= {m}.suspended_until)))"
    )


def _inside(locality: str, region: str) -> str:
    """The locality is the region or below it (walking at most four parents up)."""
    return f"""EXISTS (
        SELECT 1 FROM regions l
        LEFT JOIN regions p1 ON p1.code = l.parent_code
        LEFT JOIN regions p2 ON p2.code = p1.parent_code
        LEFT JOIN regions p3 ON p3.code = p2.parent_code
        WHERE l.code = {locality}
          AND {region} IN (l.code, p1.code, p2.code, p3.code, p3.parent_code))"""


def _eligible(deputy: str, congress: str, day: str) -> str:
    """An active mandate in the congress, or one above its level while living in its region."""
    return f"""EXISTS (
        SELECT 1 FROM mandates em JOIN congresses ec ON ec.id = {congress}
        JOIN deputies ed ON ed.id = em.deputy_id
        WHERE em.deputy_id = {deputy} AND {_active("em", day)}
          AND (em.congress_id = ec.id
               OR (em.level < ec.level AND {_inside("ed.locality_code", "ec.region_code")})))"""


def _suspended(deputy: str, day: str) -> str:
    return f"""EXISTS (
        SELECT 1 FROM mandates sm WHERE sm.deputy_id = {deputy}
          AND sm.suspended_from IS NOT NULL AND sm.suspended_from <= {day}
          AND (sm.suspended_until IS NULL OR {day} <= sm.suspended_until))"""


CHECKS: dict[str, str] = {
    "mandates: more than one in force per person and term": """
        SELECT count(*) FROM (SELECT 1 FROM mandates WHERE status <> 'TERMINATED'
                              GROUP BY deputy_id, term_id HAVING count(*) > 1) x""",
    "mandates: dates out of order or status not matching dates": """
        SELECT count(*) FROM mandates
        WHERE end_date < start_date OR suspended_from < start_date
           OR suspended_until < suspended_from
           OR (status = 'TERMINATED') <> (end_date IS NOT NULL)
           OR (status = 'SUSPENDED') <> (suspended_from IS NOT NULL AND suspended_until IS NULL)
           OR (end_reason IS NULL) <> (end_date IS NULL)""",
    "mandates: outside their term, or level not the congress's": """
        SELECT count(*) FROM mandates m JOIN terms t ON t.id = m.term_id
        JOIN congresses c ON c.id = m.congress_id
        WHERE t.congress_id <> m.congress_id OR m.level <> c.level
           OR m.start_date < t.start_date OR m.start_date > coalesce(t.end_date, m.start_date)
           OR m.end_date > t.end_date OR (t.end_date IS NOT NULL AND m.end_date IS NULL)""",
    "mandates: locality outside the congress's region": f"""
        SELECT count(*) FROM mandates m JOIN deputies d ON d.id = m.deputy_id
        JOIN congresses c ON c.id = m.congress_id
        WHERE NOT {_inside("d.locality_code", "c.region_code")}""",
    "deputies: locality not county or township level": """
        SELECT count(*) FROM deputies d JOIN regions r ON r.code = d.locality_code
        WHERE r.level NOT IN ('COUNTY', 'TOWNSHIP')""",
    "deputies: resident ID not matching birth date or check digit": """
        SELECT count(*) FROM deputies
        WHERE id_number IS NOT NULL AND (length(id_number) <> 18
           OR substr(id_number, 7, 8) <> to_char(birth_date, 'YYYYMMDD')
           OR substr('10X98765432', (
                (substr(id_number,1,1)::int*7 + substr(id_number,2,1)::int*9
                 + substr(id_number,3,1)::int*10 + substr(id_number,4,1)::int*5
                 + substr(id_number,5,1)::int*8 + substr(id_number,6,1)::int*4
                 + substr(id_number,7,1)::int*2 + substr(id_number,8,1)::int*1
                 + substr(id_number,9,1)::int*6 + substr(id_number,10,1)::int*3
                 + substr(id_number,11,1)::int*7 + substr(id_number,12,1)::int*9
                 + substr(id_number,13,1)::int*10 + substr(id_number,14,1)::int*5
                 + substr(id_number,15,1)::int*8 + substr(id_number,16,1)::int*4
                 + substr(id_number,17,1)::int*2) % 11) + 1, 1) <> substr(id_number, 18, 1)
           OR (substr(id_number, 17, 1)::int % 2 = 1) <> (gender = 'MALE')
           OR phone !~ '^1[3-9][0-9]{9}$')""",
    "township congresses: a standing committee, meeting or contact assignment": """
        SELECT (SELECT count(*) FROM committees k JOIN congresses c ON c.id = k.congress_id
                WHERE c.level = 'TOWNSHIP' AND k.kind = 'STANDING_COMMITTEE')
             + (SELECT count(*) FROM meetings mt JOIN committees k ON k.id = mt.committee_id
                JOIN congresses c ON c.id = k.congress_id WHERE c.level = 'TOWNSHIP')
             + (SELECT count(*) FROM contact_assignments a JOIN committees k
                ON k.id = a.committee_id JOIN congresses c ON c.id = k.congress_id
                WHERE c.level = 'TOWNSHIP')""",
    "committee members: no mandate in the committee's congress when they start": f"""
        SELECT count(*) FROM committee_memberships cm JOIN committees k ON k.id = cm.committee_id
        WHERE NOT EXISTS (SELECT 1 FROM mandates mm WHERE mm.deputy_id = cm.deputy_id
                          AND mm.congress_id = k.congress_id AND {_active("mm", "cm.start_date")})""",
    "contacts: contactor not a current member of the committee": """
        SELECT count(*) FROM contact_assignments a
        WHERE NOT EXISTS (SELECT 1 FROM committee_memberships cm
                          WHERE cm.committee_id = a.committee_id AND cm.deputy_id = a.contactor_id
                            AND cm.start_date <= a.start_date
                            AND (cm.end_date IS NULL OR cm.end_date >= a.start_date))""",
    "contacts: deputy not eligible (or suspended) when assigned": f"""
        SELECT count(*) FROM contact_assignments a JOIN committees k ON k.id = a.committee_id
        WHERE a.contactor_id = a.deputy_id
           OR NOT {_eligible("a.deputy_id", "k.congress_id", "a.start_date")}
           OR {_suspended("a.deputy_id", "a.start_date")}""",
    "contact logs: outside the assignment, or deputy not eligible (or suspended) that day": f"""
        SELECT count(*) FROM contact_logs g JOIN contact_assignments a ON a.id = g.assignment_id
        JOIN committees k ON k.id = a.committee_id
        WHERE g.date < a.start_date OR g.date > coalesce(a.end_date, g.date)
           OR NOT {_eligible("a.deputy_id", "k.congress_id", "g.date")}
           OR {_suspended("a.deputy_id", "g.date")}""",
    "meetings: not of a standing committee, outside the term, or numbered with gaps": """
        SELECT count(*) FROM (
            SELECT mt.id, mt.number, k.kind, mt.start_date, mt.end_date, t.start_date AS term_start,
                   row_number() OVER (PARTITION BY mt.committee_id ORDER BY mt.start_date) AS n
            FROM meetings mt JOIN committees k ON k.id = mt.committee_id
            JOIN terms t ON t.congress_id = k.congress_id AND t.end_date IS NULL) x
        WHERE kind <> 'STANDING_COMMITTEE' OR start_date < term_start OR end_date < start_date
           OR number <> n""",
    "attendance: attendee is a member of the committee": """
        SELECT count(*) FROM attendances at JOIN meetings mt ON mt.id = at.meeting_id
        JOIN committee_memberships cm ON cm.committee_id = mt.committee_id
             AND cm.deputy_id = at.deputy_id AND cm.start_date <= mt.end_date
             AND (cm.end_date IS NULL OR cm.end_date >= mt.start_date)""",
    "attendance: deputy not eligible (or suspended) on the meeting's days": f"""
        SELECT count(*) FROM attendances at JOIN meetings mt ON mt.id = at.meeting_id
        JOIN committees k ON k.id = mt.committee_id
        WHERE NOT {_eligible("at.deputy_id", "k.congress_id", "mt.start_date")}
           OR NOT {_eligible("at.deputy_id", "k.congress_id", "mt.end_date")}
           OR {_suspended("at.deputy_id", "mt.start_date")}
           OR {_suspended("at.deputy_id", "mt.end_date")}""",
    "attendance: the mandate attended under is not the deputy's, not eligible, or of another level": f"""
        SELECT count(*) FROM attendances at JOIN meetings mt ON mt.id = at.meeting_id
        JOIN committees k ON k.id = mt.committee_id JOIN congresses c ON c.id = k.congress_id
        JOIN mandates m ON m.id = at.mandate_id JOIN deputies d ON d.id = at.deputy_id
        WHERE m.deputy_id <> at.deputy_id OR m.level <> at.level
           OR NOT {_active("m", "mt.start_date")} OR NOT {_active("m", "mt.end_date")}
           OR NOT (m.congress_id = c.id
                   OR (m.level < c.level AND {_inside("d.locality_code", "c.region_code")}))""",
    "attendance: more than once per deputy and meeting": """
        SELECT count(*) FROM (SELECT 1 FROM attendances GROUP BY meeting_id, deputy_id
                              HAVING count(*) > 1) x""",
    "regional groups: member not eligible when joining, or living outside the group's area": f"""
        SELECT count(*) FROM group_memberships gm JOIN deputy_groups g ON g.id = gm.group_id
        JOIN deputies d ON d.id = gm.deputy_id
        WHERE g.kind = 'REGIONAL'
          AND (NOT {_eligible("gm.deputy_id", "g.congress_id", "gm.joined_on")}
               OR NOT {_inside("d.locality_code", "g.region_code")})""",
    "professional groups: member without a mandate in the group's congress, or bad committee": f"""
        SELECT count(*) FROM group_memberships gm JOIN deputy_groups g ON g.id = gm.group_id
        LEFT JOIN committees k ON k.id = g.committee_id
        WHERE g.kind = 'PROFESSIONAL'
          AND (k.congress_id IS DISTINCT FROM g.congress_id OR k.kind <> 'SPECIAL_COMMITTEE'
               OR NOT EXISTS (SELECT 1 FROM mandates pm WHERE pm.deputy_id = gm.deputy_id
                              AND pm.congress_id = g.congress_id
                              AND {_active("pm", "gm.joined_on")}))""",
    "groups: not exactly one leader": """
        SELECT count(*) FROM deputy_groups g
        WHERE (SELECT count(*) FROM group_memberships gm
               WHERE gm.group_id = g.id AND gm.role = 'LEADER') <> 1""",
    "stations: star rating or reception day out of range": """
        SELECT count(*) FROM stations
        WHERE star_rating NOT BETWEEN 1 AND 5 OR reception_day NOT BETWEEN 1 AND 31""",
    "stations: deputy stationed outside where they live": """
        SELECT count(*) FROM station_assignments sa JOIN stations s ON s.id = sa.station_id
        JOIN deputies d ON d.id = sa.deputy_id WHERE s.region_code <> d.locality_code""",
    "receptions: negative counts, or more solved than opinions or opinions than visitors": """
        SELECT count(*) FROM receptions
        WHERE visitors < 0 OR opinions_collected < 0 OR problems_resolved < 0
           OR opinions_collected > visitors OR problems_resolved > opinions_collected""",
    "receptions: deputy present not stationed there yet, or not in office that day": f"""
        SELECT count(*) FROM reception_deputies rd JOIN receptions r ON r.id = rd.reception_id
        WHERE NOT EXISTS (SELECT 1 FROM station_assignments sa WHERE sa.station_id = r.station_id
                          AND sa.deputy_id = rd.deputy_id AND sa.assigned_on <= r.date)
           OR NOT EXISTS (SELECT 1 FROM mandates rm WHERE rm.deputy_id = rd.deputy_id
                          AND {_active("rm", "r.date")})""",
}

# Seats in force per congress against the legal formula's bounds (base .. maximum); only
# meaningful at full scale (demo, small, national), where a few vacancies are allowed.
SEAT_BOUNDS = """
    SELECT count(*) FROM (
        SELECT c.level, count(*) AS seats FROM mandates m JOIN congresses c ON c.id = m.congress_id
        JOIN terms t ON t.id = m.term_id AND t.end_date IS NULL
        WHERE m.status <> 'TERMINATED' GROUP BY c.id, c.level) x
    WHERE seats > CASE level WHEN 'NATIONAL' THEN 2977 WHEN 'PROVINCIAL' THEN 1000
                             WHEN 'PREFECTURAL' THEN 650 WHEN 'COUNTY' THEN 450 ELSE 160 END
       OR (level <> 'NATIONAL' AND seats < 0.95 * CASE level WHEN 'PROVINCIAL' THEN 350
                             WHEN 'PREFECTURAL' THEN 240 WHEN 'COUNTY' THEN 140 ELSE 45 END)"""


async def check_rules(connection: AsyncConnection, *, full_scale: bool = True) -> dict[str, int]:
    """Violations per rule (all should be 0)."""
    checks = dict(CHECKS)
    if full_scale:
        checks["congresses: seats in force outside the legal range"] = SEAT_BOUNDS
    return {name: int(await connection.scalar(text(sql)) or 0) for name, sql in checks.items()}
