"""Schemathesis in GraphQL mode against the service served over real HTTP.

The service runs under uvicorn in a thread on a free local port, on the test database,
through a read-only connection pool (nothing a generated request does can stay behind).
The schema is loaded from the server's own introspection; a fixed number of generated
queries and mutations, valid and invalid, are sent anonymously, for every operation of the
schema (each root field of Query and Mutation), with strings that hold NUL characters and
strings of thousands of characters among the generated ones (issue 17, point 10). No
answer may be a 5xx, no error may be an INTERNAL one (a bug the masking hid), and every
error, a 4xx answer's too, must carry `extensions.code`.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes
from schemathesis.specs.graphql.scalars import CUSTOM_SCALARS
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.settings import Settings
from db.engine import async_url
from db.session import RequestDatabase
from tests.test_limits import guarded_app

EXAMPLES = 150
EXAMPLES_PER_OPERATION = 12  # for each of the schema's ~33 operations, besides the above
# Text that must never reach a client.
LEAKS = re.compile(r"Traceback|\[SQL:|\bSELECT\b|sqlalchemy|asyncpg|psycopg|File \"/")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    pool: dict[str, AsyncEngine]

    def checked_out(self) -> int:
        """Database connections the service holds right now (none between requests)."""
        engine = self.pool.get("engine")
        return engine.pool.checkedout() if engine is not None else 0  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server(settings: Settings, engine: AsyncEngine) -> Iterator[Server]:
    """The service under uvicorn on a free port (`engine` has migrated and seeded)."""
    import uvicorn

    fuzz_settings = settings.model_copy(update={"statement_timeout_ms": 5000})
    pool: dict[str, AsyncEngine] = {}

    def database() -> RequestDatabase:
        # Built on first use, inside the server's event loop, which asyncpg binds it to.
        if "engine" not in pool:
            assert fuzz_settings.database_url is not None
            pool["engine"] = create_async_engine(
                async_url(fuzz_settings.database_url),
                pool_size=4,
                connect_args={
                    "server_settings": {
                        "default_transaction_read_only": "on",
                        "statement_timeout": str(fuzz_settings.statement_timeout_ms),
                    }
                },
            )
        return RequestDatabase(engine=pool["engine"])

    app = guarded_app(fuzz_settings, database)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)

    async def serve() -> None:
        try:
            await uvicorn_server.serve()
        finally:
            if "engine" in pool:
                await pool["engine"].dispose()

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uvicorn_server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", pool)
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=15)


def problems_in(response: requests.Response) -> list[str]:
    if response.status_code >= 500:
        return [f"HTTP {response.status_code}: {response.text[:300]}"]
    if LEAKS.search(response.text):
        return [f"leaked internals: {response.text[:300]}"]
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        return [f"not JSON (HTTP {response.status_code}): {response.text[:300]}"]
    found = []
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL":
            found.append(f"INTERNAL error (see the registry.errors log): {error}")
        elif not isinstance(code, str) or not code:
            found.append(f"error without a code: {error}")
    if response.status_code != 200 and not body.get("errors"):
        found.append(f"HTTP {response.status_code} without an error: {response.text[:300]}")
    return found


def _hostile_strings() -> st.SearchStrategy[str]:
    """Short text, text with NUL characters, and strings of 2,000 to 12,000 characters
    (beyond the search and general string limits)."""
    long = st.builds(lambda char, size: char * size, st.characters(), st.integers(2000, 12_000))
    with_nul = st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=8), st.text(max_size=8))
    return st.one_of(st.text(max_size=24), with_nul, long)


SAMPLE_IDS = """
{ regions(first: 10) { nodes { id } } deputies(first: 10) { nodes { id mandates { id } } }
  stations(first: 5) { nodes { id } } groups(first: 5) { nodes { id } }
  region(code: "110000") { congress { id currentTerm { id } committees { id } } } }
