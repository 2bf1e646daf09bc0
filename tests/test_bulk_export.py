"""Bulk export of a region's subtree (issue 9): CSV in the import layout, Popolo JSON, streamed,
personal data by role, and the round trip into an empty database with the same figures."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bulk import stream, subtree
from bulk.columns import KINDS
from bulk.importer import Importer, run_import
from core.context import Caller
from core.settings import Settings
from db.engine import create_engine
from db.migrate import migrate
from db.session import RequestDatabase
from resolvers import reports
from resolvers.ids import encode_id
from tests.conftest import GraphQLClient, _with_database
from tests.test_imports import auth, files, upload  # noqa: F401  (files: the fixture)

REGION = "220400"  # 辽源市: a prefecture the small seed fills completely
PERSONAL = ("id_number", "birth_date", "phone")


def read_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


async def exported_people(conn: AsyncConnection, code: str = REGION) -> set[int]:
    rows = await conn.execute(text(subtree.PEOPLE), {"code": code})
    return {r[0] for r in rows}


async def test_csv_is_the_import_layout_and_is_streamed(
    files: httpx.AsyncClient,  # noqa: F811
    settings: Settings,
    connection: AsyncConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    response = await files.get(f"/exports/{REGION}/deputies.csv", headers=auth(settings))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    # The response is produced as it is read, a batch at a time (httpx's ASGI transport
    # collects the body, so the chunks are counted at the source).
    monkeypatch.setattr(stream, "BATCH", 100)
    admin_caller = Caller(subject="test", role="admin")
    chunks = [c async for c in stream.stream_csv(connection, "deputies", REGION, admin_caller)]
    assert len(chunks) > 5
    assert b"".join(chunks) == response.content
    rows = read_csv(b"".join(chunks))
    assert list(rows[0]) == [c.name for c in KINDS["deputies"].columns]
    people = await exported_people(connection)
    mandates = await connection.execute(
        text("SELECT count(*) FROM mandates WHERE deputy_id = ANY(:ids)"), {"ids": list(people)}
    )
    assert len(rows) == mandates.scalar_one()
    assert len({r["id_number"] for r in rows}) == len(people)
    assert {r["status"] for r in rows} >= {"ACTIVE", "TERMINATED"}
    ended = [r for r in rows if r["status"] == "TERMINATED"]
    assert all(r["end_date"] for r in ended)


@pytest.mark.parametrize(
    ("role", "region", "shown"),
    [(None, None, False), ("viewer", None, False), ("editor", "420500", False),
     ("editor", REGION, True), ("admin", None, True)],
)  # fmt: skip
async def test_personal_data_follows_the_role(
    files: httpx.AsyncClient,  # noqa: F811
    settings: Settings,
    role: str | None,
    region: str | None,
    shown: bool,
) -> None:
    headers = auth(settings, role, region) if role else {}
    rows = read_csv((await files.get(f"/exports/{REGION}/deputies.csv", headers=headers)).content)
    local = [r for r in rows if r["locality_code"].startswith(REGION[:4])]
    assert local
    for column in PERSONAL:
        assert all(bool(r[column]) == shown for r in local), column
    assert all(r["name"] and r["birth_year"] for r in rows)  # public fields for everyone
    body = (await files.get(f"/exports/{REGION}/popolo.json", headers=headers)).json()
    people = [p for p in body["persons"] if p["area_id"]]
    assert any(bool(p["identifiers"]) for p in people) == shown
    assert any(bool(p["contact_details"]) for p in people) == shown


async def test_popolo_json_hangs_together(
    files: httpx.AsyncClient,  # noqa: F811
    settings: Settings,
    connection: AsyncConnection,
    admin: GraphQLClient,
) -> None:
    response = await files.get(f"/exports/{REGION}/popolo.json", headers=auth(settings))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["areas", "persons", "organizations", "memberships", "events"]
    ids = {section: {item["id"] for item in body[section] if "id" in item} for section in body}
    people = await exported_people(connection)
    assert ids["persons"] == {encode_id("Deputy", i) for i in people}
    assert all(p["area_id"] in ids["areas"] for p in body["persons"])
    assert all(o.get("area_id") in ids["areas"] | {None} for o in body["organizations"])
    for m in body["memberships"]:
        assert m["person_id"] in ids["persons"] and m["organization_id"] in ids["organizations"]
    periods = {e["id"] for e in body["events"] if e["classification"] == "legislative period"}
    assert all(
        m["legislative_period_id"] in periods for m in body["memberships"] if m["role"] == "deputy"
    )
    kinds = {e["classification"] for e in body["events"]}
    assert kinds == {"legislative period", "meeting", "reception"}
    for event in body["events"]:
        assert event["organization_id"] in ids["organizations"]
        assert all(a["person_id"] in ids["persons"] for a in event.get("attendees", []))
    assert sum(
        len(e.get("attendees", [])) for e in body["events"] if e["classification"] == "meeting"
    )
    # The IDs are the API's: a person fetched by its Popolo id is the same person.
    person = body["persons"][0]
    data = await admin.data(
        "query($id: ID!) { node(id: $id) { ... on Deputy { name } } }", {"id": person["id"]}
    )
    assert data["node"]["name"] == person["name"]


async def test_unknown_region_and_bad_token(files: httpx.AsyncClient) -> None:  # noqa: F811
    assert (await files.get("/exports/999999/deputies.csv")).status_code == 404
    assert (await files.get(f"/exports/{REGION}/nothing.csv")).status_code == 404
    response = await files.get(
        f"/exports/{REGION}/deputies.csv", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 401


@pytest.fixture
async def empty_database(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A new database with the schema and reference data (divisions, congresses) only."""
    name = f"registry_empty_{uuid.uuid4().hex[:8]}"
    server = create_engine(Settings(), _with_database(database_url, "postgres"))
    async with server.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(Settings(), _with_database(database_url, name))
    try:
        await migrate(engine)
        yield engine
    finally:
        await engine.dispose()
        async with server.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


