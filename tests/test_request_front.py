"""Issue 17: the GraphQL request front. Work per request bounded before parsing (point 5),
one error per cause and SQL out of the logs (7), malformed bodies answered with a coded
JSON error (9), a code on every error a client can cause, on both read paths (10), no
name suggestions with introspection off (11), client mistakes logged at INFO (13)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.routing import Route

from core.settings import Settings
from db.engine import statement_count
from db.session import RequestDatabase
from resolvers import regions as region_resolvers
from schema.regions import Region
from service.app import create_app

RESOLVER = {"x-registry-path": "resolver"}
PATHS = {"compiled": {}, "resolver": RESOLVER}

Opener = Callable[..., httpx.AsyncClient]


@pytest.fixture
async def open_app(settings: Settings, connection: AsyncConnection) -> AsyncIterator[Opener]:
    """Opens a client on the service as create_app builds it, with settings changed as given."""
    async with AsyncExitStack() as stack:

        def opener(**changes: Any) -> httpx.AsyncClient:
            app = create_app(
                settings.model_copy(update=changes),
                database=lambda: RequestDatabase(connection=connection),
            )
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            stack.push_async_callback(client.aclose)
            return client

        yield opener


@pytest.fixture
def service(open_app: Opener) -> httpx.AsyncClient:
    return open_app()


async def post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], int]:
    """Status, JSON body and the SQL statements the request sent."""
    counter = [0]
    token = statement_count.set(counter)
    try:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    finally:
        statement_count.reset(token)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.status_code, response.json(), counter[0]


def codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


# --- point 5: comment-padded documents -------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
async def test_comments_count_as_tokens(service: httpx.AsyncClient, path: str) -> None:
    """Issue 17, point 5: a document padded with comments is refused by the token limit
    (comments were not counted: 2,500 of them went through to the parser)."""
    query = "{ __typename " + "#c\n" * 2500 + "}"
    status, body, statements = await post(service, query, headers=PATHS[path])
    assert status == 200
    assert codes(body) == ["TOKEN_LIMIT"]
    assert body["errors"][0]["message"].startswith(
        "Query has 2503 tokens, exceeding the limit of 2000 (by 503)"
    )
    assert body.get("data") is None
    assert statements == 0


@pytest.mark.parametrize("path", PATHS)
async def test_a_document_over_its_size_limit_is_refused_unparsed(
    service: httpx.AsyncClient, settings: Settings, path: str
) -> None:
    """Issue 17, point 5: a document over REGISTRY_MAX_DOCUMENT_BYTES (64 KiB) is refused
    before it is lexed, however few tokens it has (whitespace counts)."""
    limit = settings.max_document_bytes
    query = "{ __typename }" + " " * limit
    status, body, statements = await post(service, query, headers=PATHS[path])
    assert status == 200
    assert codes(body) == ["DOCUMENT_TOO_LARGE"]
    size = len(query.encode())
    assert body["errors"][0]["message"].startswith(
        f"The GraphQL document has {size} bytes, exceeding the limit of {limit} (by {size - limit})"
    )
    assert statements == 0
    # Chinese text counts by its UTF-8 bytes, not by its characters.
    wide = "{ __typename } #" + "代" * (limit // 3)
    assert len(wide) < limit < len(wide.encode())
    _, body, _ = await post(service, wide, headers=PATHS[path])
    assert codes(body) == ["DOCUMENT_TOO_LARGE"]
    # At the limit, the document runs.
    fitting = "{ __typename }" + " " * (limit - len("{ __typename }"))
    _, body, _ = await post(service, fitting, headers=PATHS[path])
    assert body == {"data": {"__typename": "Query"}}


async def test_a_graphql_body_has_a_lower_limit_than_other_bodies(
    service: httpx.AsyncClient, settings: Settings
) -> None:
    """Issue 17, point 5: a GraphQL body over REGISTRY_MAX_GRAPHQL_BODY_BYTES (128 KiB) gets
    413 (the 1 MiB limit for other bodies let 976 KB documents through)."""
    limit = settings.max_graphql_body_bytes
    assert limit < settings.max_body_bytes
    padding = "x" * limit
    response = await service.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"pad": padding}}
    )
    assert response.status_code == 413
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BODY_TOO_LARGE"}
    assert f"exceeds the limit of {limit} bytes" in error["message"]


async def test_the_caches_keep_digests_and_stay_within_their_budgets(
    settings: Settings, connection: AsyncConnection
) -> None:
    """Issue 17, point 5: the plan cache keys requests by a digest of the body, never the
    body, and both caches of the compiled path stay within their character budgets."""
    app = create_app(settings, database=lambda: RequestDatabase(connection=connection))
    graphql: Any = next(
        r.endpoint for r in app.routes if isinstance(r, Route) and r.path == "/graphql"
    )
    plans, documents = graphql.compiled.plans, graphql.compiled.documents
    plans.budget, documents.budget = 20_000, 6_000
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        for i in range(12):
            query = f'{{ region(code: "110000") {{ name }} }} # request {i} ' + "c" * 1000
            response = await c.post("/graphql", json={"query": query})
            assert response.json() == {"data": {"region": {"name": "北京市"}}}
    assert plans.entries, "the plans were kept"
    for key in plans.entries:
        assert len(key[0]) == 32  # a BLAKE2b digest, not the 1 KB body
    assert plans.held <= plans.budget and documents.held <= documents.budget
    assert len(documents.entries) < 12  # the oldest documents made room


# --- point 7: log amplification ---------------------------------------------------------------


def _aliases(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"


async def test_a_timeout_in_many_fields_is_one_error_and_one_log_line(
    open_app: Opener, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 17, point 7: twenty fields failing after one statement timeout (the first
    times out, the others find the transaction aborted) give one TIMEOUT error at the
    first path and one log line, and no SQL above DEBUG."""

    async def slow(cls: Any, info: Any, key: str) -> Any:
        await info.context.db.execute(text("SET LOCAL statement_timeout = 50"))
        await info.context.db.execute(text("SELECT pg_sleep(2) AS secret_sleep"))

    monkeypatch.setattr(Region, "load", classmethod(slow))
    client = open_app(statement_timeout_ms=50)
    caplog.set_level(logging.DEBUG)
    query = _aliases(20, 'region(code: "110000") { name }')
    _, body, _ = await post(client, query, None, RESOLVER)
    assert codes(body) == ["TIMEOUT"]
    assert body["errors"][0]["path"] == ["a0"]
    assert body["data"] == {f"a{i}": None for i in range(20)}
    loud = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert not [r for r in loud if "secret_sleep" in r.getMessage()], "SQL logged above DEBUG"
    assert not [r for r in caplog.records if r.name.startswith("strawberry")]
    timeouts = [r for r in loud if "timeout" in r.getMessage().lower()]
    assert len(timeouts) == 1, [r.getMessage() for r in timeouts]
    assert "20 fields" in timeouts[0].getMessage()
    assert any(
        "secret_sleep" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG
    )


