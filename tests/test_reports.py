"""Reports on hand-built data with known answers, in a province the seed leaves empty (Guizhou)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.ids import encode_id
from tests.conftest import GraphQLClient
from tests.factories import committee_of, congress_of, insert_deputy, insert_mandate, insert_row

KAIYANG, SHUANGLIU, XIUWEN, GUIYANG = "520121", "520121101", "520123", "520100"
LEVELS = ["NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP"]

COMPOSITION = """
query($code: String!, $scope: RegionScope, $asOf: Date) {
  reports { composition(regionCode: $code, scope: $scope, asOf: $asOf) {
    level deputies female grassroots minority under40 } } }
"""


def by_level(rows: list[dict[str, Any]], field: str) -> list[int]:
    assert [r["level"] for r in rows] == LEVELS
    return [r[field] for r in rows]


@pytest.fixture
async def scenario(connection: AsyncConnection) -> dict[str, int]:
    """Deputies of every level around 开阳县 (520121), with stations, meetings and contacts."""
    c = connection
    ids: dict[str, int] = {}
    ids["A"] = await insert_deputy(c, "国代甲", SHUANGLIU, gender="FEMALE", birth_year=1990)
    await c.execute(text("UPDATE deputies SET ethnicity = '苗族' WHERE id = :id"), {"id": ids["A"]})
    await insert_mandate(c, ids["A"], "100000")
    ids["B"] = await insert_deputy(c, "省代乙", KAIYANG, birth_year=1960, grassroots=True)
    await insert_mandate(c, ids["B"], "520000")
    ids["C"] = await insert_deputy(
        c, "县乡丙", SHUANGLIU, gender="FEMALE", birth_year=1988, grassroots=True
    )
    await insert_mandate(c, ids["C"], KAIYANG)
    await insert_mandate(c, ids["C"], SHUANGLIU)
    ids["D"] = await insert_deputy(c, "县代丁", "520121001")
    await insert_mandate(c, ids["D"], KAIYANG, end=date(2023, 6, 30), status="TERMINATED")
    ids["E"] = await insert_deputy(c, "县代戊", "520121001")
    await insert_mandate(c, ids["E"], KAIYANG, status="SUSPENDED", suspended_from=date(2024, 1, 1))
    ids["F"] = await insert_deputy(c, "乡代己", SHUANGLIU)
    await insert_mandate(c, ids["F"], SHUANGLIU)
    ids["G"] = await insert_deputy(c, "市代庚", XIUWEN)
    await insert_mandate(c, ids["G"], GUIYANG)
    ids["H"] = await insert_deputy(c, "常委辛", KAIYANG)
    await insert_mandate(c, ids["H"], KAIYANG)

    station = await insert_row(
        c, "stations", name="双流镇联络站", kind="STATION", region_code=SHUANGLIU
    )
    other = await insert_row(c, "stations", name="修文县代表之家", kind="HOME", region_code=XIUWEN)
    for deputy in ("A", "C"):
        await c.execute(
            text("INSERT INTO station_assignments VALUES (:s, :d, '2024-01-01')"),
            {"s": station, "d": ids[deputy]},
        )
    receptions = [
        (station, date(2024, 3, 15), 10, 4, 2, ["A", "C"]),
        (station, date(2024, 8, 1), 5, 1, 1, ["C"]),
        (station, date(2023, 12, 31), 100, 50, 20, ["A"]),
        (other, date(2024, 5, 5), 7, 3, 0, ["G"]),
    ]
    for station_id, day, visitors, opinions, solved, present in receptions:
        reception = await insert_row(
            c,
            "receptions",
            station_id=station_id,
            date=day,
            visitors=visitors,
            opinions_collected=opinions,
            problems_resolved=solved,
        )
        for deputy in present:
            await c.execute(
                text("INSERT INTO reception_deputies VALUES (:r, :d)"),
                {"r": reception, "d": ids[deputy]},
            )

    committee = await committee_of(c, KAIYANG)
    ids["committee"] = committee
    ids["congress"] = (await congress_of(c, KAIYANG))["id"]
    await insert_row(
        c,
        "committee_memberships",
        committee_id=committee,
        deputy_id=ids["H"],
        role="MEMBER",
        start_date=date(2022, 1, 1),
    )
    meetings = [
        (901, date(2024, 4, 10), ["A", "B"]),
        (902, date(2024, 9, 10), ["A"]),
        (900, date(2023, 11, 1), ["B"]),
    ]
    for number, day, present in meetings:
        meeting = await insert_row(
            c,
            "meetings",
            committee_id=committee,
            number=number,
            title="会议",
            start_date=day,
            end_date=day,
        )
        for deputy in present:
            mandate = (
                await c.execute(
                    text("SELECT id, level FROM mandates WHERE deputy_id = :d"), {"d": ids[deputy]}
                )
            ).one()
            await insert_row(
                c,
                "attendances",
                meeting_id=meeting,
                deputy_id=ids[deputy],
                mandate_id=mandate.id,
                level=mandate.level,
                spoke=False,
            )
    await insert_row(
        c,
        "contact_assignments",
        contactor_id=ids["H"],
        committee_id=committee,
        deputy_id=ids["C"],
        start_date=date(2024, 1, 1),
    )
    return ids


async def test_composition_by_congresses(client: GraphQLClient, scenario: dict) -> None:
    rows = (await client.data(COMPOSITION, {"code": KAIYANG}))["reports"]["composition"]
    # County: 丙 and 辛 (丁 ended, 戊 suspended); township: 丙 and 己. Higher levels are not
    # congresses of the county, so 甲 and 乙 do not count here.
    assert by_level(rows, "deputies") == [0, 0, 0, 2, 2]
    assert by_level(rows, "female") == [0, 0, 0, 1, 1]
    assert by_level(rows, "grassroots") == [0, 0, 0, 1, 1]
    assert by_level(rows, "minority") == [0, 0, 0, 0, 0]
    assert by_level(rows, "under40") == [0, 0, 0, 1, 1]


async def test_composition_by_locality_counts_every_level(
    client: GraphQLClient, scenario: dict
) -> None:
    rows = (await client.data(COMPOSITION, {"code": KAIYANG, "scope": "LOCALITY"}))["reports"][
        "composition"
    ]
    assert by_level(rows, "deputies") == [1, 1, 0, 2, 2]
    assert by_level(rows, "female") == [1, 0, 0, 1, 1]
    assert by_level(rows, "minority") == [1, 0, 0, 0, 0]
    assert by_level(rows, "under40") == [1, 0, 0, 1, 1]


async def test_composition_as_of_a_past_date(client: GraphQLClient, scenario: dict) -> None:
    rows = (await client.data(COMPOSITION, {"code": KAIYANG, "asOf": "2023-01-01"}))["reports"][
        "composition"
    ]
    # Then 丁 had not resigned and 戊 was not suspended.
    assert by_level(rows, "deputies") == [0, 0, 0, 4, 2]


async def test_region_without_congress_or_data_gives_zeros(client: GraphQLClient) -> None:
    for code in ("520121001", "810000"):
        rows = (await client.data(COMPOSITION, {"code": code, "scope": "LOCALITY"}))["reports"][
            "composition"
        ]
        assert by_level(rows, "deputies") == [0, 0, 0, 0, 0]


async def test_composition_by_child(
    client: GraphQLClient, connection: AsyncConnection, scenario: dict
) -> None:
    q = """query { reports { compositionByChild(regionCode: "520100", scope: LOCALITY) {
        region { code } levels { level deputies } } } }"""
    rows = (await client.data(q))["reports"]["compositionByChild"]
    children = await connection.scalar(
        text("SELECT count(*) FROM regions WHERE parent_code = '520100'")
    )
    assert len(rows) == children
    found = {r["region"]["code"]: by_level(r["levels"], "deputies") for r in rows}
    assert found[KAIYANG] == [1, 1, 0, 2, 2]
    assert found[XIUWEN] == [0, 0, 1, 0, 0]
    assert all(v == [0] * 5 for k, v in found.items() if k not in (KAIYANG, XIUWEN))


async def test_station_coverage(client: GraphQLClient, scenario: dict) -> None:
    q = '{ reports { stationCoverage(regionCode: "520121") { level deputies inStation } } }'
    rows = (await client.data(q))["reports"]["stationCoverage"]
    assert by_level(rows, "deputies") == [1, 1, 0, 2, 2]
    assert by_level(rows, "inStation") == [1, 0, 0, 1, 1]


async def test_station_activity(client: GraphQLClient, scenario: dict) -> None:
    q = """{ reports {
      whole: stationActivity(regionCode: "520121", from: "2024-01-01", to: "2024-12-31") {
        receptions deputyVisits visitors opinionsCollected problemsResolved }
      city: stationActivityByChild(regionCode: "520100", from: "2024-01-01", to: "2024-12-31") {
        region { code } activity { receptions deputyVisits visitors } } } }"""
    data = (await client.data(q))["reports"]
    assert data["whole"] == {
        "receptions": 2,
        "deputyVisits": 3,
        "visitors": 15,
        "opinionsCollected": 5,
        "problemsResolved": 3,
    }
    city = {r["region"]["code"]: r["activity"] for r in data["city"]}
    assert city[KAIYANG] == {"receptions": 2, "deputyVisits": 3, "visitors": 15}
    assert city[XIUWEN] == {"receptions": 1, "deputyVisits": 1, "visitors": 7}


async def test_attendance_report(client: GraphQLClient, scenario: dict) -> None:
    q = """query($id: ID!, $year: Int!) { reports { attendance(committeeId: $id, year: $year) {
        meetings personTimes deputies byLevel { level count } } } }"""
    committee = encode_id("Committee", scenario["committee"])
    report = (await client.data(q, {"id": committee, "year": 2024}))["reports"]["attendance"]
    assert (report["meetings"], report["personTimes"], report["deputies"]) == (2, 3, 2)
    assert by_level(report["byLevel"], "count") == [2, 1, 0, 0, 0]
    empty = (await client.data(q, {"id": committee, "year": 2019}))["reports"]["attendance"]
    assert (empty["meetings"], empty["personTimes"], by_level(empty["byLevel"], "count")) == (
        0,
        0,
        [0] * 5,
    )


async def test_contact_coverage(client: GraphQLClient, scenario: dict) -> None:
    q = """query($id: ID!) { reports { contactCoverage(congressId: $id) {
        deputies covered ratio uncovered { totalCount nodes { name } } } } }"""
    report = (await client.data(q, {"id": encode_id("Congress", scenario["congress"])}))["reports"]
    coverage = report["contactCoverage"]
    assert (coverage["deputies"], coverage["covered"], coverage["ratio"]) == (2, 1, 0.5)
    assert coverage["uncovered"] == {"totalCount": 1, "nodes": [{"name": "常委辛"}]}


async def test_seeded_composition_matches_a_second_formulation(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    """On the seed, CONGRESSES and LOCALITY figures against SQL written another way."""
    for scope, join in (
        (
            "CONGRESSES",
            "JOIN congresses c ON c.id = m.congress_id JOIN regions r ON r.code = c.region_code",
        ),
        ("LOCALITY", "JOIN regions r ON r.code = d.locality_code"),
    ):
        expected = dict(
            (
                await connection.execute(
                    text(
                        f"SELECT m.level::text, count(DISTINCT d.id) FROM mandates m "
                        f"JOIN deputies d ON d.id = m.deputy_id {join} "
                        "WHERE m.status = 'ACTIVE' AND '220400' = ANY(r.lineage) GROUP BY 1"
                    )
                )
            ).all()
        )
        rows = (await client.data(COMPOSITION, {"code": "220400", "scope": scope}))["reports"][
            "composition"
        ]
        assert {r["level"]: r["deputies"] for r in rows} == {
            lv: expected.get(lv, 0) for lv in LEVELS
        }
        assert sum(r["deputies"] for r in rows) > 0


async def test_csv_export_has_the_same_figures(
    http: Any, client: GraphQLClient, scenario: dict
) -> None:
    response = await http.get(
        "/reports/composition.csv", params={"regionCode": KAIYANG, "scope": "LOCALITY"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "level,deputies,female,grassroots,minority,under40"
    rows = (await client.data(COMPOSITION, {"code": KAIYANG, "scope": "LOCALITY"}))["reports"][
        "composition"
    ]
    assert lines[1:] == [
        ",".join(
            str(r[k]) for k in ("level", "deputies", "female", "grassroots", "minority", "under40")
        )
        for r in rows
    ]
    by_child = await http.get(
        "/reports/station-activity-by-child.csv",
        params={"regionCode": GUIYANG, "from": "2024-01-01", "to": "2024-12-31"},
    )
    assert "520121,开阳县,2,3,15,5,3" in by_child.content.decode("utf-8-sig").splitlines()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/reports/composition.csv", {}),
        ("/reports/composition.csv", {"regionCode": "999999"}),
        (
            "/reports/station-activity.csv",
            {"regionCode": KAIYANG, "from": "yesterday", "to": "2024-01-01"},
        ),
        ("/reports/attendance.csv", {"committeeId": "nope", "year": "2024"}),
    ],
)
async def test_csv_export_bad_arguments_are_400(http: Any, path: str, params: dict) -> None:
    response = await http.get(path, params=params)
    assert response.status_code == 400 and response.text
