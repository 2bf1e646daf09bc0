"""Issue 18: rules stated once.

"Eligible for this committee" and "mandate in force on a date" (db.rules) decide the same
rows for an import and for the mutations, and an export masks exactly the personal fields
that the GraphQL read masks (core.permissions.personal_scope, as SQL by db.rules), for an
editor whose region holds the person and one whose region does not. Real HTTP through the
ASGI app, real PostgreSQL, all on the test's connection (rolled back after it).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from resolvers.ids import encode_id
from tests.conftest import GraphQLClient
from tests.factories import committee_of, congress_of, insert_deputy, insert_mandate, insert_row
from tests.test_import_security import (
    ADD_MEMBERS,
    ATTEND,
    IN_COUNTY,
    IN_PROVINCE,
    OUT_PROVINCE,
    line,
    mutation_refused,
    post_import,
    to_csv,
)
from tests.test_imports import id_number

PREFECTURE = "520100"  # 贵阳市, which holds IN_COUNTY (开阳县)
_order = iter(range(601, 999, 2))


async def other_county(conn: AsyncConnection) -> str:
    """A county of the same prefecture with a congress, outside IN_COUNTY."""
    return (
        await conn.execute(
            text(
                "SELECT r.code FROM regions r JOIN congresses c ON c.region_code = r.code "
                "WHERE r.parent_code = :p AND r.code <> :own ORDER BY r.code LIMIT 1"
            ),
            {"p": PREFECTURE, "own": IN_COUNTY},
        )
    ).scalar_one()


async def deputy(conn: AsyncConnection, name: str, lives: str, born: date) -> tuple[int, str]:
    """A deputy with an ID number and a phone: (id, ID number)."""
    key = await insert_deputy(conn, name, lives, birth_year=born.year, phone="13912345678")
    number = id_number(lives, born.isoformat(), next(_order))
    await conn.execute(
        text("UPDATE deputies SET id_number = :n, birth_date = :b WHERE id = :id"),
        {"n": number, "b": born, "id": key},
    )
    return key, number


async def eligibility_people(conn: AsyncConnection, day: date) -> dict[str, tuple[int, str]]:
    """One deputy per way of being eligible, or not, on `day` for IN_COUNTY's congress."""
    elsewhere = await other_county(conn)
    county = await congress_of(conn, IN_COUNTY)
    people: dict[str, tuple[int, str]] = {}

    async def person(name: str, lives: str, holds: str, **mandate: Any) -> None:
        people[name] = await deputy(conn, name, lives, date(1970, 3, 1 + len(people)))
        await insert_mandate(conn, people[name][0], holds, **mandate)

    await person("在任", IN_COUNTY, IN_COUNTY)
    await person("暂停", IN_COUNTY, IN_COUNTY, status="SUSPENDED", suspended_from=day)
    await person("已终止", IN_COUNTY, IN_COUNTY, status="TERMINATED", end=day - timedelta(days=1))
    await person("未开始", IN_COUNTY, IN_COUNTY, start=day + timedelta(days=1))
    await person("省代表本地", IN_COUNTY, IN_PROVINCE)
    await person("省代表外地", elsewhere, IN_PROVINCE)
    await person("邻县代表", elsewhere, elsewhere)
    assert county["start_date"] < day
    return people


async def decisions(
    http: httpx.AsyncClient,
    client: GraphQLClient,
    settings: Settings,
    connection: AsyncConnection,
    kind: str,
    header: list[str],
    rows: dict[str, list[Any]],
    mutations: dict[str, tuple[str, dict[str, Any]]],
) -> tuple[dict[str, bool], dict[str, bool]]:
    """Per person: refused by the import (a dry run, as admin), and by the mutation."""
    names = list(rows)
    response = await post_import(http, settings, kind, to_csv(header, [rows[n] for n in names]))
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    assert {e["code"] for e in errors} <= {"NOT_ELIGIBLE"}, errors
    refused = {line(e) for e in errors}
    by_import = {name: i + 2 in refused for i, name in enumerate(names)}
    admin = client.as_role("admin")
    by_mutation = {
        name: await mutation_refused(connection, admin, *mutations[name]) for name in names
    }
    return by_import, by_mutation


