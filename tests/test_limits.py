"""Hostile requests through the ASGI app: cost limits, error masking and request limits."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, get_introspection_query, parse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette
from starlette.routing import Route

from core.settings import Settings
from db.engine import statement_count
from db.session import RequestDatabase
from resolvers import regions as region_resolvers
from schema import build_schema
from service.app import create_app
from service.body_limits import DEFAULT_MAX_BODY_BYTES, BodyLimitMiddleware
from service.front.measure import LIST_ESTIMATE, query_cost
from service.front.prepare import guard_schema
from service.front.rules import check_limits

ERROR_ID = re.compile(r"^[0-9a-f]{12}$")
INTERNAL = re.compile(r"^Internal error; quote error id ([0-9a-f]{12}) to the operators\.$")


def guarded_app(settings: Settings, database: Callable[[], RequestDatabase]) -> Starlette:
    """The service as create_app builds it, with the limits and masking wired in.

    Idempotent: once create_app wires them itself, this adds nothing.
    """
    app = create_app(settings, database=database)
    graphql: Any = next(
        r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql"
    )
    if not getattr(graphql.schema, "registry_guarded", False):
        graphql.schema = guard_schema(graphql.schema, settings)
    compiled = getattr(graphql, "compiled", None)
    if compiled is not None and not getattr(compiled, "registry_guarded", False):
        compiled.run = _limited(compiled.run, graphql.schema, settings)
        compiled.registry_guarded = True
    if not any(m.cls is BodyLimitMiddleware for m in app.user_middleware):
        max_bytes = getattr(settings, "max_body_bytes", DEFAULT_MAX_BODY_BYTES)
        app.add_middleware(BodyLimitMiddleware, max_bytes=max_bytes)
    return app


def _limited(
    run: Callable[[Any, Any], Awaitable[bytes | None]], schema: Any, settings: Settings
) -> Callable[[Any, Any], Awaitable[bytes | None]]:
    """The compiled path handing over-limit requests to the resolver path, which refuses them."""

    async def limited_run(body: Any, context: Any) -> bytes | None:
        if isinstance(body, dict) and isinstance(body.get("query"), str):
            try:
                document = parse(body["query"], max_tokens=getattr(settings, "max_tokens", 2000))
            except GraphQLError:
                return None
            variables = body.get("variables")
            if check_limits(
                schema,
                document,
                variables if isinstance(variables, dict) else None,
                body.get("operationName"),
                settings,
            ):
                return None
        return await run(body, context)

    return limited_run


Poster = Callable[..., Awaitable[httpx.Response]]


@pytest.fixture
async def open_app(
    settings: Settings, connection: AsyncConnection
) -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """Opens a client on the guarded app, with settings changed as given."""
    async with AsyncExitStack() as stack:

        def opener(**changes: Any) -> httpx.AsyncClient:
            changed = settings.model_copy(update=changes)
            app = guarded_app(changed, lambda: RequestDatabase(connection=connection))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            stack.push_async_callback(client.aclose)
            return client

        yield opener


@pytest.fixture
def guarded(open_app: Callable[..., httpx.AsyncClient]) -> httpx.AsyncClient:
    return open_app()


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def refused(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The errors of a request that must be refused before any SQL runs."""
    counter = [0]
    token = statement_count.set(counter)
    try:
        body = await gql(client, query, variables)
    finally:
        statement_count.reset(token)
    assert body.get("data") is None, body
    assert counter[0] == 0, "the request ran SQL before it was refused"
    errors: list[dict[str, Any]] = body["errors"]
    return errors


def codes(errors: list[dict[str, Any]]) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in errors]


def nested_regions(pairs: int, first: int | None = None) -> str:
    """region { children { nodes { ... parent { name } } } }: depth 2 * pairs + 2."""
    args = f"(first: {first})" if first is not None else ""
    opening = f"children{args} {{ nodes {{ " * pairs
    return f'{{ region(code: "100000") {{ {opening}parent {{ name }}' + " } }" * pairs + " } }"


# --- depth ---------------------------------------------------------------------------


async def test_deep_nesting_is_refused_with_the_numbers(guarded: httpx.AsyncClient) -> None:
    query = nested_regions(9, first=1)  # region + 9 x (children, nodes) + parent = 20 levels
    errors = await refused(guarded, query)
    assert codes(errors) == ["DEPTH_LIMIT"]
    assert errors[0]["message"] == (
        "Query depth 20 exceeds the limit of 12 (by 8): ask for fewer nested levels."
    )


