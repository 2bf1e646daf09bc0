"""Deputies: filters, search, orders and pages, each count checked against independent SQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.pinyin import search_keys
from schema.node import decode_id, encode_id
from tests.conftest import GraphQLClient
from tests.factories import insert_deputy, insert_mandate

COUNT = "query($f: DeputyFilter) { deputies(filter: $f) { totalCount } }"
PAGE = """
query($f: DeputyFilter, $o: DeputyOrder, $first: Int, $after: String) {
  deputies(filter: $f, orderBy: $o, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name namePinyin birthYear activeLevels } }
  }
}
"""
SEARCH = "query($s: String!) { deputies(filter: {search: $s}) { nodes { name namePinyin } } }"

# The same questions asked in SQL written another way (ANY over lineage, DISTINCT counts).
INDEPENDENT = """
SELECT count(DISTINCT d.id)
FROM deputies d
JOIN mandates m ON m.deputy_id = d.id
JOIN congresses c ON c.id = m.congress_id
JOIN regions cr ON cr.code = c.region_code
JOIN regions lr ON lr.code = d.locality_code
WHERE {where}
"""
ACTIVE = "m.status = 'ACTIVE'"


async def independent_count(conn: AsyncConnection, where: str, **params: Any) -> int:
    return (await conn.execute(text(INDEPENDENT.format(where=where)), params)).scalar_one()


FILTER_CASES = [
    ({}, ACTIVE, {}),
    ({"regionCode": "220400"}, f"{ACTIVE} AND :r = ANY(cr.lineage)", {"r": "220400"}),
    (
        {"regionCode": "220000", "levels": ["PROVINCIAL", "PREFECTURAL"]},
        f"{ACTIVE} AND :r = ANY(cr.lineage) AND m.level::text IN ('PROVINCIAL', 'PREFECTURAL')",
        {"r": "220000"},
    ),
    ({"localityCode": "220400"}, f"{ACTIVE} AND :r = ANY(lr.lineage)", {"r": "220400"}),
    (
        {"localityCode": "220400", "levels": ["NATIONAL", "PROVINCIAL"]},
        f"{ACTIVE} AND :r = ANY(lr.lineage) AND m.level::text IN ('NATIONAL', 'PROVINCIAL')",
        {"r": "220400"},
    ),
    ({"gender": "FEMALE"}, f"{ACTIVE} AND d.gender = 'FEMALE'", {}),
    (
        {"isGrassroots": True, "regionCode": "420500"},
        f"{ACTIVE} AND d.is_grassroots AND :r = ANY(cr.lineage)",
        {"r": "420500"},
    ),
    ({"status": "TERMINATED"}, "m.status = 'TERMINATED'", {}),
    ({"status": "SUSPENDED"}, "m.status = 'SUSPENDED'", {}),
    (
        {"asOf": "2020-06-01"},
        "m.start_date <= DATE '2020-06-01' AND coalesce(m.end_date, DATE '2020-06-01') "
        ">= DATE '2020-06-01' AND NOT coalesce(m.suspended_from <= DATE '2020-06-01' AND "
        "coalesce(m.suspended_until, DATE '2020-06-01') >= DATE '2020-06-01', false)",
        {},
    ),
]


@pytest.mark.parametrize(("given", "where", "params"), FILTER_CASES)
async def test_filter_counts_match_independent_sql(
    client: GraphQLClient, connection: AsyncConnection, given: dict, where: str, params: dict
) -> None:
    expected = await independent_count(connection, where, **params)
    data = await client.data(COUNT, {"f": given})
    assert data["deputies"]["totalCount"] == expected
    if not given.get("status") and not given.get("asOf"):
        assert expected > 0, "the seed should give every case something to count"


async def test_paging_visits_every_deputy_once_in_pinyin_order(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    f = {"regionCode": "220400", "levels": ["COUNTY"]}
    seen: list[dict] = []
    after = None
    while True:
        data = await client.data(PAGE, {"f": f, "first": 97, "after": after})
        page = data["deputies"]
        seen += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    expected = await independent_count(
        connection, f"{ACTIVE} AND :r = ANY(cr.lineage) AND m.level = 'COUNTY'", r="220400"
    )
    assert len(seen) == len({d["id"] for d in seen}) == expected == page["totalCount"]
    keys = [(d["namePinyin"], int(decode_id(d["id"])[1])) for d in seen]  # type: ignore[index]
    assert keys == sorted(keys)


async def test_cursor_stays_right_when_rows_are_inserted_before_it(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    f = {"regionCode": "220400", "levels": ["PREFECTURAL"]}
    first = await client.data(PAGE, {"f": f, "first": 10})
    names = [e["node"]["name"] for e in first["deputies"]["edges"]]
    # A deputy sorting before everything on the first page arrives between two requests.
    newcomer = await insert_deputy(connection, "阿阿", "220402")
    await insert_mandate(connection, newcomer, "220400")
    after = first["deputies"]["pageInfo"]["endCursor"]
    second = await client.data(PAGE, {"f": f, "first": 10, "after": after})
    second_names = [e["node"]["name"] for e in second["deputies"]["edges"]]
    whole = await client.data(PAGE, {"f": f, "first": 21})
    assert names + second_names == [e["node"]["name"] for e in whole["deputies"]["edges"]][1:]


@pytest.mark.parametrize(
    ("order", "key"),
    [
        ({"field": "BIRTH_YEAR"}, lambda d: (d["birthYear"] or 0,)),
        ({"field": "BIRTH_YEAR", "direction": "DESC"}, lambda d: (-(d["birthYear"] or 0),)),
        ({"field": "NAME_PINYIN", "direction": "DESC"}, None),
    ],
)
async def test_orders(client: GraphQLClient, order: dict, key: Any) -> None:
    f = {"regionCode": "420500", "levels": ["PREFECTURAL"]}
    nodes: list[dict] = []
    after = None
    for _ in range(3):
        data = await client.data(PAGE, {"f": f, "o": order, "first": 40, "after": after})
        nodes += [e["node"] for e in data["deputies"]["edges"]]
        after = data["deputies"]["pageInfo"]["endCursor"]
    assert len(nodes) == len({n["id"] for n in nodes}) == 120
    if key is None:
        pinyin = [n["namePinyin"] for n in nodes]
        assert pinyin == sorted(pinyin, reverse=True)
    else:
        values = [key(n) for n in nodes]
        assert values == sorted(values)


async def test_order_by_level_puts_higher_levels_first(client: GraphQLClient) -> None:
    data = await client.data(
        PAGE, {"f": {"localityCode": "220400"}, "o": {"field": "LEVEL"}, "first": 100}
    )
    ranks = ["NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP"]
    top = [ranks.index(e["node"]["activeLevels"][0]) for e in data["deputies"]["edges"]]
    assert top == sorted(top) and top[0] <= 1


@pytest.mark.parametrize(
    "typed", ["李俊峰", "俊峰", "li jun feng", "lijunfeng", "ljf", "LiJunFeng"]
)
async def test_search_by_name_pinyin_and_initials(
    client: GraphQLClient, connection: AsyncConnection, typed: str
) -> None:
    deputy = await insert_deputy(connection, "李俊峰", "220402100")
    await insert_mandate(connection, deputy, "220402100")
    names = [n["name"] for n in (await client.data(SEARCH, {"s": typed}))["deputies"]["nodes"]]
    assert "李俊峰" in names
    # Everyone found has a name, pinyin or initials key starting with what was typed.
    term = typed.replace(" ", "").lower()
    assert all(any(k.startswith(term) for k in search_keys(n)) for n in names)


async def test_search_ignores_sql_and_finds_nothing_for_noise(client: GraphQLClient) -> None:
    for noise in ["'; DROP TABLE deputies; --", "%%%", "   ", "zzzzqqqxx"]:
        body = await client.post(SEARCH, {"s": noise})
        assert "errors" not in body
        if noise.strip() and noise != "   ":
            assert body["data"]["deputies"]["nodes"] == []


async def test_search_by_phone_does_not_match(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    deputy = await insert_deputy(connection, "钱多多", "220402100", phone="13912345678")
    await insert_mandate(connection, deputy, "220402100")
    data = await client.data(SEARCH, {"s": "13912345678"})
    assert data["deputies"]["nodes"] == []


async def test_as_of_shows_a_terminated_mandate_while_it_was_in_force(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    deputy = await insert_deputy(connection, "历史人", "220402100")
    await insert_mandate(
        connection, deputy, "220402100", end=date(2023, 6, 30), status="TERMINATED"
    )
    q = 'query($d: Date) { deputies(filter: {search: "历史人", asOf: $d}) { totalCount } }'
    assert (await client.data(q, {"d": "2023-01-01"}))["deputies"]["totalCount"] == 1
    assert (await client.data(q, {"d": "2023-07-01"}))["deputies"]["totalCount"] == 0
    assert (await client.data(q, {"d": None}))["deputies"]["totalCount"] == 0


async def test_first_above_the_cap_is_a_clear_error(client: GraphQLClient) -> None:
    body = await client.post("{ deputies(first: 500) { totalCount } }")
    assert body["data"] is None
    assert "at most 100 (got 500)" in body["errors"][0]["message"]


async def test_bad_cursor_is_a_clear_error(client: GraphQLClient) -> None:
    body = await client.post('{ deputies(first: 5, after: "bm9wZQ==") { totalCount } }')
    assert "Invalid cursor" in body["errors"][0]["message"]


async def test_a_filter_id_of_another_type_matches_nothing(client: GraphQLClient) -> None:
    region_id = encode_id("Region", "220400")
    data = await client.data(COUNT, {"f": {"congressId": region_id}})
    assert data["deputies"]["totalCount"] == 0


async def test_region_and_congress_deputies_agree_with_the_filter(client: GraphQLClient) -> None:
    q = """
    { region(code: "220400") {
        deputies(first: 1) { totalCount }
        congress { deputies(first: 1) { totalCount } }
      }
      all: deputies(filter: {regionCode: "220400"}) { totalCount }
      county: deputies(filter: {regionCode: "220400", levels: [PREFECTURAL]}) { totalCount } }
    """
    data = await client.data(q)
    assert data["region"]["deputies"]["totalCount"] == data["all"]["totalCount"]
    assert data["region"]["congress"]["deputies"]["totalCount"] == data["county"]["totalCount"]
