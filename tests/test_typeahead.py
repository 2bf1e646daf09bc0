"""Issue 19, point 4: typeahead search. A connection's boundedCount counts up to a ceiling
and says whether that is exact; a search's first page with it costs one statement on either
read path, and paging through a prefix's matches returns each deputy once.

Every query here runs on both read paths, which must answer alike (GraphQLClient.post)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from db.pinyin import search_query
from db.session import RequestDatabase
from service.app import create_app
from tests.conftest import GraphQLClient

CEILING = 25  # small enough that the test data has prefixes with more matches

COUNTS = """
query($s: String!, $limit: Int) {
  deputies(first: 3, filter: {search: $s}) {
    totalCount
    boundedCount(limit: $limit) { count isExact }
    byDefault: boundedCount { count isExact __typename }
  }
}
"""
TYPEAHEAD = """
query($s: String!) {
  deputies(first: 10, filter: {search: $s}) {
    boundedCount { count isExact }
    nodes { id name namePinyin }
  }
}
"""
PAGE = """
query($s: String!, $after: String) {
  deputies(first: 7, after: $after, filter: {search: $s}) {
    boundedCount(limit: 3) { count isExact }
    pageInfo { hasNextPage endCursor }
    nodes { id namePinyin }
  }
}
"""


@pytest.fixture
async def capped(settings: Settings, connection: AsyncConnection) -> AsyncIterator[GraphQLClient]:
    """A client of an app whose count ceiling is CEILING."""
    small = settings.model_copy(update={"count_ceiling": CEILING})
    app = create_app(small, database=lambda: RequestDatabase(connection=connection))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, small)


async def matches(connection: AsyncConnection, prefix: str) -> int:
    """Deputies with an active mandate and a search key starting with `prefix`, counted
    in SQL written apart from the service's."""
    sql = """SELECT count(*) FROM deputies d WHERE d.search_vector @@ CAST(:q AS tsquery)
             AND d.id IN (SELECT deputy_id FROM mandates WHERE status = 'ACTIVE')"""
    return (await connection.execute(text(sql), {"q": search_query(prefix)})).scalar_one()


async def prefix_with(connection: AsyncConnection, low: int, high: int) -> str:
    """A one- or two-letter prefix whose number of matches lies in [low, high]."""
    for prefix in [*"abcdefghjklmnopqrstwxyz", "zh", "ch", "sh", "li", "wa", "ya", "zo", "qi"]:
        if low <= await matches(connection, prefix) <= high:
            return prefix
    pytest.skip(f"no prefix with {low}..{high} matches in the test data")


async def test_bounded_count_is_exact_below_the_ceiling(
    capped: GraphQLClient, connection: AsyncConnection
) -> None:
    """Issue 19, point 4: below the limit the bounded count is the exact count."""
    prefix = await prefix_with(connection, 1, CEILING - 1)
    total = await matches(connection, prefix)
    data = (await capped.data(COUNTS, {"s": prefix, "limit": total}))["deputies"]
    assert data["totalCount"] == total
    assert data["boundedCount"] == {"count": total, "isExact": True}
    assert data["byDefault"] == {"count": total, "isExact": True, "__typename": "BoundedCount"}


async def test_bounded_count_is_flagged_beyond_the_ceiling(
    capped: GraphQLClient, connection: AsyncConnection
) -> None:
    """Issue 19, point 4: beyond the limit the count stops there and says it is not exact;
    the default limit is the ceiling; totalCount stays exact."""
    prefix = await prefix_with(connection, CEILING + 1, 10**9)
    total = await matches(connection, prefix)
    data = (await capped.data(COUNTS, {"s": prefix, "limit": 5}))["deputies"]
    assert data["totalCount"] == total
    assert data["boundedCount"] == {"count": 5, "isExact": False}
    assert data["byDefault"] == {"count": CEILING, "isExact": False, "__typename": "BoundedCount"}
    # At the ceiling, with more matches than that: the ceiling, not exact.
    at = (await capped.data(COUNTS, {"s": prefix, "limit": CEILING}))["deputies"]
    assert at["boundedCount"] == {"count": CEILING, "isExact": False}