async def test_depth_at_the_limit_runs(guarded: httpx.AsyncClient) -> None:
    body = await gql(guarded, nested_regions(5, first=2))  # 12 levels
    assert "errors" not in body, body
    assert body["data"]["region"]["children"]["nodes"]


async def test_depth_follows_named_and_inline_fragments(guarded: httpx.AsyncClient) -> None:
    query = """
    query { region(code: "100000") { ...Down } }
    fragment Down on Region { children(first: 1) { nodes { ... on Region { ...Deeper } } } }
    fragment Deeper on Region { children(first: 1) { nodes { children(first: 1) {
      nodes { children(first: 1) { nodes { children(first: 1) { nodes { parent {
        parent { name } } } } } } } } } } }
    """
    errors = await refused(guarded, query)
    assert codes(errors) == ["DEPTH_LIMIT"]
    assert errors[0]["message"].startswith("Query depth 13 exceeds the limit of 12 (by 1)")


# --- aliases ---------------------------------------------------------------------------


async def test_alias_bomb_is_refused(guarded: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(500)) + " }"
    errors = await refused(guarded, query)
    assert codes(errors) == ["ALIAS_LIMIT"]
    assert errors[0]["message"] == (
        "Query uses 500 aliases, exceeding the limit of 30 (by 470): split it into several requests."
    )


async def test_aliases_in_a_fragment_count_at_every_spread(guarded: httpx.AsyncClient) -> None:
    names = " ".join(f"n{i}: name" for i in range(20))
    query = (
        'query { a: region(code: "110000") { ...Names } b: region(code: "120000") { ...Names } }'
        f" fragment Names on Region {{ {names} }}"
    )
    errors = await refused(guarded, query)
    assert codes(errors) == ["ALIAS_LIMIT"]
    assert errors[0]["message"].startswith(
        "Query uses 42 aliases, exceeding the limit of 30 (by 12)"
    )


# --- tokens ----------------------------------------------------------------------------


async def test_too_many_tokens_are_refused_before_parsing(guarded: httpx.AsyncClient) -> None:
    fields = 2500
    query = '{ region(code: "110000") { ' + "name " * fields + "} }"
    errors = await refused(guarded, query)
    assert codes(errors) == ["TOKEN_LIMIT"]
    assert errors[0]["message"].startswith(
        f"Query has {fields + 10} tokens, exceeding the limit of 2000 (by {fields + 10 - 2000})"
    )


async def test_a_huge_document_is_counted_only_so_far(guarded: httpx.AsyncClient) -> None:
    query = "{ " + "a " * 30_000 + "}"  # 60 KB: within the document size limit
    errors = await refused(guarded, query)
    assert codes(errors) == ["TOKEN_LIMIT"]
    assert errors[0]["message"].startswith(
        "Query has more than 20000 tokens, exceeding the limit of 2000 (by more than 18000)"
    )


# --- page size and cost ----------------------------------------------------------------


async def test_huge_first_names_the_cap(guarded: httpx.AsyncClient) -> None:
    errors = await refused(guarded, "{ regions(first: 100000) { nodes { name } } }")
    assert codes(errors) == ["PAGE_SIZE_LIMIT"]
    assert errors[0]["message"] == (
        "`first` may be at most 100 (got 100000) on `regions`, 99900 over the cap: "
        "page with `after`."
    )
    assert errors[0]["locations"] == [{"line": 1, "column": 18}]


async def test_huge_first_in_a_variable_names_the_cap(guarded: httpx.AsyncClient) -> None:
    query = "query($n: Int) { regions(first: $n) { nodes { name } } }"
    errors = await refused(guarded, query, {"n": 100_000})
    assert codes(errors) == ["PAGE_SIZE_LIMIT"]
    assert "at most 100 (got 100000" in errors[0]["message"]


