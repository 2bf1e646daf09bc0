"""Importing rosters (issue 9): a good file, a file with errors, repeated imports, XLSX,
the link kinds, permissions, and (opt-in) 100,000 rows.

The uploads go through the HTTP routes on the test's own connection, so everything an
import writes is rolled back with the test.
"""

from __future__ import annotations

import csv
import io
import os
import random
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette

from bulk.columns import KINDS
from bulk.values import ID_CHECK, ID_WEIGHTS
from core.settings import Settings
from db.session import RequestDatabase
from service.auth import issue_token
from service.bulk_export import export_routes
from service.imports import import_routes
from tests.conftest import GraphQLClient
from tests.factories import insert_deputy, insert_mandate


def line(error: dict[str, Any]) -> int:
    """The file's line of an import error: its field path is ["line N", column]."""
    assert error["field"][0].startswith("line ")
    return int(error["field"][0].removeprefix("line "))


def column(error: dict[str, Any]) -> str | None:
    return error["field"][1] if len(error["field"]) > 1 else None


KAIYANG, SHUANGLIU, XIUWEN, GUIYANG, GUIZHOU = "520121", "520121101", "520123", "520100", "520000"
HEADER = [
    "id_number", "name", "gender", "birth_date", "ethnicity", "phone", "is_grassroots",
    "locality_code", "congress_code", "term", "start_date", "electoral_unit", "delegation",
    "by_election", "status", "end_date", "end_reason", "suspended_from",
]  # fmt: skip


def id_number(area: str, born: str, order: int) -> str:
    """A valid resident ID number (GB 11643 check digit)."""
    body = f"{area}{born.replace('-', '')}{order:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


A = id_number(KAIYANG, "1988-04-01", 2)
B = id_number(KAIYANG, "1962-07-15", 11)

# Four people, six mandates around 开阳县 (Guizhou: the seed leaves it empty).
GOOD = [
    [A, "甲一", "女", "", "苗族", "13800000001", "是", SHUANGLIU, KAIYANG, "", "", "第一选区", "", "", "", "", "", ""],
    [A, "甲一", "女", "", "", "", "", SHUANGLIU, SHUANGLIU, "", "", "", "", "", "", "", "", ""],
    [B, "乙二", "男", "", "汉族", "", "false", KAIYANG, GUIZHOU, "", "", "", "", "", "", "", "", ""],
    [B, "乙二", "男", "", "", "", "", KAIYANG, "100000", "13", "2018-03-05", "", "贵州代表团", "", "TERMINATED", "2023-03-04", "任期届满", ""],
    ["", "丙三", "男", "1975-05-05", "", "", "", XIUWEN, GUIYANG, "", "2024-06-01", "", "", "true", "", "", "", ""],
    ["", "丁四", "女", "1980-02-02", "", "", "", SHUANGLIU, KAIYANG, "", "", "", "", "", "SUSPENDED", "", "", "2024-01-01"],
]  # fmt: skip


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def to_xlsx(header: list[str], rows: list[list[Any]]) -> bytes:
    """As Excel would keep them: dates as dates, numbers as numbers."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str) and len(value) == 10 and value[4] == "-":
                cells.append(date.fromisoformat(value))
            elif isinstance(value, str) and value.isdigit() and len(value) < 6:
                cells.append(int(value))
            else:
                cells.append(value or None)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
async def files(
    settings: Settings, connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    """The import and export routes on the test's connection."""

    def database() -> RequestDatabase:
        return RequestDatabase(connection=connection)

    app = Starlette(routes=[*import_routes(settings, database), *export_routes(settings, database)])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def auth(settings: Settings, role: str = "admin", region: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, f'test-{role}', role, region)}"}


async def upload(
    files: httpx.AsyncClient,
    settings: Settings,
    kind: str,
    body: bytes,
    dry_run: bool = False,
    role: str = "admin",
    region: str | None = None,
) -> dict[str, Any]:
    response = await files.post(
        f"/imports/{kind}",
        content=body,
        params={"dryRun": "true"} if dry_run else {},
        headers={**auth(settings, role, region), "Content-Type": "text/csv"},
    )
    assert response.status_code in (200, 422), response.text
    return response.json()


async def snapshot(conn: AsyncConnection) -> dict[str, Any]:
    """What an import could change: every row of the written tables, and the audit log."""
    found = {}
    for table in (
        "deputies",
        "mandates",
        "station_assignments",
        "group_memberships",
        "attendances",
    ):
        rows = await conn.execute(
            text(f"SELECT md5(string_agg(t::text, ',' ORDER BY t::text)), count(*) FROM {table} t")
        )
        found[table] = tuple(rows.one())
    found["audit"] = (await conn.execute(text("SELECT count(*) FROM audit_log"))).scalar_one()
    return found