async def test_one_internal_error_per_cause_logged_once(
    service: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 17, point 7: the same failure in many fields is one INTERNAL error and one
    ERROR record with its stack."""

    async def exploding(*_: Any, **__: Any) -> Any:
        raise KeyError("the same bug")

    monkeypatch.setattr(region_resolvers, "search_regions", exploding)
    caplog.set_level(logging.INFO)
    _, body, _ = await post(
        service, _aliases(15, 'regions(search: "x") { totalCount }'), None, RESOLVER
    )
    assert codes(body) == ["INTERNAL"]
    error_id = body["errors"][0]["extensions"]["errorId"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and error_id in errors[0].getMessage()
    assert errors[0].exc_info is not None


async def test_errors_per_response_are_capped(open_app: Opener) -> None:
    """Issue 17, point 7: at most REGISTRY_MAX_ERRORS errors in a response, the last one
    saying how many were left out; repeated errors (same code and message) are sent once."""
    client = open_app(max_errors=10)
    query = "{ " + " ".join(f'a{i}: node(id: "bad{i}") {{ id }}' for i in range(25)) + " }"
    _, body, _ = await post(client, query)
    errors = body["errors"]
    assert len(errors) == 10
    assert codes(body) == ["BAD_USER_INPUT"] * 9 + ["TOO_MANY_ERRORS"]
    assert errors[-1]["extensions"]["leftOut"] == 16
    assert errors[-1]["message"].startswith("16 more errors were left out")
    _, body, _ = await post(client, '{ a: node(id: "bad") { id } b: node(id: "bad") { id } }')
    assert [e["path"] for e in body["errors"]] == [["a"]]


# --- point 13: what is logged at which level --------------------------------------------------


async def test_client_mistakes_are_logged_at_info(
    service: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 17, point 13: syntax errors, FORBIDDEN and limit refusals are INFO, not ERROR."""
    caplog.set_level(logging.DEBUG)
    mistakes = [
        "{ regions(",
        "{ noSuchField }",
        'mutation { createGroup(input: {name: "x", kind: REGIONAL, congressId: "x", '
        'regionCode: "110000"}) { group { id } } }',
        "{ regions(first: 100000) { totalCount } }",
        '{ node(id: "bad") { id } }',
    ]
    for query in mistakes:
        _, body, _ = await post(service, query, None, RESOLVER)
        assert body["errors"] and "INTERNAL" not in codes(body), body
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], [
        (r.name, r.getMessage()[:100]) for r in caplog.records if r.levelno >= logging.WARNING
    ]
    refused = [r.getMessage() for r in caplog.records if r.name == "registry.errors"]
    assert len(refused) == len(mistakes)
    assert any("Syntax Error" in m for m in refused), refused
    assert any("FORBIDDEN" in m for m in refused), refused
    assert any("PAGE_SIZE_LIMIT" in m for m in refused), refused


