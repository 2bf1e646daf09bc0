"""One plan per document shape (compiled.shapes): variable values are parameters of one
statement, and trusted documents are ready before the first request (issue 19)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.routing import Route

from core.settings import Settings
from db.session import RequestDatabase
from resolvers.ids import encode_id
from service.app import create_app
from tests.conftest import GraphQLClient

DEPUTY = """
query Page($id: ID!) {
  node(id: $id) { ... on Deputy { name phone idNumber locality { code name } } }
}
"""
REGION = "query R($code: String!) { region(code: $code) { code name parent { name } } }"
COUNTY = """
query County($code: String) {
  deputies(filter: {regionCode: $code, levels: [COUNTY]}, first: 3) {
    totalCount nodes { name phone }
  }
}
"""
INCLUDE = """
query Inc($id: ID!, $more: Boolean!) {
  node(id: $id) { ... on Deputy { name mandates @include(if: $more) { level } } }
}
"""
AFTER = """
query After($after: String) {
  deputies(first: 2, after: $after) { edges { cursor node { name } } }
}
"""


class Client:
    """Requests to one app, on both read paths; the app's compiled path to count its plans."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings, compiled: Any) -> None:
        self.http, self.settings, self.compiled = http, settings, compiled

    def caller(self, role: str | None = None, region: str | None = None) -> GraphQLClient:
        anonymous = GraphQLClient(self.http, self.settings)
        return anonymous if role is None else anonymous.as_role(role, region)

    async def both(
        self, query: str, variables: dict[str, Any], caller: GraphQLClient | None = None
    ) -> dict[str, Any]:
        """The compiled path's answer, which must equal the resolver path's."""
        caller = caller or self.caller()
        compiled = await caller.post(query, variables, path="compiled")
        resolved = await caller.post(query, variables, path="resolver")
        assert compiled == resolved, (query, variables)
        return compiled