async def test_templates_name_every_column(files: httpx.AsyncClient) -> None:
    for kind, spec in KINDS.items():
        response = await files.get(f"/imports/{kind}/template.csv")
        assert response.status_code == 200
        header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert header == [c.name for c in spec.columns]
        response = await files.get(f"/imports/{kind}/template.xlsx")
        book = load_workbook(io.BytesIO(response.content))
        assert [c.value for c in book.worksheets[0][1]] == header
        assert [r[0] for r in book.worksheets[1].iter_rows(min_row=2, values_only=True)] == header


async def test_good_file(
    files: httpx.AsyncClient, settings: Settings, admin: GraphQLClient, connection: AsyncConnection
) -> None:
    before = await snapshot(connection)
    dry = await upload(files, settings, "deputies", to_csv(HEADER, GOOD), dry_run=True)
    assert dry["errors"] == [] and not dry["written"]
    assert await snapshot(connection) == before  # a dry run writes nothing...
    result = await upload(files, settings, "deputies", to_csv(HEADER, GOOD))
    assert result["written"] and result["rows"] == 6
    # ...and says exactly what the real run writes.
    assert (
        result["counts"]
        == dry["counts"]
        == {
            "deputies.created": 4,
            "deputies.updated": 0,
            "mandates.created": 6,
            "mandates.updated": 0,
            "mandates.unchanged": 0,
        }
    )
    data = await admin.data(
        """{ deputies(filter: {localityCode: "520121", search: "甲一"}) { nodes {
               name gender ethnicity phone idNumber birthDate isGrassroots locality { code }
               mandates { level status startDate electoralUnit } } } }"""
    )
    (person,) = data["deputies"]["nodes"]
    assert person["idNumber"] == A and person["birthDate"] == "1988-04-01"
    assert person["phone"] == "13800000001" and person["isGrassroots"]
    assert person["ethnicity"] == "苗族" and person["locality"]["code"] == SHUANGLIU
    assert [(m["level"], m["status"]) for m in person["mandates"]] == [
        ("COUNTY", "ACTIVE"),
        ("TOWNSHIP", "ACTIVE"),
    ]
    data = await admin.data(
        """{ deputies(filter: {search: "乙二", status: TERMINATED}) { nodes {
               mandates { level status endDate endReason delegation } } } }"""
    )
    mandates = data["deputies"]["nodes"][0]["mandates"]
    assert {"level": "NATIONAL", "status": "TERMINATED", "endDate": "2023-03-04",
            "endReason": "TERM_ENDED", "delegation": "贵州代表团"} in mandates  # fmt: skip
    audit = await connection.execute(
        text("SELECT entity, count(*) FROM audit_log WHERE action = 'import' GROUP BY 1")
    )
    assert dict(audit.all()) == {"Deputy": 4, "Mandate": 6}


async def test_xlsx_file_reads_as_the_csv_does(
    files: httpx.AsyncClient, settings: Settings
) -> None:
    as_csv = await upload(files, settings, "deputies", to_csv(HEADER, GOOD), dry_run=True)
    response = await files.post(
        "/imports/deputies",
        content=to_xlsx(HEADER, GOOD),
        params={"dryRun": "true"},
        headers=auth(settings),
    )
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == as_csv["counts"]
    assert response.json()["errors"] == []