async def figures(db: RequestDatabase) -> dict[str, Any]:
    """The composition report both ways of counting, for the region and by child, today and
    on a past day (terminated and suspended mandates count then)."""
    found: dict[str, Any] = {}
    for scope in ("CONGRESSES", "LOCALITY"):
        for as_of in (None, date(2023, 6, 30)):
            for by_child in (False, True):
                result = await reports.composition(db, REGION, scope, as_of, by_child=by_child)
                found[f"{scope}/{as_of}/{by_child}"] = result
    return found


async def test_export_round_trip_into_an_empty_database(
    files: httpx.AsyncClient,  # noqa: F811
    settings: Settings,
    connection: AsyncConnection,
    empty_database: AsyncEngine,
) -> None:
    exported = await files.get(f"/exports/{REGION}/deputies.csv", headers=auth(settings))
    body = exported.content
    importer = Importer("test-round-trip", "admin")
    outcome = await run_import(
        empty_database.begin, "deputies", body, "csv", importer, dry_run=False
    )
    assert outcome.errors == []
    assert outcome.counts["deputies.created"] == len(await exported_people(connection))
    source = await figures(RequestDatabase(connection=connection))
    target_db = RequestDatabase(engine=empty_database)
    try:
        target = await figures(target_db)
    finally:
        await target_db.close()
    assert target == source
    assert any(c.deputies for c in source["CONGRESSES/None/False"][REGION])
    # Imported again into the copy: nothing changes.
    again = await run_import(empty_database.begin, "deputies", body, "csv", importer, dry_run=False)
    assert again.counts["mandates.unchanged"] == outcome.rows
    assert again.counts["deputies.updated"] == again.counts["mandates.updated"] == 0
    # And the copy exports the same file, row for row.
    async with empty_database.connect() as conn, conn.begin():
        admin_caller = Caller(subject="test", role="admin")
        copy = b"".join(
            [c async for c in stream.stream_csv(conn, "deputies", REGION, admin_caller)]
        )
    key = ("id_number", "congress_code", "term", "start_date")
    assert sorted(read_csv(copy), key=lambda r: [r[k] for k in key]) == sorted(
        read_csv(body), key=lambda r: [r[k] for k in key]
    )