def _graphql(app: Any) -> Any:
    return next(r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql")


@pytest.fixture
async def shapes(settings: Settings, connection: AsyncConnection) -> AsyncIterator[Client]:
    app = create_app(settings, database=lambda: RequestDatabase(connection=connection))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Client(http, settings, _graphql(app).compiled)


async def _deputies(connection: AsyncConnection, count: int, region: str = "") -> list[int]:
    where = f"WHERE '{region}' = ANY(r.lineage)" if region else ""
    rows = await connection.execute(
        text(
            "SELECT d.id FROM deputies d JOIN regions r ON r.code = d.locality_code "
            f"{where} ORDER BY d.phone IS NULL, d.id LIMIT {count}"
        )
    )
    return [row[0] for row in rows]


async def test_fifty_deputies_and_region_codes_are_one_plan_each(
    shapes: Client, connection: AsyncConnection
) -> None:
    """Issue 19, point 1: the same document with 50 different deputy ids (and with 50
    region codes) is built into one plan, answered as the resolver path answers, and
    from the fast lane once the plan is trusted."""
    ids = await _deputies(connection, 50)
    assert len(ids) == 50
    admin = shapes.caller("admin")
    for key in ids:
        body = await shapes.both(DEPUTY, {"id": encode_id("Deputy", key)}, admin)
        assert body["data"]["node"]["name"]
    assert shapes.compiled.plans.built == 1
    codes = [
        row[0]
        for row in await connection.execute(
            text("SELECT code FROM regions ORDER BY level, code LIMIT 50")
        )
    ]
    for code in codes:
        body = await shapes.both(REGION, {"code": code})
        assert body["data"]["region"]["code"] == code
    # The region code is stripped before the lookup: the step is replayed per request.
    padded = await shapes.both(REGION, {"code": f" {codes[3]} "})
    assert padded["data"]["region"]["code"] == codes[3]
    assert shapes.compiled.plans.built == 2
    answer = await shapes.http.post(
        "/graphql", json={"query": REGION, "variables": {"code": codes[7]}}
    )
    assert answer.headers["x-registry-plan"] == "cached"
    assert answer.json()["data"]["region"]["code"] == codes[7]


async def test_a_variable_given_or_null_is_two_plans(
    shapes: Client, connection: AsyncConnection
) -> None:
    """Issue 19, point 1: a variable given vs null gives 2 plans (the filter is in the SQL
    or not); more values of the given one are the same plan."""
    admin = shapes.caller("admin")
    for code in ("220000", "420000", "520000", "220400", None):
        await shapes.both(COUNTY, {"code": code}, admin)
    assert shapes.compiled.plans.built == 2


async def test_callers_never_share_a_plan_and_see_what_the_resolver_path_shows(
    shapes: Client, connection: AsyncConnection
) -> None:
    """Issue 19, point 1: anonymous, an editor in region A, one in region B and an admin
    each get their own plan, and see the phone and idNumber of deputies exactly as the
    resolver path shows them, whatever the deputy."""
    in_a = await _deputies(connection, 3, "220000")
    in_b = await _deputies(connection, 3, "420000")
    callers = {
        "anonymous": shapes.caller(),
        "editor A": shapes.caller("editor", "220000"),
        "editor B": shapes.caller("editor", "420000"),
        "admin": shapes.caller("admin"),
    }
    seen: dict[str, list[bool]] = {}
    for name, caller in callers.items():
        for key in in_a + in_b:
            node = (await shapes.both(DEPUTY, {"id": encode_id("Deputy", key)}, caller))["data"][
                "node"
            ]
            seen.setdefault(name, []).append(node["idNumber"] is not None)
    assert shapes.compiled.plans.built == 4
    assert seen["anonymous"] == [False] * 6
    assert seen["editor A"] == [True] * 3 + [False] * 3
    assert seen["editor B"] == [False] * 3 + [True] * 3
    assert seen["admin"] == [True] * 6


async def test_include_true_and_false_are_two_plans(
    shapes: Client, connection: AsyncConnection
) -> None:
    """Issue 19, point 1: @include(if: $x) true and false give 2 plans."""
    for key in await _deputies(connection, 4):
        for more in (True, False):
            body = await shapes.both(INCLUDE, {"id": encode_id("Deputy", key), "more": more})
            assert ("mandates" in body["data"]["node"]) is more
    assert shapes.compiled.plans.built == 2


async def test_statement_counts_stay_one(shapes: Client, connection: AsyncConnection) -> None:
    """Issue 19, point 1: a request answered from a shape's plan is one statement."""
    for key in await _deputies(connection, 3):
        _, count = await shapes.caller().count_statements(
            DEPUTY, {"id": encode_id("Deputy", key)}, path="compiled"
        )
        assert count == 1


async def test_an_invalid_id_or_cursor_of_a_known_shape_gets_the_resolver_paths_error(
    shapes: Client, connection: AsyncConnection
) -> None:
    """Issue 19, point 1: an invalid global ID or cursor in a variable of a shape whose
    plan is known still gets the resolver path's answer and error."""
    for key in await _deputies(connection, 3):
        await shapes.both(DEPUTY, {"id": encode_id("Deputy", key)})
    for wrong in ("not-an-id", encode_id("Station", 1), encode_id("Deputy", "x"), "RGVw"):
        body = await shapes.both(DEPUTY, {"id": wrong})  # equal on both paths
        assert body["data"]["node"] in (None, {}) or "errors" in body
    first = await shapes.both(AFTER, {"after": None})
    cursors = [e["cursor"] for e in first["data"]["deputies"]["edges"]]
    for cursor in cursors:
        page = await shapes.both(AFTER, {"after": cursor})
        assert page["data"]["deputies"]["edges"]
    built = shapes.compiled.plans.built
    bad = await shapes.both(AFTER, {"after": "bm90IGEgY3Vyc29y"})
    assert "Invalid cursor" in bad["errors"][0]["message"]
    assert shapes.compiled.plans.built == built


async def test_the_plan_cache_shows_in_metrics(shapes: Client, connection: AsyncConnection) -> None:
    """Issue 19, point 1: plan cache hits and misses, entries and characters in /metrics."""
    for key in await _deputies(connection, 3):
        await shapes.both(DEPUTY, {"id": encode_id("Deputy", key)})
    metrics = (await shapes.http.get("/metrics")).text
    assert 'registry_plan_cache_lookups_total{result="hit"}' in metrics
    assert 'registry_plan_cache_lookups_total{result="miss"}' in metrics
    assert 'registry_cache_entries{cache="plans"}' in metrics
    assert 'registry_cache_characters{cache="documents"}' in metrics


async def test_trusted_documents_are_ready_at_start(
    settings: Settings, connection: AsyncConnection, tmp_path: Path
) -> None:
    """Issue 19, point 2: the documents of REGISTRY_PREPARED_DOCUMENTS (and the GraphiQL
    examples) are parsed and validated before the first request, which then neither
    parses nor validates."""
    (tmp_path / "pages.graphql").write_text(DEPUTY + REGION, encoding="utf-8")
    prepared = settings.model_copy(update={"prepared_documents": str(tmp_path)})
    app = create_app(prepared, database=lambda: RequestDatabase(connection=connection))
    graphql = _graphql(app)
    documents = graphql.compiled.documents
    parsed = documents.get(DEPUTY + REGION)
    assert parsed is not None and parsed.spec_errors == ()
    assert len(graphql.compiled.shapes) >= 2 + 3  # two operations, three examples
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        response = await http.post(
            "/graphql",
            json={"query": DEPUTY + REGION, "operationName": "R", "variables": {"code": "220000"}},
        )
    assert response.json()["data"]["region"]["code"] == "220000"
    assert documents.get(DEPUTY + REGION) is parsed


SEARCH = """
query Search($q: String!) {
  deputies(filter: {search: $q}, first: 3) { totalCount nodes { name namePinyin } }
}
"""


async def test_search_terms_share_one_plan(shapes: Client, connection: AsyncConnection) -> None:
    """Issue 19, point 1: a typeahead sends a new search text at every keystroke; the texts
    share one plan (the tsquery is a parameter, normalised per request by the same pure
    function), answered as the resolver path answers, and from the fast lane."""
    names = [
        row[0]
        for row in await connection.execute(
            text("SELECT name_pinyin FROM deputies ORDER BY id LIMIT 12")
        )
    ]
    terms = [n.replace(" ", "")[:k] for n in names for k in (1, 3)] + ["Li Jun", " wang "]
    for term in terms:
        body = await shapes.both(SEARCH, {"q": term})
        assert body["data"]["deputies"]["totalCount"] >= 0
    assert shapes.compiled.plans.built == 1
    # A text that normalises to nothing matches nobody: another plan, the same answer.
    empty = await shapes.both(SEARCH, {"q": "!!"})
    assert empty["data"]["deputies"] == {"totalCount": 0, "nodes": []}
    answer = await shapes.http.post(
        "/graphql", json={"query": SEARCH, "variables": {"q": names[5][:2]}}
    )
    assert answer.headers.get("x-registry-plan") == "cached"


async def test_many_values_read_as_values_cost_a_few_builds(
    shapes: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19, point 1 (review): 20 String variables that the build reads as values (a
    region search escapes its text) cost a bounded number of builds on a never-seen
    document, not one build per variable: a client cannot make one request cost 17."""
    import compiled.execute

    builds = 0
    real_build = compiled.execute.build_statement

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal builds
        builds += 1
        return real_build(*args, **kwargs)

    monkeypatch.setattr(compiled.execute, "build_statement", counted)
    names = [f"s{i}" for i in range(20)]
    query = (
        "query Many("
        + ", ".join(f"${n}: String" for n in names)
        + ") { "
        + " ".join(f"{n}: regions(search: ${n}, first: 1) {{ nodes {{ code }} }}" for n in names)
        + " } # a never-seen document"
    )
    await shapes.both(query, {n: f"城{i}" for i, n in enumerate(names)})
    assert builds <= 4
