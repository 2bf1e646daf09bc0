"""Issue 17, point 8: a revoked token is refused on every surface of every worker within a
second, also while a worker's listener connection is lost.

The main tests run a real server with two worker processes (uvicorn --workers 2, as
`registry serve --workers 2`); every answer names the worker that gave it, so that each
surface is checked on both. Revocations are committed (a notification leaves PostgreSQL only
at commit) and touch only audit_log rows of fresh tokens, so the shared database stays as
the other tests expect it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from core.settings import PROJECT_ROOT, Settings
from service import auth
from service.auth import issue_token, token_id
from service.cli import revoke
from service.live import LISTENER_NAME, Broker
from tests.test_subscriptions import free_port

WORKERS = 2
WORKER_HEADER = "x-test-worker"
PROTOCOL = "graphql-transport-ws"
# The window the issue asks for; the measured one is a few milliseconds.
WINDOW_SECONDS = 1.0
REVOKED = "The token has been revoked."

DEPUTIES = "query Few { deputies(first: 2) { nodes { id name phone } } }"
MUTATION = """
mutation End($id: ID!) { endMandate(input: {mandateId: $id, endDate: "2024-01-01",
  reason: OTHER}) { mandate { id } userErrors { code } } }
"""
MANDATES = "subscription($code: String!) { mandateChanged(regionCode: $code) { kind } }"


def app() -> ASGIApp:
    """The service as `registry serve` runs it, each answer naming its worker process."""
    from core.settings import get_settings
    from service.app import create_app

    inner = create_app(get_settings())
    worker = (WORKER_HEADER.encode(), str(os.getpid()).encode())

    async def named(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_named(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = {**message, "headers": [*message.get("headers", []), worker]}
            await send(message)

        await inner(scope, receive, send_named)

    return named


async def listeners(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                "AND datname = current_database()"
            ),
            {"name": LISTENER_NAME},
        )
        return int(found.scalar_one())


async def wait_for_listeners(engine: AsyncEngine, count: int) -> None:
    for _ in range(300):
        if await listeners(engine) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} listener connections")


@pytest.fixture(scope="module")
def server(database_url: str, settings: Settings) -> Iterator[str]:
    """A uvicorn server with two worker processes on a free loopback port."""
    import subprocess

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REGISTRY_JWT_SECRET": settings.jwt_secret or "",
        "REGISTRY_ACCESS_LOG": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tests.test_revocation:app",
         "--workers", str(WORKERS), "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


# ---------------------------------------------------------------- the surfaces


Probe = Callable[[httpx.AsyncClient, dict[str, str]], Awaitable[httpx.Response]]


async def _stream_status(
    http: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], **kw: Any
) -> httpx.Response:
    """The answer's status and headers; a body streamed on success is not read."""
    async with http.stream(method, url, headers=headers, **kw) as response:
        if response.status_code != 200:
            await response.aread()
        return response


