"""Bulk export of a region's subtree: CSV in the import layout, and Popolo JSON.

Everything is streamed: PostgreSQL builds each row (the Popolo objects with
json_build_object), a server-side cursor hands them over a thousand at a time, and the
response sends them on, so a national export never sits in memory. All sections are read
in one REPEATABLE READ transaction: one consistent picture of the registry.

Which deputies: those living in the subtree (its 五级代表) and those holding a mandate in a
congress of the subtree, each with all of their mandates, so both ways of counting
(by congress and by locality) come out the same after the file is imported elsewhere.
Personal data (ID number, exact birth date, phone) is in the file only for callers who may
see it, as in queries; a file without ID numbers or birth dates cannot be re-imported.
CSV files name persons, stations, groups and meetings by natural keys, never by database
IDs, so they can be imported into another registry (docs/import-format.md).
The HTTP side (own pool, limits, stalled clients) is service.export_streams.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.routing import Route

from core.context import Caller
from core.settings import Settings
from db.session import RequestDatabase
from service.import_columns import KINDS

if TYPE_CHECKING:
    from service.export_streams import ExportPool

BATCH = 1000
STATEMENT_TIMEOUT = "10min"

SUBTREE = "SELECT code FROM regions WHERE lineage @> ARRAY[CAST(:code AS varchar)]"
PEOPLE = f"""
    SELECT d.id FROM deputies d WHERE d.locality_code IN ({SUBTREE})
    UNION
    SELECT m.deputy_id FROM mandates m JOIN congresses c ON c.id = m.congress_id
    WHERE c.region_code IN ({SUBTREE})"""


def personal(caller: Caller, value: str, lineage: str = "loc.lineage") -> str:
    """A personal column as the caller may see it (core.permissions.can_see_personal):
    admins all, editors inside their region, nobody else."""
    if caller.role == "admin":
        return value
    if caller.role == "editor" and caller.region_code:
        return f"CASE WHEN {lineage} @> ARRAY[CAST(:editor AS varchar)] THEN {value} END"
    return "NULL"


def _person_ref(caller: Caller) -> str:
    return (
        f"{personal(caller, 'd.id_number')} AS id_number, d.name, "
        f"{personal(caller, 'd.birth_date')} AS birth_date, d.locality_code"
    )


def csv_queries(caller: Caller) -> dict[str, str]:
    """Per import kind: the SELECT whose columns are that kind's, in its order."""
    person = _person_ref(caller)
    people = "JOIN deputies d ON d.id = x.deputy_id JOIN regions loc ON loc.code = d.locality_code"
    return {
        "deputies": f"""
            SELECT {personal(caller, "d.id_number")}, d.name, d.gender, {personal(caller, "d.birth_date")},
                   d.birth_year, d.ethnicity, d.party, d.occupation, {personal(caller, "d.phone")},
                   d.is_grassroots, d.locality_code, c.region_code, t.number, x.start_date,
                   x.electoral_unit, x.delegation, x.by_election, x.status, x.end_date, x.end_reason,
                   x.suspended_from, x.suspended_until
            FROM mandates x {people}
            JOIN congresses c ON c.id = x.congress_id JOIN terms t ON t.id = x.term_id
            WHERE x.deputy_id IN ({PEOPLE}) ORDER BY d.id, x.id""",
        "station-assignments": f"""
            SELECT NULL, {person}, NULL, s.region_code, s.name, x.assigned_on
            FROM station_assignments x JOIN stations s ON s.id = x.station_id {people}
            WHERE s.region_code IN ({SUBTREE}) ORDER BY s.id, d.id""",
        "group-memberships": f"""
            SELECT NULL, {person}, NULL, c.region_code, g.name, x.role, x.joined_on
            FROM group_memberships x JOIN deputy_groups g ON g.id = x.group_id
            JOIN congresses c ON c.id = g.congress_id {people}
            WHERE c.region_code IN ({SUBTREE}) ORDER BY g.id, d.id""",
        "attendance": f"""
            SELECT NULL, {person}, NULL, c.region_code, k.name, t.number, x.level, x.spoke
            FROM attendances x JOIN meetings t ON t.id = x.meeting_id
            JOIN committees k ON k.id = t.committee_id JOIN congresses c ON c.id = k.congress_id
            {people}
            WHERE c.region_code IN ({SUBTREE}) ORDER BY t.id, x.id""",
    }


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