async def test_bounded_count_at_its_edges(
    capped: GraphQLClient, connection: AsyncConnection
) -> None:
    """Issue 19, point 4: a limit equal to the number of matches is exact, one less is not,
    zero tells only whether there is any."""
    prefix = await prefix_with(connection, 2, CEILING)
    total = await matches(connection, prefix)
    for limit, expected in [
        (total, {"count": total, "isExact": True}),
        (total - 1, {"count": total - 1, "isExact": False}),
        (0, {"count": 0, "isExact": False}),
    ]:
        data = (await capped.data(COUNTS, {"s": prefix, "limit": limit}))["deputies"]
        assert data["boundedCount"] == expected, limit
    nothing = (await capped.data(COUNTS, {"s": "zzzzqqqxx", "limit": 0}))["deputies"]
    assert nothing["boundedCount"] == {"count": 0, "isExact": True}


async def test_a_limit_over_the_ceiling_or_negative_is_refused(capped: GraphQLClient) -> None:
    """Issue 19, point 4: the ceiling bounds what a bounded count may cost."""
    for limit, words in [(CEILING + 1, f"at most {CEILING}"), (-1, "must not be negative")]:
        body = await capped.post(COUNTS, {"s": "l", "limit": limit})
        assert body["data"] is None
        assert words in body["errors"][0]["message"]


async def test_bounded_counts_agree_on_every_kind_of_connection(
    capped: GraphQLClient, connection: AsyncConnection
) -> None:
    """Issue 19, point 4: both read paths answer boundedCount alike (post compares them):
    kept totals, counted totals, nested lists under many parents, after a cursor, first: 0."""
    prefix = await prefix_with(connection, CEILING + 1, 10**9)
    query = """
    query($s: String!) {
      deputies(first: 2, filter: {search: $s}) {
        boundedCount(limit: 4) { count isExact }
        pageInfo { endCursor }
      }
      none: deputies(first: 0, filter: {search: $s}) { boundedCount { count isExact } }
      region(code: "220000") {
        kept: deputies(first: 2) { totalCount boundedCount(limit: 3) { count isExact } }
        onlyKept: deputies(first: 0) { boundedCount { count isExact } }
        searched: deputies(first: 1, filter: {search: $s}) {
          totalCount boundedCount(limit: 2) { count isExact }
        }
        children(first: 5) { boundedCount { count isExact } nodes {
          deputies(first: 1, filter: {search: $s}) { boundedCount(limit: 2) { count isExact } }
          stations(first: 1) { boundedCount(limit: 1) { isExact } }
        } }
      }
      stations(first: 1, regionCode: "220000") { boundedCount { count isExact } }
    }
    """
    data = await capped.data(query, {"s": prefix})
    assert data["deputies"]["boundedCount"] == {"count": 4, "isExact": False}
    assert data["none"]["boundedCount"] == {"count": CEILING, "isExact": False}
    kept = data["region"]["kept"]
    assert kept["boundedCount"] == {"count": 3, "isExact": kept["totalCount"] <= 3}
    searched = data["region"]["searched"]
    limited = min(searched["totalCount"], 2)
    assert searched["boundedCount"] == {"count": limited, "isExact": searched["totalCount"] <= 2}
    cursor = data["deputies"]["pageInfo"]["endCursor"]
    after = """query($s: String!, $a: String) { deputies(first: 2, after: $a, filter: {search: $s}) {
        boundedCount(limit: 4) { count isExact } } }"""
    later = await capped.data(after, {"s": prefix, "a": cursor})
    # A count is of the whole list, wherever the page starts.
    assert later["deputies"]["boundedCount"] == {"count": 4, "isExact": False}


async def test_search_first_page_costs_one_statement(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    """Issue 19, point 4: a typeahead's first page with its bounded count is one SQL
    statement on either path: the count rides on the page's statement, bounded."""
    prefix = await prefix_with(connection, 11, 10**9)
    for path in ("compiled", "resolver"):
        data, statements = await client.count_statements(TYPEAHEAD, {"s": prefix}, path=path)
        assert statements == 1, path
        assert len(data["deputies"]["nodes"]) == 10
    # A page that holds every match needs no count at all: still one statement.
    few = await prefix_with(connection, 1, 9)
    _, statements = await client.count_statements(TYPEAHEAD, {"s": few}, path="resolver")
    assert statements == 1


async def test_paging_through_a_prefix_returns_each_match_once(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    """Issue 19, point 4: cursors page through every match of a prefix exactly once, with
    the bounded count the same on every page."""
    prefix = await prefix_with(connection, 15, 400)
    total = await matches(connection, prefix)
    seen: list[str] = []
    after = None
    while True:
        data = (await client.data(PAGE, {"s": prefix, "after": after}))["deputies"]
        assert data["boundedCount"] == {"count": 3, "isExact": False}
        seen += [n["id"] for n in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == total