@pytest.mark.parametrize(
    ("kind", "table", "key"),
    [
        ("station-assignments", "station_assignments", "station_id"),
        ("group-memberships", "group_memberships", "group_id"),
        ("attendance", "attendances", "meeting_id"),
    ],
)
async def test_links_round_trip_in_place(
    files: httpx.AsyncClient,  # noqa: F811
    settings: Settings,
    connection: AsyncConnection,
    kind: str,
    table: str,
    key: str,
) -> None:
    """Export a region's links, lose three, import the export: exactly those come back."""
    exported = await files.get(f"/exports/220400/{kind}.csv", headers=auth(settings))
    assert exported.status_code == 200
    body = exported.content
    lines = body.decode("utf-8-sig").splitlines()
    assert len(lines) > 10
    first = await connection.execute(text(f"SELECT count(*) FROM {table}"))
    total = first.scalar_one()
    # Three links of the region go missing, then the export brings them back.
    lost = await connection.execute(
        text(
            f"""DELETE FROM {table} WHERE ctid IN (
                SELECT x.ctid FROM {table} x JOIN deputies d ON d.id = x.deputy_id
                WHERE d.locality_code IN (SELECT code FROM regions WHERE lineage @> ARRAY['220400'::varchar])
                ORDER BY x.{key} DESC, x.deputy_id LIMIT 3)"""
        )
    )
    assert lost.rowcount == 3
    result = await upload(files, settings, kind, body)
    assert result["errors"] == []
    created = next(v for k, v in result["counts"].items() if k.endswith(".created"))
    assert created == 3
    assert result["counts"]["links.unchanged"] == len(lines) - 1 - 3
    assert (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == total
    again = await upload(files, settings, kind, body)
    assert all(v == 0 for k, v in again["counts"].items() if k != "links.unchanged")


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/exports/%00/popolo.json", 400, "INVALID_REGION_CODE"),
        ("/exports/220400%00/deputies.csv", 400, "INVALID_REGION_CODE"),
        ("/exports/22%000400/attendance.csv", 400, "INVALID_REGION_CODE"),
        ("/exports/2204/popolo.json", 400, "INVALID_REGION_CODE"),
        ("/exports/２２０４００/popolo.json", 400, "INVALID_REGION_CODE"),  # fullwidth digits
        ("/exports/220400'%20OR%201=1/deputies.csv", 400, "INVALID_REGION_CODE"),
        (f"/exports/{'9' * 5000}/popolo.json", 400, "INVALID_REGION_CODE"),
        ("/exports/999999/popolo.json", 404, "NOT_FOUND"),
        ("/exports/220400/popolo.json%00", 404, "UNKNOWN_EXPORT"),
        ("/exports/220400/nothing.csv", 404, "UNKNOWN_EXPORT"),
        ("/exports/220400/popolo.json/more", 404, "UNKNOWN_EXPORT"),
        ("/exports/%00", 404, "UNKNOWN_EXPORT"),
    ],
)
async def test_bad_export_paths_get_a_coded_json_answer(
    http: httpx.AsyncClient, path: str, status: int, code: str
) -> None:
    """Issue 17, point 9: a NUL byte or any other junk in an /exports/ path is a 400 (an
    unknown region or file a 404) with a JSON body and a stable code, never a plain 500;
    through the whole app, middleware included."""
    response = await http.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["error"]


async def test_bad_tokens_on_exports_get_a_code(http: httpx.AsyncClient) -> None:
    """Issue 17, point 9: a refused token on /exports/ is a 401 with a JSON body and a code."""
    response = await http.get(
        f"/exports/{REGION}/deputies.csv", headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"


async def test_head_of_an_export_reads_no_rows(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17, point 4: HEAD of an export answers its headers without streaming the file
    (a HEAD costs no export's worth of reading)."""
    from service import export_streams

    streamed: list[str] = []
    original = export_streams.stream_csv

    def counted(conn: AsyncConnection, kind: str, code: str, caller: Caller) -> Any:
        streamed.append(kind)
        return original(conn, kind, code, caller)

    monkeypatch.setattr(export_streams, "stream_csv", counted)
    response = await http.head(f"/exports/{REGION}/deputies.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content == b""
    assert streamed == []
    assert (await http.get(f"/exports/{REGION}/deputies.csv")).text.startswith("\ufeffid_number")
    assert streamed == ["deputies"]