async def test_imports_refuse_exactly_the_deputies_the_mutations_find_ineligible(
    http: httpx.AsyncClient, client: GraphQLClient, settings: Settings, connection: AsyncConnection
) -> None:
    """Group memberships (a regional group: from above too; a professional one: own
    deputies only) and attendance of a meeting: the import's NOT_ELIGIBLE rows are exactly
    the rows whose mutation is refused, and both rules are not trivial here."""
    conn, today = connection, date.today()
    county = await congress_of(conn, IN_COUNTY)
    meeting_day = today - timedelta(days=1)
    people = await eligibility_people(conn, today)
    meeting = await insert_row(
        conn,
        "meetings",
        committee_id=await committee_of(conn, IN_COUNTY),
        number=951,
        title="第九百五十一次会议",
        start_date=meeting_day,
        end_date=meeting_day,
        topics=[],
    )
    meeting_id = encode_id("Meeting", meeting)
    results = []
    for kind in ("REGIONAL", "PROFESSIONAL"):
        group = await insert_row(
            conn,
            "deputy_groups",
            name=f"{kind}小组",
            kind=kind,
            congress_id=county["id"],
            region_code=IN_COUNTY,
        )
        group_id = encode_id("DeputyGroup", group)
        joins = {
            name: (
                ADD_MEMBERS,
                {
                    "input": {
                        "groupId": group_id,
                        "members": [{"deputyId": encode_id("Deputy", key), "role": "MEMBER"}],
                    }
                },
            )
            for name, (key, _) in people.items()
        }
        rows = {name: [number, group_id, "MEMBER"] for name, (_, number) in people.items()}
        results.append(
            await decisions(
                http,
                client,
                settings,
                conn,
                "group-memberships",
                ["id_number", "group_id", "role"],
                rows,
                joins,
            )
        )
    attends = {
        name: (
            ATTEND,
            {
                "input": {
                    "meetingId": meeting_id,
                    "attendees": [{"deputyId": encode_id("Deputy", key)}],
                }
            },
        )
        for name, (key, _) in people.items()
    }
    rows = {name: [number, meeting_id] for name, (_, number) in people.items()}
    results.append(
        await decisions(
            http, client, settings, conn, "attendance", ["id_number", "meeting_id"], rows, attends
        )
    )
    for by_import, by_mutation in results:
        assert by_import == by_mutation
    regional, professional, attendance = (by_import for by_import, _ in results)
    assert {n for n, refused in regional.items() if not refused} == {"在任", "省代表本地"}
    assert {n for n, refused in professional.items() if not refused} == {"在任"}
    # The meeting was yesterday: the suspension from today and the end yesterday differ.
    assert not attendance["在任"] and attendance["未开始"] and attendance["邻县代表"]


PERSONAL = {"id_number": "idNumber", "birth_date": "birthDate", "phone": "phone"}
READ = "query($id: ID!) { node(id: $id) { ... on Deputy { idNumber birthDate phone } } }"


async def test_exports_mask_exactly_what_the_graphql_read_masks(
    http: httpx.AsyncClient, client: GraphQLClient, settings: Settings, connection: AsyncConnection
) -> None:
    """For a deputy living in the editor's region and one outside it (both in the exported
    region), and for an editor of another province: each personal column of the CSV and of
    Popolo JSON is given exactly when the same caller's GraphQL read gives the field."""
    elsewhere = await other_county(connection)
    inside = await deputy(connection, "域内人", IN_COUNTY, date(1966, 6, 6))
    outside = await deputy(connection, "域外人", elsewhere, date(1967, 7, 7))
    for key, _ in (inside, outside):
        await insert_mandate(connection, key, PREFECTURE)
    seen: set[tuple[str, str, bool]] = set()
    for region in (IN_COUNTY, elsewhere, OUT_PROVINCE, PREFECTURE):
        caller = client.as_role("editor", region)
        headers = {"Authorization": f"Bearer {caller.token}"}
        response = await http.get(f"/exports/{PREFECTURE}/deputies.csv", headers=headers)
        assert response.status_code == 200, response.text
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        popolo = await http.get(f"/exports/{PREFECTURE}/popolo.json", headers=headers)
        persons = {p["id"]: p for p in popolo.json()["persons"]}
        for name, (key, _) in (("域内人", inside), ("域外人", outside)):
            gid = encode_id("Deputy", key)
            read = (await caller.data(READ, {"id": gid}))["node"]
            (row,) = [r for r in rows if r["name"] == name]
            for column, field in PERSONAL.items():
                assert bool(row[column]) == (read[field] is not None), (region, name, column)
                seen.add((region, name, read[field] is not None))
            person = persons[gid]
            assert bool(person["identifiers"]) == (read["idNumber"] is not None)
            assert bool(person["contact_details"]) == (read["phone"] is not None)
            exact = len(person["birth_date"]) > 4  # else the birth year only
            assert exact == (read["birthDate"] is not None), (region, name)
    # Not trivial: each editor sees one, both or neither.
    assert (IN_COUNTY, "域内人", True) in seen and (IN_COUNTY, "域外人", False) in seen
    assert (OUT_PROVINCE, "域内人", False) in seen and (PREFECTURE, "域外人", True) in seen