def surfaces(mandate_id: str, county: str, template: bytes) -> dict[str, Probe]:
    def graphql_post(path: str | None) -> Probe:
        async def probe(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
            extra = {"X-Registry-Path": path} if path else {}
            body = {"query": DEPUTIES, "operationName": "Few"}
            return await http.post("/graphql", json=body, headers={**headers, **extra})

        return probe

    async def graphql_get(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        return await http.get(
            "/graphql",
            params={"query": DEPUTIES},
            headers={**headers, "Accept": "application/json"},
        )

    async def mutation(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        body = {"query": MUTATION, "variables": {"id": mandate_id}}
        return await http.post("/graphql", json=body, headers=headers)

    async def export(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        return await _stream_status(http, "GET", f"/exports/{county}/deputies.csv", headers)

    async def import_(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        return await http.post(
            "/imports/deputies",
            params={"dryRun": "true", "filename": "deputies.csv"},
            content=template,
            headers={**headers, "Content-Type": "text/csv"},
        )

    async def report(http: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
        return await http.get(
            "/reports/composition.csv", params={"regionCode": county}, headers=headers
        )

    return {
        "GraphQL POST, compiled path (cached plan)": graphql_post(None),
        "GraphQL POST, resolver path": graphql_post("resolver"),
        "GraphQL GET": graphql_get,
        "mutation": mutation,
        "export": export,
        "import (dry run)": import_,
        "CSV report": report,
    }


async def on_every_worker(
    base: str, probe: Probe, token: str, done: Callable[[httpx.Response], bool] | None = None
) -> dict[str, list[httpx.Response]]:
    """The answers to `probe`, each on a new connection, until every worker has given one
    (and, with `done`, one for which done() holds); by worker."""
    answers: dict[str, list[httpx.Response]] = {}
    finished: set[str] = set()
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(120):
        # A new connection each time: the workers take turns accepting them.
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            response = await probe(http, headers)
        worker = response.headers[WORKER_HEADER]
        answers.setdefault(worker, []).append(response)
        if done is None or done(response):
            finished.add(worker)
        if len(finished) == WORKERS:
            return answers
    raise AssertionError(f"only workers {sorted(finished)} of {WORKERS} answered as wanted")


@pytest.fixture(scope="module")
async def targets(engine: AsyncEngine) -> tuple[str, str]:
    from resolvers.ids import encode_id

    async with engine.connect() as conn:
        mandate = (await conn.execute(text("SELECT min(id) FROM mandates"))).scalar_one()
        # A county with few deputies: its export is short.
        county = (
            await conn.execute(
                text(
                    "SELECT r.code FROM regions r JOIN deputies d ON d.locality_code = r.code "
                    "WHERE r.level = 'COUNTY' GROUP BY r.code ORDER BY count(*), r.code LIMIT 1"
                )
            )
        ).scalar_one()
    # Ending a mandate on an unknown ID: a userError, nothing written.
    return encode_id("Mandate", 10**9 + mandate), county


async def test_a_revoked_token_is_refused_on_every_surface_of_every_worker(
    server: str, settings: Settings, engine: AsyncEngine, targets: tuple[str, str]
) -> None:
    """Issue 17, point 8: after `registry revoke-token`, both worker processes refuse the
    token with 401 within a second on every surface (GraphQL POST on both read paths,
    a cached-plan fast-lane request included, GET, a mutation, an export, an import, a CSV
    report), although each had seen it valid just before."""
    await wait_for_listeners(engine, WORKERS)
    async with httpx.AsyncClient(base_url=server) as http:
        template = (await http.get("/imports/deputies/template.csv")).content
    probes = surfaces(*targets, template)
    token = issue_token(settings, "leaver", "admin")

    # Each worker has seen the token valid, and trusts it: the fast lane answers from the
    # plan with its one statement and no revocation lookup.
    for name, probe in probes.items():
        seen = await on_every_worker(server, probe, token)
        for answers in seen.values():
            assert all(a.status_code == 200 for a in answers), (name, answers[0].text)
    lane = probes["GraphQL POST, compiled path (cached plan)"]
    trusted = await on_every_worker(
        server,
        lane,
        token,
        lambda a: (
            a.headers.get("x-registry-plan") == "cached" and a.headers["x-sql-statements"] == "1"
        ),
    )
    phones = trusted[next(iter(trusted))][-1].json()["data"]["deputies"]["nodes"]
    assert any(node["phone"] for node in phones)  # personal data, as an admin reads it

    # How long until the first refusal (printed for the record; bounded below).
    accepted = 0
    async with httpx.AsyncClient(base_url=server) as http:
        await revoke(settings, token, "left the office")
        revoked_at = time.monotonic()
        while True:
            sent_at = time.monotonic()
            first = await lane(http, {"Authorization": f"Bearer {token}"})
            if first.status_code == 401 or sent_at - revoked_at > 5:
                break
            accepted += 1
    print(
        f"first refused request sent {1000 * (sent_at - revoked_at):.1f} ms after the "
        f"revocation, {accepted} accepted before it"
    )
    await asyncio.sleep(max(0.0, revoked_at + WINDOW_SECONDS - time.monotonic()))

    for name, probe in probes.items():
        seen = await on_every_worker(server, probe, token)
        for worker, answers in seen.items():
            statuses = [a.status_code for a in answers]
            assert statuses == [401] * len(answers), (name, worker, statuses)
            assert REVOKED in answers[0].text, (name, answers[0].text)


@asynccontextmanager
async def subscribed(url: str, token: str) -> AsyncIterator[tuple[str, ClientConnection]]:
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        worker = ws.response.headers[WORKER_HEADER]
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        payload = {"query": MANDATES, "variables": {"code": "220000"}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        yield worker, ws


async def test_a_revoked_tokens_subscriptions_end_on_every_worker(
    server: str, settings: Settings, engine: AsyncEngine
) -> None:
    """Issue 17, point 8: a live subscription of a token that gets revoked ends within a
    second with UNAUTHENTICATED on every worker; a new subscription with it, on the same
    connection or a new one, is refused."""
    await wait_for_listeners(engine, WORKERS)
    url = server.replace("http://", "ws://") + "/graphql"
    token = issue_token(settings, "leaver", "admin")
    streams: dict[str, ClientConnection] = {}
    async with asyncio.timeout(60):
        opened = []
        try:
            while len(streams) < WORKERS:
                context = subscribed(url, token)
                worker, ws = await context.__aenter__()
                opened.append(context)
                streams.setdefault(worker, ws)
            await asyncio.sleep(0.5)  # each subscription registered with its listener

            await revoke(settings, token, "left the office")
            deadline = time.monotonic() + WINDOW_SECONDS
            for worker, ws in streams.items():
                left = max(0.01, deadline - time.monotonic())
                message = json.loads(await asyncio.wait_for(ws.recv(), left))
                assert message["type"] == "next", (worker, message)
                [error] = message["payload"]["errors"]
                assert error["message"] == REVOKED, (worker, message)
                assert error["extensions"]["code"] == "UNAUTHENTICATED"
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "complete"
            for worker, ws in streams.items():
                # A new subscription on the same connection is refused too.
                payload = {"query": MANDATES, "variables": {"code": "220000"}}
                await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": payload}))
                message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert message["id"] == "2" and message["type"] == "next", (worker, message)
                assert message["payload"]["errors"][0]["message"] == REVOKED
        finally:
            for context in opened:
                await context.__aexit__(None, None, None)

        refused: set[str] = set()
        for _ in range(60):
            async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
                worker = ws.response.headers[WORKER_HEADER]
                init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
                await ws.send(json.dumps(init))
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
            refused.add(worker)
            if len(refused) == WORKERS:
                break
        assert len(refused) == WORKERS


async def test_revoked_while_the_listeners_are_cut_off(
    server: str, settings: Settings, engine: AsyncEngine
) -> None:
    """Issue 17, point 8: a revocation committed while every worker's listener connection is
    being cut (so that no worker hears of it) is still refused within a second on both; once
    the listeners are back, tokens are trusted again without a lookup per request."""
    await wait_for_listeners(engine, WORKERS)
    probes = surfaces("", "", b"")
    lane = probes["GraphQL POST, compiled path (cached plan)"]
    token = issue_token(settings, "leaver", "admin")
    await on_every_worker(
        server, lane, token, lambda a: a.headers["x-sql-statements"] == "1"
    )  # fmt: skip
    async with engine.begin() as conn:
        cut = await conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) "
                "FROM pg_stat_activity WHERE application_name = :name "
                "AND datname = current_database()"
            ),
            {"name": LISTENER_NAME},
        )
        assert cut.scalar_one() == WORKERS
        await conn.execute(
            text(
                "INSERT INTO audit_log (actor, role, action, entity, entity_id) "
                "VALUES ('test', 'admin', 'revokeToken', 'Token', :jti)"
            ),
            {"jti": token_id(settings, token)},
        )
    revoked_at = time.monotonic()
    await asyncio.sleep(max(0.0, revoked_at + WINDOW_SECONDS - time.monotonic()))
    seen = await on_every_worker(server, lane, token)
    for worker, answers in seen.items():
        assert [a.status_code for a in answers] == [401] * len(answers), worker

    await wait_for_listeners(engine, WORKERS)
    other = issue_token(settings, "stayer", "admin")
    await on_every_worker(server, lane, other, lambda a: a.headers["x-sql-statements"] == "1")


# ---------------------------------------------------------------- one process, step by step


async def test_a_lost_listener_means_a_lookup_on_every_request(
    http: httpx.AsyncClient, settings: Settings, connection: AsyncConnection, database_url: str
) -> None:
    """Issue 17, point 8: while its listener is connected a process trusts a token it has
    checked; while the listener is lost (and cannot reconnect) every request looks the token
    up again, so a revocation it cannot hear of is still refused."""
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    dsn = [database_url]
    broker = Broker(lambda: dsn[0])
    token = issue_token(settings, "leaver", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"query": DEPUTIES, "operationName": "Few"}

    async def statements() -> str:
        answer = await http.post("/graphql", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-registry-plan"] == "cached"
        return answer.headers["x-sql-statements"]

    async def until(condition: Callable[[], bool]) -> None:
        for _ in range(100):
            if condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the listener did not get there")

    broker.start()
    try:
        await until(auth.listening)
        await http.post("/graphql", json=body, headers=headers)  # planned, token looked up
        assert await statements() == "1"  # the plan's statement, the token trusted

        dsn[0] = dead  # it cannot come back
        server_pid = broker.server_pid()
        assert server_pid is not None
        await connection.execute(
            text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": server_pid}
        )
        await until(lambda: not auth.listening())
        assert await statements() == "2"  # looked up again
        assert await statements() == "2"
        await connection.execute(
            text(
                "INSERT INTO audit_log (actor, role, action, entity, entity_id) "
                "VALUES ('test', 'admin', 'revokeToken', 'Token', :jti)"
            ),
            {"jti": token_id(settings, token)},
        )  # not committed: nobody is notified, the lookup sees it
        refused = await http.post("/graphql", json=body, headers=headers)
        assert refused.status_code == 401 and REVOKED in refused.text

        dsn[0] = database_url
        await until(auth.listening)
        headers["Authorization"] = f"Bearer {issue_token(settings, 'stayer', 'admin')}"
        await http.post("/graphql", json=body, headers=headers)
        assert await statements() == "1"
    finally:
        await broker.close()
    assert not auth.listening()


# ---------------------------------------------------------------- tokens and the command


async def test_a_token_without_an_id_is_refused(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    """Issue 17, point 8: a token with no id (jti), which no revocation could name, is refused
    with 401 like any bad token."""
    import jwt

    claims = {"sub": "x", "role": "admin", "exp": int(time.time()) + 600}
    unnamed = jwt.encode(claims, auth.secret(settings), algorithm=auth.ALGORITHM)
    answer = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {unnamed}"}
    )
    assert answer.status_code == 401
    assert answer.json()["errors"][0] == {
        "message": "The token has no id (jti); ask for a new one.",
        "extensions": {"code": "UNAUTHENTICATED"},
    }


def test_the_revoke_token_command(
    settings: Settings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17, point 8: `registry revoke-token` records the revocation (the audit entry
    whose insert notifies every process) and refuses, changing nothing, what is not a token
    of this service."""
    from typer.testing import CliRunner

    from core.settings import get_settings
    from service import cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRY_JWT_SECRET", settings.jwt_secret or "")
    get_settings.cache_clear()
    try:
        token = issue_token(settings, "leaver", "editor", "220000")
        done = CliRunner().invoke(cli.app, ["revoke-token", token, "--reason", "left"])
        forged = CliRunner().invoke(cli.app, ["revoke-token", token[:-4] + "AAAA"])
    finally:
        get_settings.cache_clear()
    jti = token_id(settings, token)
    assert done.exit_code == 0, done.output
    assert done.output == f"revoked token {jti}\n"
    assert forged.exit_code == 2
    assert "not a token this service signed" in forged.output

    async def entries() -> list[tuple[str, Any]]:
        from db.engine import create_engine

        engine = create_engine(settings)
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    text(
                        "SELECT entity_id, after FROM audit_log "
                        "WHERE action = 'revokeToken' AND entity_id = :jti"
                    ),
                    {"jti": jti},
                )
                return [tuple(row) for row in found]
        finally:
            await engine.dispose()

    # One entry: the forged token wrote nothing.
    assert asyncio.run(entries()) == [(jti, {"reason": "left"})]