# --- point 9: malformed bodies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        (
            "nested 2,000 levels",
            b'{"query": "{ __typename }", "variables": {"a": '
            + b'{"a": ' * 2000
            + b"1"
            + b"}" * 2002,
        ),
        (
            "nested 1,000 levels",
            b'{"query": "{ __typename }", "variables": {"a": '
            + b'{"a": ' * 1000
            + b"1"
            + b"}" * 1002,
        ),
        ("invalid UTF-8", b'{"query": "{ __typename \xff\xfe }"}'),
        ("invalid UTF-8 in a key", b'{"que\xc3ry": "{ __typename }"}'),
        ("broken JSON", b'{"query": '),
    ],
)
async def test_a_malformed_body_gets_a_coded_400(
    service: httpx.AsyncClient, name: str, raw: bytes
) -> None:
    """Issue 17, point 9: a JSON body nested past the parser's depth, or not UTF-8, gets a
    400 with a JSON GraphQL error (BAD_REQUEST), not a plain-text 500; one nested within
    the parser's depth is answered."""
    for headers in ({}, RESOLVER):
        response = await service.post(
            "/graphql", content=raw, headers={"content-type": "application/json", **headers}
        )
        if name == "nested 1,000 levels":
            assert response.status_code == 200, response.text
            assert response.json() == {"data": {"__typename": "Query"}}
            continue
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/json"
        [error] = response.json()["errors"]
        assert error["extensions"] == {"code": "BAD_REQUEST"}


async def test_strawberry_s_own_refusals_are_coded_json(service: httpx.AsyncClient) -> None:
    """Issue 17, point 9: the refusals strawberry answered in plain text (content type,
    a mutation over GET, no query, an unknown operation, variables that are not JSON) are
    JSON GraphQL errors with a code."""
    answers = [
        await service.post(
            "/graphql", content=b"{ __typename }", headers={"content-type": "text/plain"}
        ),
        await service.get(
            "/graphql",
            params={"query": "mutation { __typename }"},
            headers={"accept": "application/json"},
        ),
        await service.post("/graphql", json={"variables": {}}),
        # An operationName that is not in the document.
        await service.post(
            "/graphql", json={"query": "query A { __typename }", "operationName": "C"}
        ),
        await service.get(
            "/graphql",
            params={"query": "{ __typename }", "variables": "{not json"},
            headers={"accept": "application/json"},
        ),
    ]
    for response in answers:
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


# --- point 10: input errors, with codes, alike on both paths ---------------------------------

NUL = "a\x00b"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($s: String) { regions(search: $s) { totalCount } }", {"s": NUL}),
        ('{ regions(search: "a\\u0000b") { totalCount } }', None),
        ("query($c: String!) { region(code: $c) { name } }", {"c": NUL}),
        ("query($f: DeputyFilter) { deputies(filter: $f) { totalCount } }", {"f": {"search": NUL}}),
        ('{ deputies(filter: {regionCode: "22\\u00000"}) { totalCount } }', None),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": NUL}),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["x", NUL]}),
        ('{ stations(regionCode: "x\\u0000") { totalCount } }', None),
        ('query($s: String = "a\\u0000") { regions(search: $s) { totalCount } }', None),
    ],
)
async def test_a_nul_character_is_bad_user_input(
    service: httpx.AsyncClient, query: str, variables: dict[str, Any] | None
) -> None:
    """Issue 17, point 10: a NUL character in any string argument, literal or variable, is
    refused up front with BAD_USER_INPUT (PostgreSQL's refusal came back as INTERNAL)."""
    answers = []
    for path, headers in PATHS.items():
        status, body, statements = await post(service, query, variables, headers)
        assert status == 200, path
        assert codes(body) == ["BAD_USER_INPUT"], (path, body)
        assert "NUL character" in body["errors"][0]["message"]
        assert statements == 0, path
        answers.append(body)
    assert answers[0] == answers[1]