"""


def _ids(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "id" and isinstance(inner, str):
                yield inner
            else:
                yield from _ids(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _ids(inner)


@pytest.fixture
def real_ids(server: Server) -> Iterator[list[str]]:
    """IDs of existing objects, so that generated requests reach rows, not only 'not found'."""
    response = requests.post(f"{server.url}/graphql", json={"query": SAMPLE_IDS}, timeout=30)
    ids = sorted(set(_ids(response.json()["data"])))
    assert len(ids) > 10, response.text
    strings = st.one_of(st.sampled_from(ids), _hostile_strings())
    schemathesis.graphql.scalar("ID", strings.map(nodes.String))
    schemathesis.graphql.scalar("String", _hostile_strings().map(nodes.String))
    yield ids
    for name in ("ID", "String"):
        CUSTOM_SCALARS.pop(name, None)  # registered process-wide: leave no trace


def _run_cases(
    server: Server, strategy: st.SearchStrategy[Any], examples: int, problems: dict[str, str]
) -> int:
    """Send `examples` generated requests; collect each kind of problem once. The count sent."""
    session = requests.Session()
    sent = [0]

    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        # Shrinking could take minutes; every problem is collected with its query instead.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def send(case: Any) -> None:
        held = server.checked_out()
        response = case.call(session=session, timeout=30)
        sent[0] += 1
        found = problems_in(response)
        time.sleep(0.02)  # work the request left running shows up within this
        if server.checked_out() > held:
            # Each such request takes a pooled connection for good: enough of them and
            # the service stops answering.
            found.append("a database connection stayed checked out after the answer")
        for problem in found:
            problems.setdefault(problem[:200], f"{problem}\n  request: {str(case.body)[:1000]!r}")

    try:
        send()
    finally:
        session.close()
    return sent[0]


def test_every_operation_gets_clean_answers_to_hostile_strings(
    server: Server, real_ids: list[str]
) -> None:
    """Issue 17, point 10: every operation of the schema, fuzzed with NUL characters and
    long strings allowed: 0 INTERNAL errors, 0 5xx, a code on every error."""
    schema = schemathesis.graphql.from_url(f"{server.url}/graphql", timeout=30)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert len(labels) >= 30, labels  # Query's and Mutation's root fields
    problems: dict[str, str] = {}
    covered = set()
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
            operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
        )
        if _run_cases(server, strategy, EXAMPLES_PER_OPERATION, problems):
            covered.add(operation.label)
    assert covered == labels
    assert not problems, "\n\n".join(problems.values())
    assert server.checked_out() == 0, "database connections leaked"


def test_generated_requests_get_clean_answers(server: Server, real_ids: list[str]) -> None:
    schema = schemathesis.graphql.from_url(f"{server.url}/graphql", timeout=30)
    strategy = st.one_of(
        schema.as_strategy(GenerationMode.POSITIVE), schema.as_strategy(GenerationMode.NEGATIVE)
    )
    problems: dict[str, str] = {}
    sent = [_run_cases(server, strategy, EXAMPLES, problems)]
    assert sent[0] >= EXAMPLES // 2, f"only {sent[0]} requests were sent"
    assert not problems, "\n\n".join(problems.values())
    assert server.checked_out() == 0, "database connections leaked"


def test_no_request_leaves_a_connection_behind(server: Server, real_ids: list[str]) -> None:
    """Work a request leaves running (e.g. sibling loads of a failed gather) must not take
    a pooled connection after the request has given its own back."""
    hostile = [
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ["bad", *real_ids[:8]]}),
        ("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [*real_ids[:8], "bad"]}),
        ('{ a: node(id: "bad") { id } b: deputies(first: 5) { nodes { name } } }', None),
        ('{ regions(after: "bad") { totalCount } deputies(first: 5) { nodes { id } } }', None),
    ]
    leaks = []
    with requests.Session() as session:
        for query, variables in hostile:
            held = server.checked_out()
            response = session.post(
                f"{server.url}/graphql", json={"query": query, "variables": variables}, timeout=30
            )
            assert response.status_code == 200, response.text
            time.sleep(0.2)
            if server.checked_out() > held:
                leaks.append(query)
    assert not leaks, f"connections still checked out after: {leaks}"


def test_malformed_bodies_get_a_coded_400_and_keep_the_connection(server: Server) -> None:
    """Issue 17, point 9: over one keep-alive connection to the running server, a JSON body
    nested 2,000 levels deep and a body that is not UTF-8 each get a 400 with a JSON error
    (BAD_REQUEST), not a plain-text 500 and a reset connection; the next request on the
    same connection is answered."""
    nested = (
        b'{"query": "{ __typename }", "variables": {"a": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2002
    )
    bodies = [nested, b'{"query": "{ __typename \xff }"}', b'{"query": "{ __typename }"}']
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        answers = []
        for raw in bodies:
            # On a connection the server had closed, this would raise (no reconnecting).
            connection.request(
                "POST", "/graphql", body=raw, headers={"content-type": "application/json"}
            )
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())))
            assert not response.will_close
    finally:
        connection.close()
    for status, body in answers[:2]:
        assert status == 400, body
        assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert answers[2] == (200, {"data": {"__typename": "Query"}})
