"""The division tree and the congresses the law puts in it, checked against the source table."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from seed.reference import read_divisions
from tests.conftest import GraphQLClient

LIAOYUAN = """
{ region(code: "220400") {
    name level parent { name }
    children { totalCount nodes { code level } }
    ancestors { code }
    congress { name level currentTerm { number } standingCommittee { name kind } }
} }
"""

TOWNSHIP_AND_SUBDISTRICT = """
{ town: region(code: "220402100") { name level congress { name level standingCommittee { name } } }
  subdistrict: region(code: "220402001") { name level congress { name } } }
"""


async def test_region_counts_per_level_match_the_sources(connection: AsyncConnection) -> None:
    source = Counter(row["level"] for row in read_divisions())
    # Official counts: 34 province-level units (with Hong Kong, Macao, Taiwan), 333
    # prefecture-level, 2,846 county-level; 41,352 township-level rows in the 2023 table.
    assert source == {
        "NATIONAL": 1,
        "PROVINCIAL": 34,
        "PREFECTURAL": 333,
        "COUNTY": 2846,
        "TOWNSHIP": 41352,
    }
    rows = await connection.execute(text("SELECT level::text, count(*) FROM regions GROUP BY 1"))
    assert dict(rows.all()) == source


async def test_congresses_exist_exactly_where_the_law_puts_them(
    connection: AsyncConnection,
) -> None:
    expected = {row["code"] for row in read_divisions() if row["has_congress"] == "1"}
    kinds_without = {"PREFECTURE", "LEAGUE", "SUBDISTRICT", "OTHER_TOWNSHIP"}
    assert not [r for r in read_divisions() if r["code"] in expected and r["kind"] in kinds_without]
    assert {"810000", "820000", "710000"}.isdisjoint(expected)
    actual = await connection.scalars(text("SELECT region_code FROM congresses"))
    assert set(actual) == expected
    mismatched = await connection.scalar(
        text(
            "SELECT count(*) FROM congresses c JOIN regions r ON r.code = c.region_code "
            "WHERE c.level <> r.level "
            "OR (r.level = 'TOWNSHIP' AND right(r.code, 3) BETWEEN '400' AND '599')"
        )
    )
    assert mismatched == 0


async def test_standing_committees_from_county_level_up_only(connection: AsyncConnection) -> None:
    rows = await connection.execute(
        text(
            """
            SELECT c.level::text,
                   count(*) FILTER (WHERE k.id IS NULL) AS without,
                   count(*) FILTER (WHERE k.id IS NOT NULL) AS with
            FROM congresses c
            LEFT JOIN committees k ON k.congress_id = c.id AND k.kind = 'STANDING_COMMITTEE'
            GROUP BY 1
            """
        )
    )
    by_level = {level: (without, with_) for level, without, with_ in rows.all()}
    assert by_level["TOWNSHIP"][1] == 0 and by_level["TOWNSHIP"][0] > 29_000
    for level in ("NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY"):
        assert by_level[level][0] == 0, level


async def test_every_congress_has_an_open_current_term(connection: AsyncConnection) -> None:
    missing = await connection.scalar(
        text(
            "SELECT count(*) FROM congresses c WHERE NOT EXISTS "
            "(SELECT 1 FROM terms t WHERE t.congress_id = c.id AND t.end_date IS NULL)"
        )
    )
    assert missing == 0


async def test_region_page_of_a_prefecture(client: GraphQLClient) -> None:
    region = (await client.data(LIAOYUAN))["region"]
    assert region["name"] == "辽源市"
    assert region["level"] == "PREFECTURAL"
    assert region["parent"] == {"name": "吉林省"}
    assert [a["code"] for a in region["ancestors"]] == ["100000", "220000"]
    children = region["children"]
    assert children["totalCount"] == len(children["nodes"]) == 4
    assert {c["level"] for c in children["nodes"]} == {"COUNTY"}
    congress = region["congress"]
    assert congress["name"] == "辽源市人民代表大会"
    assert congress["level"] == "PREFECTURAL"
    assert congress["currentTerm"]["number"] > 0
    assert congress["standingCommittee"] == {
        "name": "辽源市人民代表大会常务委员会",
        "kind": "STANDING_COMMITTEE",
    }


async def test_township_has_no_standing_committee_and_subdistrict_no_congress(
    client: GraphQLClient,
) -> None:
    data = await client.data(TOWNSHIP_AND_SUBDISTRICT)
    assert data["town"]["level"] == "TOWNSHIP"
    assert data["town"]["congress"]["name"] == "寿山镇人民代表大会"
    assert data["town"]["congress"]["standingCommittee"] is None
    assert data["subdistrict"]["level"] == "TOWNSHIP"
    assert data["subdistrict"]["congress"] is None


async def test_unknown_region_is_null(client: GraphQLClient) -> None:
    assert (await client.data('{ region(code: "999999") { name } }'))["region"] is None


DRILL_DOWN = """
query($code: String!) {
  region(code: $code) {
    children(first: 100) {
      nodes {
        code
        deputies(first: 0) { totalCount pageInfo { hasNextPage endCursor } }
        county: deputies(first: 0, filter: {levels: [COUNTY]}) { totalCount }
        female: deputies(first: 0, filter: {gender: FEMALE}) { totalCount }
      }
    }
  }
}
"""

SUBTREE_DEPUTIES = """
SELECT count(DISTINCT m.deputy_id) FILTER (WHERE CAST(:level AS level) IS NULL OR m.level = :level)
FROM mandates m JOIN congresses c ON c.id = m.congress_id JOIN regions r ON r.code = c.region_code
WHERE m.status = 'ACTIVE' AND :code = ANY(r.lineage)
"""


async def test_drill_down_counts_match_the_mandates_and_follow_a_suspension(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    """Children's deputy counts (kept totals) against a count of the mandates themselves,
    before and after a county deputy of one child is suspended."""

    async def expected(code: str, level: str | None = None) -> int:
        params = {"code": code, "level": level}
        return (await connection.execute(text(SUBTREE_DEPUTIES), params)).scalar_one()

    async def check() -> dict[str, int]:
        region = (await client.data(DRILL_DOWN, {"code": "220400"}))["region"]
        counts = {}
        for child in region["children"]["nodes"]:
            total = child["deputies"]["totalCount"]
            assert total == await expected(child["code"])
            assert child["county"]["totalCount"] == await expected(child["code"], "COUNTY")
            assert child["deputies"]["pageInfo"] == {"hasNextPage": total > 0, "endCursor": None}
            counts[child["code"]] = total
        return counts

    before = await check()
    assert sum(before.values()) > 0
    suspended = (
        await connection.execute(
            text(
                "UPDATE mandates SET status = 'SUSPENDED', suspended_from = start_date "
                "WHERE id = (SELECT min(m.id) FROM mandates m JOIN congresses c "
                "ON c.id = m.congress_id WHERE c.region_code = '220422' AND m.status = 'ACTIVE' "
                "AND NOT EXISTS (SELECT 1 FROM mandates o WHERE o.deputy_id = m.deputy_id "
                "AND o.id <> m.id AND o.status = 'ACTIVE')) RETURNING id"
            )
        )
    ).scalar_one()
    assert suspended
    after = await check()
    assert after["220422"] == before["220422"] - 1