async def test_file_with_errors_writes_nothing_and_reports_every_error(
    files: httpx.AsyncClient, settings: Settings, connection: AsyncConnection
) -> None:
    registered = await insert_deputy(connection, "戊五", KAIYANG)  # born 1975-05-17
    await insert_mandate(connection, registered, KAIYANG)
    holder = await insert_deputy(connection, "己六", KAIYANG, birth_year=1970)
    taken = id_number(KAIYANG, "1970-05-17", 21)
    await connection.execute(
        text("UPDATE deputies SET id_number = :n WHERE id = :id"), {"n": taken, "id": holder}
    )
    C = id_number(KAIYANG, "1990-01-01", 31)
    row = ["", "", "男", "", "", "", "", SHUANGLIU, KAIYANG, "", "", "", "", "", "", "", "", ""]

    def bad(**values: str) -> list[str]:
        cells = list(row)
        for key, value in values.items():
            cells[HEADER.index(key)] = value
        return cells

    rows = [
        bad(name="甲", birth_date="1971-02-30"),  # 2
        bad(name="乙", birth_date="1971-02-03", locality_code="999999"),  # 3
        bad(name="丙", birth_date="1971-02-04", congress_code="520121002"),  # 4 a sub-district
        bad(name="丁", birth_date="1971-02-05", congress_code="888888"),  # 5
        bad(name="戊", birth_date="1971-02-06", term="99"),  # 6
        bad(name="己", birth_date="1971-02-07"),  # 7
        bad(name="己", birth_date="1971-02-07", start_date="2022-01-01"),  # 8 overlaps line 7
        bad(
            name="戊五", birth_date="1975-05-17", locality_code=KAIYANG, start_date="2023-06-01"
        ),  # 9
        bad(id_number=C, name="庚"),  # 10
        bad(id_number=C, name="辛", congress_code=SHUANGLIU),  # 11 line 10's person, renamed
        bad(id_number=taken, name="壬"),  # 12 the ID number of a registered deputy
        bad(name="癸", birth_date="1971-02-08", gender="X"),  # 13
        bad(id_number=C[:-1] + ("0" if C[-1] != "0" else "1"), name="子"),  # 14 check digit
        bad(name="丑", birth_date="1971-02-09", locality_code=XIUWEN),  # 15 outside 开阳县
        bad(name="寅", birth_date="1971-02-10", status="TERMINATED", end_date="2020-01-01"),  # 16
    ]
    before = await snapshot(connection)
    for dry_run in (True, False):
        result = await upload(files, settings, "deputies", to_csv(HEADER, rows), dry_run=dry_run)
        assert not result["written"] and result["counts"] == {}
        found = {(line(e), column(e), e["code"]) for e in result["errors"]}
        assert found == {
            (2, "birth_date", "BAD_DATE"),
            (3, "locality_code", "UNKNOWN_DIVISION"),
            (4, "congress_code", "UNKNOWN_CONGRESS"),
            (5, "congress_code", "UNKNOWN_CONGRESS"),
            (6, "term", "UNKNOWN_TERM"),
            (8, "start_date", "MANDATE_OVERLAP"),
            (9, "start_date", "MANDATE_OVERLAP"),
            (11, "name", "DUPLICATE_PERSON"),
            (12, "id_number", "DUPLICATE_PERSON"),
            (13, "gender", "INVALID_VALUE"),
            (14, "id_number", "INVALID_VALUE"),
            (15, "congress_code", "LOCALITY_OUTSIDE_REGION"),
            (16, "end_date", "BAD_DATE"),
        }
        assert all(e["message"] for e in result["errors"])
        # The mutations' userError shape: a field path (the cell), a message and a code.
        assert all(set(e) == {"field", "message", "code"} for e in result["errors"])
        assert ["line 3", "locality_code"] in [e["field"] for e in result["errors"]]
    assert await snapshot(connection) == before


async def test_bad_header(files: httpx.AsyncClient, settings: Settings) -> None:
    body = to_csv(["name", "gender", "colour", "congress_code"], [["甲", "男", "红", KAIYANG]])
    result = await upload(files, settings, "deputies", body)
    assert {(line(e), column(e), e["code"]) for e in result["errors"]} == {
        (1, "colour", "UNKNOWN_COLUMN"),
        (1, "locality_code", "MISSING_COLUMN"),
    }


async def test_repeated_import_changes_nothing(
    files: httpx.AsyncClient, settings: Settings, connection: AsyncConnection
) -> None:
    await upload(files, settings, "deputies", to_csv(HEADER, GOOD))
    before = await snapshot(connection)
    again = await upload(files, settings, "deputies", to_csv(HEADER, GOOD))
    assert again["written"] and again["errors"] == []
    assert again["counts"] == {
        "deputies.created": 0,
        "deputies.updated": 0,
        "mandates.created": 0,
        "mandates.updated": 0,
        "mandates.unchanged": 6,
    }
    assert await snapshot(connection) == before  # not a row, stamp or audit entry more


async def test_a_changed_roster_updates_what_differs(
    files: httpx.AsyncClient, settings: Settings, connection: AsyncConnection
) -> None:
    await upload(files, settings, "deputies", to_csv(HEADER, GOOD))
    changed = [list(r) for r in GOOD]
    changed[0][HEADER.index("phone")] = "13900000009"
    ended = changed[5]
    ended[HEADER.index("status")], ended[HEADER.index("end_date")] = "TERMINATED", "2024-05-01"
    ended[HEADER.index("end_reason")] = "RESIGNED"
    result = await upload(files, settings, "deputies", to_csv(HEADER, changed))
    assert result["counts"] == {
        "deputies.created": 0,
        "deputies.updated": 1,
        "mandates.created": 0,
        "mandates.updated": 1,
        "mandates.unchanged": 5,
    }
    entry = await connection.execute(
        text(
            "SELECT before->>'status', after->>'status', after->>'end_reason' FROM audit_log "
            "WHERE action = 'import' AND entity = 'Mandate' AND before IS NOT NULL"
        )
    )
    assert entry.all() == [("SUSPENDED", "TERMINATED", "RESIGNED")]
    # An ended mandate is history: a roster cannot reopen it.
    result = await upload(files, settings, "deputies", to_csv(HEADER, GOOD))
    assert [(line(e), e["code"]) for e in result["errors"]] == [(7, "MANDATE_ENDED")]