@pytest.mark.parametrize("path", PATHS)
async def test_a_long_search_is_refused_with_a_code(
    service: httpx.AsyncClient, settings: Settings, path: str
) -> None:
    """Issue 17, point 10: a `search` of 2,048 characters (PostgreSQL: "word is too long
    in tsquery", INTERNAL) gets STRING_TOO_LONG naming the limit; at the limit it runs."""
    limit = settings.max_search_length
    for query, variables in [
        ("query($s: String) { regions(search: $s) { totalCount } }", {"s": "a" * 2048}),
        (
            "query($f: DeputyFilter) { deputies(filter: $f) { totalCount } }",
            {"f": {"search": "代" * 2048}},
        ),
        ('{ deputies(filter: {search: "%s"}) { totalCount } }' % ("a" * 2048), None),
    ]:
        _, body, statements = await post(service, query, variables, PATHS[path])
        assert codes(body) == ["STRING_TOO_LONG"], body
        assert body["errors"][0]["message"] == (
            f"The string given for `search` has 2048 characters, exceeding the limit of "
            f"{limit} (by {2048 - limit})."
        )
        assert statements == 0
    _, body, _ = await post(
        service,
        "query($s: String) { regions(search: $s) { totalCount } }",
        {"s": "a" * limit},
        PATHS[path],
    )
    assert body == {"data": {"regions": {"totalCount": 0}}}


async def test_other_strings_have_a_general_limit(
    service: httpx.AsyncClient, settings: Settings
) -> None:
    """Issue 17, point 10: any other string is bounded by REGISTRY_MAX_STRING_LENGTH."""
    limit = settings.max_string_length
    for headers in PATHS.values():
        _, body, _ = await post(
            service,
            "query($c: String!) { region(code: $c) { name } }",
            {"c": "1" * (limit + 1)},
            headers,
        )
        assert codes(body) == ["STRING_TOO_LONG"]
        assert "`code` has" in body["errors"][0]["message"]


async def test_a_subscription_over_post_is_a_coded_400(service: httpx.AsyncClient) -> None:
    """Issue 17, point 10: a subscription sent over POST ran its resolver as a query and
    answered INTERNAL; it gets a 400 saying subscriptions are served over WebSocket."""
    query = 'subscription { attendanceRecorded(meetingId: "TWVldGluZzox") { id } }'
    for headers in PATHS.values():
        status, body, statements = await post(service, query, None, headers)
        assert status == 400
        assert codes(body) == ["BAD_REQUEST"]
        assert "WebSocket" in body["errors"][0]["message"]
        assert statements == 0


