"""No N+1: the SQL statements a request sends depend on its depth, never on its rows."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient

DEEP = """
query($n: Int) {
  region(code: "100000") {
    children(first: 100) { nodes { name
      children(first: 100) { nodes { name
        children(first: 100) { nodes { name
          congress { name
            deputies(first: $n) { totalCount nodes { name locality { name }
              mandates { level congress { name region { name } } term { number } }
            } }
          }
        } }
      } }
    } }
  }
}
"""
# Levels that each cost one statement: region, 3 x children, congress, deputies,
# locality, mandates, mandate congress, its region, term.
DEEP_DEPTH = 11


async def deep_cost(client: GraphQLClient, page_size: int) -> tuple[int, int]:
    data, statements = await client.count_statements(DEEP, {"n": page_size})
    deputies = sum(
        len(county["congress"]["deputies"]["nodes"])
        for province in data["region"]["children"]["nodes"]
        for prefecture in province["children"]["nodes"]
        for county in prefecture["children"]["nodes"]
        if county["congress"]
    )
    return statements, deputies


async def test_deep_query_costs_the_same_for_2_and_50_deputies_per_congress(
    roomy: GraphQLClient,
) -> None:
    small, small_rows = await deep_cost(roomy, 2)
    large, large_rows = await deep_cost(roomy, 50)
    assert large_rows > small_rows > 0
    assert small == large
    assert large <= DEEP_DEPTH


@pytest.mark.parametrize("ids", [1, 30])
async def test_nodes_cost_one_statement_per_type(client: GraphQLClient, ids: int) -> None:
    listing = await client.data(f"{{ deputies(first: {ids}) {{ nodes {{ id }} }} }}")
    node_ids = [n["id"] for n in listing["deputies"]["nodes"]]
    data, statements = await client.count_statements(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Deputy { name locality { name } } } }",
        {"ids": node_ids},
    )
    assert [n["id"] for n in data["nodes"]] == node_ids
    assert statements == 2


async def test_compiled_path_answers_a_deep_query_in_one_statement(roomy: GraphQLClient) -> None:
    data, statements = await roomy.count_statements(DEEP, {"n": 50}, path="compiled")
    resolved, _ = await roomy.count_statements(DEEP, {"n": 50}, path="resolver")
    assert data == resolved
    assert statements == 1


async def test_each_response_reports_its_sql_statements(http: object) -> None:
    compiled = await http.post(
        "/graphql", json={"query": '{ region(code: "220400") { name children { totalCount } } }'}
    )  # type: ignore[attr-defined]
    resolved = await http.post(  # type: ignore[attr-defined]
        "/graphql",
        json={"query": '{ region(code: "220400") { name children { totalCount } } }'},
        headers={"X-Registry-Path": "resolver"},
    )
    assert compiled.json() == resolved.json()
    assert compiled.headers["X-SQL-Statements"] == "1"
    assert resolved.headers["X-SQL-Statements"] == "2"