async def test_too_many_ids_in_nodes_are_refused(guarded: httpx.AsyncClient) -> None:
    ids = [base64.b64encode(f"Deputy:{i}".encode()).decode() for i in range(1, 102)]
    errors = await refused(guarded, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert codes(errors) == ["PAGE_SIZE_LIMIT"]
    assert "at most 100 IDs (got 101) on `nodes`, 1 over the cap" in errors[0]["message"]


NESTED_FIRSTS = """
{ regions(first: 100) { nodes { children(first: 100) { nodes {
  children(first: 10) { nodes { name } } } } } } }
"""
# 100 regions, 100 children each, 10 grandchildren each: 100 + 100*100 + 100*100*10.
NESTED_FIRSTS_COST = 100 + 100 * 100 + 100 * 100 * 10

NESTED_FIRSTS_FRAGMENTS = """
query($inner: Int = 10) { regions(first: 100) { ...Kids } }
fragment Kids on RegionConnection { nodes { ... on Region {
  children(first: 100) { edges { node { ...Grandkids } } } } } }
fragment Grandkids on Region { children(first: $inner) { nodes { name } } }
"""


async def test_nested_firsts_over_the_cost_are_refused(guarded: httpx.AsyncClient) -> None:
    errors = await refused(guarded, NESTED_FIRSTS)
    assert codes(errors) == ["COST_LIMIT"]
    assert errors[0]["message"] == (
        f"Query cost {NESTED_FIRSTS_COST} exceeds the limit of 50000 "
        f"(by {NESTED_FIRSTS_COST - 50000}): lower `first` in nested lists."
    )


async def test_cost_follows_fragments_and_variables(guarded: httpx.AsyncClient) -> None:
    errors = await refused(guarded, NESTED_FIRSTS_FRAGMENTS)
    assert errors[0]["message"].startswith(f"Query cost {NESTED_FIRSTS_COST} exceeds")
    # A variable overrides the default; the same shape within budget runs.
    body = await gql(
        guarded, NESTED_FIRSTS_FRAGMENTS.replace("first: 100", "first: 4"), {"inner": 2}
    )
    assert "errors" not in body, body


async def test_omitted_first_counts_the_default_page_size(
    guarded: httpx.AsyncClient, settings: Settings
) -> None:
    query = (
        "{ regions { nodes { children { nodes { children { nodes { ancestors { name } } } } } } } }"
    )
    page = settings.default_page_size
    expected = page + page**2 + page**3 + page**3 * LIST_ESTIMATE
    assert query_cost(parse(query), settings=settings) == expected
    errors = await refused(guarded, query)
    assert errors[0]["message"].startswith(f"Query cost {expected} exceeds")


async def test_within_the_cost_the_query_runs(guarded: httpx.AsyncClient) -> None:
    query = "{ regions(first: 100) { nodes { children(first: 100) { nodes { name } } } } }"
    assert query_cost(parse(query)) == 100 + 100 * 100
    body = await gql(guarded, query)
    assert "errors" not in body, body
    assert len(body["data"]["regions"]["nodes"]) == 100


async def test_limits_are_configurable(open_app: Callable[..., httpx.AsyncClient]) -> None:
    roomy = open_app(max_cost=200_000, max_depth=30)
    body = await gql(roomy, NESTED_FIRSTS)
    assert "errors" not in body, body
    strict = open_app(max_aliases=1)
    errors = await refused(strict, "{ a: __typename b: __typename }")
    assert errors[0]["message"].startswith("Query uses 2 aliases, exceeding the limit of 1 (by 1)")


def test_check_limits_gives_the_http_path_s_errors(settings: Settings) -> None:
    """The function a compiled SQL path calls refuses exactly what the service refuses."""
    schema = build_schema()
    document = parse(NESTED_FIRSTS_FRAGMENTS)
    errors = check_limits(schema, document, {"inner": 10}, None, settings)
    assert [e.extensions for e in errors] == [{"code": "COST_LIMIT"}]
    assert query_cost(document, {"inner": 10}, None) == NESTED_FIRSTS_COST
    assert query_cost(document, {"inner": 1}, None) == 100 + 100 * 100 + 100 * 100 * 1
    assert check_limits(schema, parse('{ region(code: "1") { name } }'), None, None, settings) == []


def test_a_fragment_spread_exponentially_is_measured_in_linear_time(settings: Settings) -> None:
    # F0 spreads F1 twice, F1 spreads F2 twice, ...: 2**40 paths if walked naively.
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    document = parse(f"query {{ ...F0 }} {fragments} fragment F40 on Query {{ x: __typename }}")
    errors = check_limits(build_schema(), document, None, None, settings)
    assert [e.extensions for e in errors] == [{"code": "ALIAS_LIMIT"}]
    assert f"uses {2**40} aliases" in errors[0].message


# --- hostile values ----------------------------------------------------------------------


def b64(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize(
    "bad_id",
    [
        "not an id",
        "",
        "%%%",
        "A" * 5000,
        b64("Nothing:1"),
        b64("Deputy:"),
        b64("Deputy:abc"),
        b64("Deputy:-1"),
        b64("Deputy:²"),  # a digit to str.isdigit, not to int()
        b64("Deputy:99999999999999999999999"),  # beyond bigint
        b64("Region:'; DROP TABLE regions; --"),
    ],
)
async def test_malformed_ids_get_a_clear_answer(guarded: httpx.AsyncClient, bad_id: str) -> None:
    body = await gql(guarded, "query($id: ID!) { node(id: $id) { id } }", {"id": bad_id})
    errors = body.get("errors") or []
    assert "INTERNAL" not in codes(errors), errors
    if errors:
        assert body["data"] == {"node": None}
        assert "valid ID" in errors[0]["message"], errors
    else:
        assert body["data"] == {"node": None}


SQLISH = "'; DROP TABLE deputies; --"


async def test_sql_in_search_is_just_text(
    guarded: httpx.AsyncClient, connection: AsyncConnection
) -> None:
    before = (await connection.execute(text("SELECT count(*) FROM deputies"))).scalar_one()
    for search in (SQLISH, "%", "_", "\\", "' OR '1'='1"):
        body = await gql(
            guarded,
            "query($s: String) { regions(search: $s) { totalCount } "
            "deputies(filter: {search: $s}) { totalCount } }",
            {"s": search},
        )
        assert "errors" not in body, (search, body)
        assert body["data"]["regions"]["totalCount"] == 0, search  # no wildcard, no injection
    after = (await connection.execute(text("SELECT count(*) FROM deputies"))).scalar_one()
    assert after == before > 0


# --- request limits ----------------------------------------------------------------------


async def test_oversized_body_gets_413(guarded: httpx.AsyncClient, settings: Settings) -> None:
    padding = " " * (2 * 1024 * 1024)
    response = await guarded.post("/graphql", json={"query": "{ __typename }" + padding})
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BODY_TOO_LARGE"}
    assert f"exceeds the limit of {settings.max_graphql_body_bytes} bytes" in error["message"]


async def test_oversized_streamed_body_gets_413(guarded: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }'
        for _ in range(40):
            yield b" " * 65536
        yield b'"}'

    response = await guarded.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {"code": "BODY_TOO_LARGE"}


async def test_a_body_under_the_limit_reaches_the_app(
    guarded: httpx.AsyncClient, settings: Settings
) -> None:
    padding = " " * (settings.max_document_bytes - 100)
    body = await gql(guarded, "{ __typename }" + padding)
    assert body == {"data": {"__typename": "Query"}}


async def test_a_batch_gets_a_clear_400(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post(
        "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BATCH_NOT_SUPPORTED"}
    assert "one operation per request" in error["message"]


@pytest.mark.parametrize("raw", [b'"query"', b"42", b"null", b"true"])
async def test_a_json_body_that_is_not_an_object_gets_400(
    guarded: httpx.AsyncClient, raw: bytes
) -> None:
    response = await guarded.post(
        "/graphql", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_a_broken_json_body_gets_400(guarded: httpx.AsyncClient) -> None:
    response = await guarded.post(
        "/graphql", content=b'{"query": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


# --- masking -----------------------------------------------------------------------------


REGIONS = '{ regions(search: "x") { totalCount } }'
# The masking tests break resolvers; this header keeps the request off the compiled path.
RESOLVER_PATH = {"x-registry-path": "resolver"}


def internal_error_id(body: dict[str, Any]) -> str:
    assert body["data"] is None, body
    [error] = body["errors"]
    match = INTERNAL.match(error["message"])
    assert match, error
    assert error["extensions"]["code"] == "INTERNAL"
    assert ERROR_ID.match(error["extensions"]["errorId"])
    assert error["extensions"]["errorId"] == match.group(1)
    assert error["path"] == ["regions"]
    return match.group(1)


def logged_stack(caplog: pytest.LogCaptureFixture, error_id: str) -> str:
    records = [
        r for r in caplog.records if r.name == "registry.errors" and error_id in r.getMessage()
    ]
    assert len(records) == 1, caplog.records
    assert records[0].exc_info is not None
    return logging.Formatter().formatException(records[0].exc_info)


async def test_an_unexpected_exception_is_masked_and_logged(
    guarded: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def exploding_search(*_: Any, **__: Any) -> Any:
        raise KeyError("secret internal key")

    monkeypatch.setattr(region_resolvers, "search_regions", exploding_search)
    caplog.set_level(logging.ERROR, logger="registry.errors")
    response = await guarded.post("/graphql", json={"query": REGIONS}, headers=RESOLVER_PATH)
    assert response.status_code == 200
    assert "secret" not in response.text
    error_id = internal_error_id(response.json())
    stack = logged_stack(caplog, error_id)
    assert "exploding_search" in stack
    assert "KeyError: 'secret internal key'" in stack


async def test_a_database_error_does_not_show_its_sql(
    guarded: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def bad_sql(context: Any, *_: Any, **__: Any) -> Any:
        await context.db.execute(text("SELECT secret_column FROM no_such_table"))

    monkeypatch.setattr(region_resolvers, "search_regions", bad_sql)
    caplog.set_level(logging.ERROR, logger="registry.errors")
    response = await guarded.post("/graphql", json={"query": REGIONS}, headers=RESOLVER_PATH)
    assert "no_such_table" not in response.text and "SELECT" not in response.text
    stack = logged_stack(caplog, internal_error_id(response.json()))
    assert "no_such_table" in stack  # the operators see the SQL


async def test_an_assertion_is_masked(
    guarded: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def asserting(*_: Any, **__: Any) -> Any:
        raise AssertionError("invariant about row 42 broken")

    monkeypatch.setattr(region_resolvers, "search_regions", asserting)
    response = await guarded.post("/graphql", json={"query": REGIONS}, headers=RESOLVER_PATH)
    assert "row 42" not in response.text
    internal_error_id(response.json())


async def test_a_statement_timeout_is_a_timeout(
    open_app: Callable[..., httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def slow(context: Any, *_: Any, **__: Any) -> Any:
        await context.db.execute(text("SET LOCAL statement_timeout = 50"))
        await context.db.execute(text("SELECT pg_sleep(2)"))

    monkeypatch.setattr(region_resolvers, "search_regions", slow)
    client = open_app(statement_timeout_ms=50)
    body = await gql(client, REGIONS, headers=RESOLVER_PATH)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert error["message"].startswith(
        "The request took longer than the statement timeout of 50 ms"
    )
    assert "pg_sleep" not in str(body)


async def test_deliberate_errors_are_kept(guarded: httpx.AsyncClient) -> None:
    # A resolver's own GraphQLError (cursor check), with its message.
    body = await gql(guarded, '{ regions(after: "garbage") { totalCount } }')
    assert "Invalid cursor 'garbage'" in body["errors"][0]["message"]
    assert "INTERNAL" not in codes(body["errors"])
    # A validation error.
    body = await gql(guarded, "{ noSuchField }")
    assert body["errors"][0]["message"].startswith("Cannot query field 'noSuchField'")
    # A variable that does not coerce (graphql-core wraps the scalar's ValueError).
    body = await gql(
        guarded,
        'query($d: Date!) { reports { stationActivity(regionCode: "110000", from: $d, to: $d) '
        "{ receptions } } }",
        {"d": "not-a-date"},
    )
    assert "not-a-date" in body["errors"][0]["message"]
    assert "INTERNAL" not in codes(body["errors"])
    # An invalid literal, found by validation.
    body = await gql(
        guarded,
        '{ reports { stationActivity(regionCode: "110000", from: "13/13", to: "x") '
        "{ receptions } } }",
    )
    assert body["errors"] and "INTERNAL" not in codes(body["errors"]), body


async def test_anonymous_mutation_is_forbidden_not_internal(guarded: httpx.AsyncClient) -> None:
    body = await gql(
        guarded,
        'mutation { createGroup(input: {name: "x", kind: REGIONAL, congressId: "x", '
        'regionCode: "110000"}) { group { id } userErrors { code } } }',
    )
    assert codes(body["errors"]) == ["FORBIDDEN"]


# --- introspection -----------------------------------------------------------------------


async def test_introspection_works_by_default(guarded: httpx.AsyncClient) -> None:
    body = await gql(guarded, get_introspection_query(descriptions=True))
    assert "errors" not in body, body
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Region", "Deputy", "Query", "Mutation"} <= names


async def test_introspection_can_be_switched_off(
    open_app: Callable[..., httpx.AsyncClient],
) -> None:
    closed = open_app(introspection=False)
    errors = await refused(closed, "{ __schema { queryType { name } } }")
    assert "introspection" in errors[0]["message"].lower()
    errors = await refused(closed, '{ __type(name: "Region") { name } }')
    assert "introspection" in errors[0]["message"].lower()
    assert await gql(closed, "{ __typename }") == {"data": {"__typename": "Query"}}


async def test_an_introspection_cycle_is_too_costly(guarded: httpx.AsyncClient) -> None:
    query = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    errors = await refused(guarded, query)
    assert codes(errors) == ["COST_LIMIT"]