# Requests a client can get wrong in every way we know of: each error must carry a code,
# and the compiled path must answer exactly as the resolver path.
ERROR_PATHS: list[tuple[str, dict[str, Any] | None, str]] = [
    ("{ regions(first: -1) { totalCount } }", None, "BAD_USER_INPUT"),
    ('{ regions(after: "garbage") { totalCount } }', None, "BAD_USER_INPUT"),
    ('{ deputies(first: 5, after: "WyJ4Il0=") { totalCount } }', None, "BAD_USER_INPUT"),
    ('{ node(id: "not an id") { id } }', None, "BAD_USER_INPUT"),
    ('{ node(id: "RGVwdXR5OmFiYw==") { id } }', None, "BAD_USER_INPUT"),
    ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["bad"]}, "BAD_USER_INPUT"),
    ("{ regions(", None, "GRAPHQL_PARSE_FAILED"),
    ('{ region(code: "11) { name } }', None, "GRAPHQL_PARSE_FAILED"),
    ("query { ...on }", None, "GRAPHQL_PARSE_FAILED"),
    ("{ noSuchField }", None, "GRAPHQL_VALIDATION_FAILED"),
    ('{ region(code: "110000") { nmae } }', None, "GRAPHQL_VALIDATION_FAILED"),
    ('{ region(cod: "110000") { name } }', None, "GRAPHQL_VALIDATION_FAILED"),
    ("{ region(code: 110000) { name } }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("{ region { name } }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("{ regions(level: NATIONL) { totalCount } }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("{ ...Missing }", None, "GRAPHQL_VALIDATION_FAILED"),
    (
        'fragment F on Region { ...F } { region(code: "1") { ...F } }',
        None,
        "GRAPHQL_VALIDATION_FAILED",
    ),
    ("query($x: Int) { __typename }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("{ __typename(x: 1) }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("query($c: String!) { region(code: $c) { name } }", None, "BAD_USER_INPUT"),
    ("query($c: String!) { region(code: $c) { name } }", {"c": 12}, "BAD_USER_INPUT"),
    ("query($l: Level) { regions(level: $l) { totalCount } }", {"l": "NOPE"}, "BAD_USER_INPUT"),
    (
        "query($f: DeputyFilter) { deputies(filter: $f) { totalCount } }",
        {"f": {"serch": "x"}},
        "BAD_USER_INPUT",
    ),
    ("query($n: Int) { regions(first: $n) { totalCount } }", {"n": "ten"}, "BAD_USER_INPUT"),
    (
        'query($d: Date!) { reports { stationActivity(regionCode: "110000", from: $d, to: $d) '
        "{ receptions } } }",
        {"d": "not-a-date"},
        "BAD_USER_INPUT",
    ),
    ("{ regions(first: 100000) { totalCount } }", None, "PAGE_SIZE_LIMIT"),
    ("{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }", None, "ALIAS_LIMIT"),
    (
        '{ region(code: "100000") { ' + "children { nodes { " * 7 + "name" + " } }" * 7 + " } }",
        None,
        "DEPTH_LIMIT",
    ),
    ("{ " + "__typename " * 2100 + "}", None, "TOKEN_LIMIT"),
    ("{ __typename }" + " " * 70_000, None, "DOCUMENT_TOO_LARGE"),
    ("query($s: String) { regions(search: $s) { totalCount } }", {"s": NUL}, "BAD_USER_INPUT"),
    (
        "query($s: String) { regions(search: $s) { totalCount } }",
        {"s": "s" * 3000},
        "STRING_TOO_LONG",
    ),
    (
        'mutation { createGroup(input: {name: "x", kind: REGIONAL, congressId: "x", '
        'regionCode: "110000"}) { group { id } } }',
        None,
        "FORBIDDEN",
    ),
]


async def test_every_client_error_has_a_code_on_both_paths(service: httpx.AsyncClient) -> None:
    """Issue 17, point 10: every error a client can cause carries extensions.code (a
    negative `first`, a bad cursor or ID, every parse and validation error had none), and
    the compiled path refuses exactly as the resolver path does."""
    uncoded, wrong, differ = [], [], []
    for query, variables, expected in ERROR_PATHS:
        answers = []
        for headers in PATHS.values():
            status, body, _ = await post(service, query, variables, headers)
            assert status == 200, (query[:80], body)
            found = codes(body)
            if not found or None in found:
                uncoded.append((query[:80], body))
            elif expected not in found or "INTERNAL" in found:
                wrong.append((query[:80], expected, found))
            answers.append(body)
        if answers[0] != answers[1]:
            differ.append((query[:80], answers))
    assert not uncoded, uncoded
    assert not wrong, wrong
    assert not differ, differ


# --- point 11: no suggestions with introspection off -----------------------------------------

SUGGESTING = [
    ("{ deputies(first: 1) { nodes { phon } } }", None),
    ("{ regions(frist: 1) { totalCount } }", None),
    ("{ regions(level: NATIONL) { totalCount } }", None),
    ('{ deputies(filter: {serch: "x"}) { totalCount } }', None),
    ("query($f: DeputyFilter) { deputies(filter: $f) { totalCount } }", {"f": {"serch": "x"}}),
    ("query($l: Level) { regions(level: $l) { totalCount } }", {"l": "NATIONL"}),
    ("{ ... on Deputi { __typename } }", None),
    ("query($x: Deputyfilter) { __typename }", None),
]


async def test_no_suggestions_when_introspection_is_off(open_app: Opener) -> None:
    """Issue 17, point 11: with REGISTRY_INTROSPECTION=false no error suggests a name ("Did
    you mean 'phone'?"), on either path; with it on, the hints stay (GraphiQL users)."""
    closed, open_ = open_app(introspection=False), open_app()
    hinted = 0
    for query, variables in SUGGESTING:
        for headers in PATHS.values():
            _, body, _ = await post(closed, query, variables, headers)
            assert body["errors"], query
            for error in body["errors"]:
                assert "Did you mean" not in error["message"], (query, error)
                assert "phone" not in error["message"]
                assert error["extensions"]["code"]
            _, body, _ = await post(open_, query, variables, headers)
            hinted += any("Did you mean" in e["message"] for e in body["errors"])
    assert hinted == 2 * len(SUGGESTING)  # every probe does suggest with introspection on
