"""Where a write lands: the region of the congress or station it touches.

Editors may write only inside their region's subtree. Each mutation names what it touches
(a kind and an ID or code); this module finds that thing's region in one query, and
`schema.mutations.base.perform` compares it with the editor's region in one place.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.ids import decode_int_id

# For each kind of target, the SQL that finds the lineage of the region it belongs to.
LINEAGE_OF = {
    "Region": "SELECT lineage FROM regions WHERE code = :key",
    "Congress": "SELECT r.lineage FROM congresses c JOIN regions r ON r.code = c.region_code WHERE c.id = :key",
    "Committee": """SELECT r.lineage FROM committees k JOIN congresses c ON c.id = k.congress_id
                    JOIN regions r ON r.code = c.region_code WHERE k.id = :key""",
    "Mandate": """SELECT r.lineage FROM mandates m JOIN congresses c ON c.id = m.congress_id
                  JOIN regions r ON r.code = c.region_code WHERE m.id = :key""",
    "Station": "SELECT r.lineage FROM stations s JOIN regions r ON r.code = s.region_code WHERE s.id = :key",
    "DeputyGroup": """SELECT r.lineage FROM deputy_groups g JOIN congresses c ON c.id = g.congress_id
                      JOIN regions r ON r.code = c.region_code WHERE g.id = :key""",
    "Meeting": """SELECT r.lineage FROM meetings t JOIN committees k ON k.id = t.committee_id
                  JOIN congresses c ON c.id = k.congress_id JOIN regions r ON r.code = c.region_code
                  WHERE t.id = :key""",
    "ContactAssignment": """SELECT r.lineage FROM contact_assignments a
                  JOIN committees k ON k.id = a.committee_id JOIN congresses c ON c.id = k.congress_id
                  JOIN regions r ON r.code = c.region_code WHERE a.id = :key""",
    "Suggestion": """SELECT r.lineage FROM suggestions s JOIN congresses c ON c.id = s.congress_id
                     JOIN regions r ON r.code = c.region_code WHERE s.id = :key""",
    "VoterContact": """SELECT r.lineage FROM voter_contacts v JOIN regions r ON r.code = v.community_code
                       WHERE v.id = :key""",
}


async def target_lineage(conn: AsyncConnection, kind: str, key: str) -> list[str] | None:
    """The lineage of the region a write touches; None when the target does not exist
    (the write itself then answers NOT_FOUND)."""
    if kind == "Region":
        value: object = key.strip()
    else:
        value = decode_int_id(key, kind)
        if value is None:
            return None
    lineage = await conn.scalar(text(LINEAGE_OF[kind]), {"key": value})
    return list(lineage) if lineage is not None else None