async def test_upload_needs_a_writer_in_the_region(
    files: httpx.AsyncClient, settings: Settings
) -> None:
    body = to_csv(HEADER, GOOD)
    response = await files.post("/imports/deputies", content=body)
    assert response.status_code == 401
    response = await files.post("/imports/deputies", content=body, headers=auth(settings, "viewer"))
    assert response.status_code == 403
    response = await files.post(
        "/imports/deputies", content=body, headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401
    result = await upload(files, settings, "deputies", body, role="editor", region=KAIYANG)
    assert {(line(e), e["code"]) for e in result["errors"]} == {
        (4, "FORBIDDEN_REGION"),  # the provincial congress lies above 开阳县
        (5, "FORBIDDEN_REGION"),
        (6, "FORBIDDEN_REGION"),  # 贵阳市
    }


async def test_link_errors(
    files: httpx.AsyncClient, settings: Settings, connection: AsyncConnection
) -> None:
    await upload(files, settings, "deputies", to_csv(HEADER, GOOD))
    station = await connection.execute(
        text(
            "INSERT INTO stations (name, kind, region_code) VALUES ('双流镇联络站', 'STATION', :r) "
            "RETURNING id"
        ),
        {"r": SHUANGLIU},
    )
    assert station.scalar_one()
    header = [
        "id_number",
        "name",
        "birth_date",
        "locality_code",
        "station_region_code",
        "station_name",
    ]
    rows = [
        [A, "", "", "", SHUANGLIU, "双流镇联络站"],  # 2 fine
        [id_number(KAIYANG, "1999-09-09", 1), "", "", "", SHUANGLIU, "双流镇联络站"],  # 3 nobody
        [A, "", "", "", SHUANGLIU, "没有这个站"],  # 4 no such station
        ["", "丙三", "1975-05-05", XIUWEN, SHUANGLIU, "双流镇联络站"],  # 5 lives in 修文县
        [A, "", "", "", SHUANGLIU, "双流镇联络站"],  # 6 line 2 again
    ]
    result = await upload(files, settings, "station-assignments", to_csv(header, rows))
    assert {(line(e), column(e), e["code"]) for e in result["errors"]} == {
        (3, "id_number", "NOT_FOUND"),
        (4, "station_id", "NOT_FOUND"),
        (5, "station_id", "LOCALITY_OUTSIDE_REGION"),
        (6, "station_id", "DUPLICATE_ROW"),
    }


def roster(count: int, towns: list[tuple[str, str]], seed: int = 9) -> bytes:
    """`count` deputies rows: people with a township mandate, four in ten also a county one."""
    rng = random.Random(seed)
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华",
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id_number", "name", "gender", "phone", "locality_code", "congress_code", "electoral_unit"]
    )
    seen: set[str] = set()
    rows = 0
    while rows < count:
        town, county = towns[rng.randrange(len(towns))]
        born = (date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))).isoformat()
        female = rng.random() < 0.3
        number = id_number(county, born, rng.randrange(500) * 2 + (0 if female else 1))
        if number in seen:
            continue
        seen.add(number)
        name = rng.choice(surnames) + rng.choice(given) + rng.choice(given)
        person = [number, name, "女" if female else "男", f"138{rng.randrange(10**8):08d}", town]
        writer.writerow([*person, town, f"第{rng.randrange(1, 30)}选区"])
        rows += 1
        if rng.random() < 0.4 and rows < count:
            writer.writerow([*person, county, f"第{rng.randrange(1, 30)}选区"])
            rows += 1
    return out.getvalue().encode()


@pytest.mark.skipif(
    not os.environ.get("REGISTRY_IMPORT_BENCH"),
    reason="set REGISTRY_IMPORT_BENCH=100000 to time it",
)
async def test_large_import(
    files: httpx.AsyncClient, settings: Settings, connection: AsyncConnection
) -> None:
    count = int(os.environ["REGISTRY_IMPORT_BENCH"])
    towns = (
        await connection.execute(
            text(
                "SELECT r.code, r.parent_code FROM regions r JOIN congresses c ON c.region_code = r.code "
                "WHERE r.level = 'TOWNSHIP' AND r.lineage @> ARRAY['520000'::varchar] ORDER BY r.code"
            )
        )
    ).all()
    body = roster(count, [tuple(t) for t in towns])
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        result = await upload(files, settings, "deputies", body)
        timings.append(time.perf_counter() - started)
        assert result["errors"] == []
    print(f"\n{count:,} rows: first import {timings[0]:.1f} s, repeated {timings[1]:.1f} s")
    assert result["counts"]["mandates.unchanged"] == count
