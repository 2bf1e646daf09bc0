"""The Popolo JSON export of a region's subtree (bulk.subtree says which rows): PostgreSQL
builds each object with json_build_object, and the stream writes them one per line."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bulk.stream import rows_of
from bulk.subtree import PEOPLE, SUBTREE, params, personal
from core.context import Caller


def gid(type_name: str, key: str) -> str:
    """The API's global ID in SQL (resolvers.ids.encode_id), so Popolo IDs match the API's."""
    return f"translate(encode(convert_to('{type_name}:' || {key}, 'UTF8'), 'base64'), E'\\n', '')"


def _list(items: str) -> str:
    return f"coalesce(({items}), '[]'::json)"


def popolo_sections(caller: Caller) -> list[tuple[str, str]]:
    """(section, SELECT of one JSON object per row) in the order they are written."""
    congresses = f"""
        SELECT id FROM congresses WHERE region_code IN ({SUBTREE})
        UNION SELECT congress_id FROM mandates WHERE deputy_id IN ({PEOPLE})"""
    local = f"SELECT id FROM congresses WHERE region_code IN ({SUBTREE})"
    phone = personal(caller, "d.phone")
    id_number = personal(caller, "d.id_number")
    return [
        ("areas", f"""
            SELECT json_build_object('id', {gid('Region', 'r.code')}, 'name', r.name,
                'classification', lower(r.kind), 'parent_id', {gid('Region', 'r.parent_code')},
                'identifiers', json_build_array(json_build_object('scheme', 'GB/T 2260', 'identifier', r.code)))
            FROM regions r
            WHERE r.code IN ({SUBTREE})
               OR ARRAY[r.code] <@ (SELECT lineage FROM regions WHERE code = CAST(:code AS varchar))
               OR r.code IN (SELECT region_code FROM congresses WHERE id IN ({congresses}))
            ORDER BY r.lineage"""),
        ("persons", f"""
            SELECT json_build_object('id', {gid('Deputy', 'd.id')}, 'name', d.name,
                'other_names', json_build_array(json_build_object('name', d.name_pinyin, 'note', 'pinyin')),
                'gender', lower(d.gender::text),
                'birth_date', coalesce(({personal(caller, "d.birth_date")})::text, d.birth_year::text),
                'national_identity', d.ethnicity, 'party', d.party, 'occupation', d.occupation,
                'is_grassroots', d.is_grassroots, 'area_id', {gid('Region', 'd.locality_code')},
                'identifiers', CASE WHEN {id_number} IS NULL THEN '[]'::json ELSE json_build_array(
                    json_build_object('scheme', 'resident-id', 'identifier', {id_number})) END,
                'contact_details', CASE WHEN {phone} IS NULL THEN '[]'::json ELSE json_build_array(
                    json_build_object('type', 'voice', 'value', {phone})) END,
                'updated_at', d.updated_at)
            FROM deputies d JOIN regions loc ON loc.code = d.locality_code
            WHERE d.id IN ({PEOPLE}) ORDER BY d.id"""),
        ("organizations", f"""
            SELECT json_build_object('id', {gid('Congress', 'c.id')}, 'name', c.name,
                'classification', 'legislature', 'area_id', {gid('Region', 'c.region_code')},
                'level', c.level)
            FROM congresses c WHERE c.id IN ({congresses})
            UNION ALL
            SELECT json_build_object('id', {gid('Committee', 'k.id')}, 'name', k.name,
                'classification', lower(k.kind::text), 'parent_id', {gid('Congress', 'k.congress_id')})
            FROM committees k WHERE k.congress_id IN ({local})
            UNION ALL
            SELECT json_build_object('id', {gid('DeputyGroup', 'g.id')}, 'name', g.name,
                'classification', 'deputy group', 'kind', g.kind, 'description', g.theme,
                'parent_id', {gid('Congress', 'g.congress_id')}, 'area_id', {gid('Region', 'g.region_code')})
            FROM deputy_groups g WHERE g.congress_id IN ({local})
            UNION ALL
            SELECT json_build_object('id', {gid('Station', 's.id')}, 'name', s.name,
                'classification', 'liaison station', 'kind', s.kind, 'area_id', {gid('Region', 's.region_code')},
                'address', s.address, 'star_rating', s.star_rating, 'reception_day', s.reception_day)
            FROM stations s WHERE s.region_code IN ({SUBTREE})"""),
        ("memberships", f"""
            SELECT json_build_object('id', {gid('Mandate', 'm.id')}, 'person_id', {gid('Deputy', 'm.deputy_id')},
                'organization_id', {gid('Congress', 'm.congress_id')}, 'role', 'deputy', 'label', '代表',
                'legislative_period_id', {gid('Term', 'm.term_id')}, 'start_date', m.start_date,
                'end_date', m.end_date, 'status', m.status, 'end_reason', m.end_reason,
                'post', m.electoral_unit, 'delegation', m.delegation, 'by_election', m.by_election,
                'suspended_from', m.suspended_from, 'suspended_until', m.suspended_until)
            FROM mandates m WHERE m.deputy_id IN ({PEOPLE})
            UNION ALL
            SELECT json_build_object('person_id', {gid('Deputy', 'x.deputy_id')},
                'organization_id', {gid('Committee', 'x.committee_id')}, 'role', lower(x.role::text),
                'start_date', x.start_date, 'end_date', x.end_date)
            FROM committee_memberships x JOIN committees k ON k.id = x.committee_id
            WHERE k.congress_id IN ({local})
            UNION ALL
            SELECT json_build_object('person_id', {gid('Deputy', 'x.deputy_id')},
                'organization_id', {gid('DeputyGroup', 'x.group_id')}, 'role', lower(x.role::text),
                'start_date', x.joined_on)
            FROM group_memberships x JOIN deputy_groups g ON g.id = x.group_id
            WHERE g.congress_id IN ({local})
            UNION ALL
            SELECT json_build_object('person_id', {gid('Deputy', 'x.deputy_id')},
                'organization_id', {gid('Station', 'x.station_id')}, 'role', 'stationed deputy',
                'start_date', x.assigned_on)
            FROM station_assignments x JOIN stations s ON s.id = x.station_id
            WHERE s.region_code IN ({SUBTREE})"""),
        ("events", f"""
            SELECT json_build_object('id', {gid('Term', 't.id')}, 'name', '第' || t.number || '届',
                'classification', 'legislative period', 'organization_id', {gid('Congress', 't.congress_id')},
                'start_date', t.start_date, 'end_date', t.end_date)
            FROM terms t WHERE t.congress_id IN ({congresses})
            UNION ALL
            SELECT json_build_object('id', {gid('Meeting', 't.id')}, 'name', t.title,
                'classification', 'meeting', 'organization_id', {gid('Committee', 't.committee_id')},
                'start_date', t.start_date, 'end_date', t.end_date, 'topics', t.topics,
                'attendees', {_list(f'''SELECT json_agg(json_build_object('person_id', {gid('Deputy', 'a.deputy_id')},
                    'level', a.level, 'spoke', a.spoke) ORDER BY a.id) FROM attendances a WHERE a.meeting_id = t.id''')})
            FROM meetings t JOIN committees k ON k.id = t.committee_id WHERE k.congress_id IN ({local})
            UNION ALL
            SELECT json_build_object('id', {gid('Reception', 'r.id')}, 'name', '接待选民',
                'classification', 'reception', 'organization_id', {gid('Station', 'r.station_id')},
                'start_date', r.date, 'visitors', r.visitors,
                'opinions_collected', r.opinions_collected, 'problems_resolved', r.problems_resolved,
                'attendees', {_list(f'''SELECT json_agg(json_build_object('person_id', {gid('Deputy', 'x.deputy_id')})
                    ORDER BY x.deputy_id) FROM reception_deputies x WHERE x.reception_id = r.id''')})
            FROM receptions r JOIN stations s ON s.id = r.station_id
            WHERE s.region_code IN ({SUBTREE})"""),
    ]  # fmt: skip


async def stream_popolo(
    conn: AsyncConnection, code: str, caller: Caller
) -> AsyncGenerator[bytes, None]:
    """{"persons": [...], "organizations": [...], ...}, one object per line."""
    given = params(code, caller)
    yield b"{"
    for i, (section, sql) in enumerate(popolo_sections(caller)):
        yield (',\n"' if i else '"').encode() + section.encode() + b'": ['
        first = True
        rows = rows_of(conn, sql, given)
        async with aclosing(rows):
            async for batch in rows:
                lines = ",\n".join(
                    row[0] if isinstance(row[0], str) else _json(row[0]) for row in batch
                )
                yield (b"\n" if first else b",\n") + lines.encode()
                first = False
        yield b"\n]"
    yield b"}\n"


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()