async def _rows(
    conn: AsyncConnection, sql: str, params: dict[str, Any]
) -> AsyncIterator[list[Any]]:
    result = await conn.stream(text(sql), params)
    try:
        async for batch in result.partitions(BATCH):
            yield list(batch)
    finally:
        await result.close()


def _params(code: str, caller: Caller) -> dict[str, Any]:
    params: dict[str, Any] = {"code": code}
    if caller.role == "editor":
        params["editor"] = caller.region_code
    return params


async def stream_csv(
    conn: AsyncConnection, kind: str, code: str, caller: Caller
) -> AsyncGenerator[bytes, None]:
    """The kind's CSV (UTF-8 with a BOM, for Excel), header first."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.name for c in KINDS[kind].columns])
    yield ("\ufeff" + out.getvalue()).encode()
    rows = _rows(conn, csv_queries(caller)[kind], _params(code, caller))
    async with aclosing(rows):
        async for batch in rows:
            out.seek(0)
            out.truncate()
            writer.writerows([_cell(v) for v in row] for row in batch)
            yield out.getvalue().encode()


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
    params = _params(code, caller)
    yield b"{"
    for i, (section, sql) in enumerate(popolo_sections(caller)):
        yield (',\n"' if i else '"').encode() + section.encode() + b'": ['
        first = True
        rows = _rows(conn, sql, params)
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


async def begin_snapshot(conn: AsyncConnection) -> None:
    """One consistent picture for every section, and time enough for a national export."""
    if not conn.in_nested_transaction():
        await conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
    await conn.execute(text(f"SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'"))
    await conn.execute(text("SET LOCAL jit = off"))  # many small JSON expressions: JIT only costs


FORMATS = {f"{kind}.csv": ("text/csv; charset=utf-8", kind) for kind in KINDS}
FORMATS["popolo.json"] = ("application/json", "popolo")


def export_routes(
    settings: Settings, database: Callable[[], RequestDatabase], pool: ExportPool | None = None
) -> list[Route]:
    """The /exports/ routes (service.export_streams, which serves these streams)."""
    from service.export_streams import export_routes as routes

    return routes(settings, database, pool)


async def export_to_file(
    settings: Settings, code: str, name: str, path: str, progress: Callable[[int], None]
) -> int:
    """The command line's export, as an admin: the bytes written."""
    from db.engine import create_engine

    kind = FORMATS[name][1]
    caller = Caller(subject="cli", role="admin")
    engine = create_engine(settings)
    written = 0
    try:
        async with engine.connect() as conn, conn.begin():
            await begin_snapshot(conn)
            chunks = (
                stream_popolo(conn, code, caller)
                if kind == "popolo"
                else stream_csv(conn, kind, code, caller)
            )
            with open(path, "wb") as out:
                async for chunk in chunks:
                    out.write(chunk)
                    written += len(chunk)
                    progress(written)
    finally:
        await engine.dispose()
    return written


def cli_export(code: str, name: str, path: str, settings: Settings) -> int:
    """`registry export`: streams to a file with a progress display of what is written."""
    import asyncio

    from rich.console import Console
    from rich.progress import DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if name not in FORMATS:
        console.print(f"[red]no export {name!r}; exports: {', '.join(FORMATS)}[/red]")
        return 2
    with Progress(
        SpinnerColumn(), TextColumn(f"{code} {name}"), DownloadColumn(), TimeElapsedColumn(),
        console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("export", total=None)
        written = asyncio.run(
            export_to_file(settings, code, name, path, lambda n: bar.update(task, completed=n))
        )
    console.print(f"wrote {written:,} bytes to {path}")
    return 0
