"""Live updates (issue 9): a real uvicorn server streams, over graphql-transport-ws, events that
another process writes to the database; roles apply as in queries.

The writes here are committed (a notification leaves PostgreSQL only at commit), so each
test puts the shared test database back as it was.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from core.settings import PROJECT_ROOT, Settings
from resolvers.ids import encode_id
from service.auth import issue_token
from service.live import LISTENER_NAME

PROTOCOL = "graphql-transport-ws"


def app() -> Starlette:
    """The service as `registry serve` runs it (uvicorn --factory)."""
    from core.settings import get_settings
    from service.app import create_app

    application = create_app(get_settings())
    if not any(isinstance(r, WebSocketRoute) for r in application.routes):
        # Until service.app wires subscriptions in: the same wiring, done here.
        import strawberry

        import schema
        from db.engine import create_engine
        from db.session import RequestDatabase
        from schema.subscriptions import Subscription
        from service.live import LiveGraphQL, live_routes

        full = strawberry.Schema(
            query=schema.Query,
            mutation=schema.Mutation,
            subscription=Subscription,
            types=list(schema.NODE_TYPES.values()),
        )
        engine = create_engine(get_settings())
        live = LiveGraphQL(get_settings(), lambda: RequestDatabase(engine=engine), schema=full)
        application.router.routes[0:0] = live_routes(live)
    return application


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(database_url: str, settings: Settings) -> Iterator[str]:
    """A uvicorn process serving the app on a free loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REGISTRY_JWT_SECRET": settings.jwt_secret or "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tests.test_subscriptions:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=PROJECT_ROOT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=20)


@asynccontextmanager
async def subscription(
    url: str, token: str | None, query: str, variables: dict[str, Any]
) -> AsyncIterator[ClientConnection]:
    async with connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
        message = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        yield ws


async def next_event(ws: ClientConnection, timeout: float = 20) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message["payload"]
    return message["payload"]["data"]  # type: ignore[no-any-return]


async def listening(engine: AsyncEngine, subscribers: int = 1) -> None:
    """Wait until the server's listener connection has LISTENed (and the subscriptions,
    registered right after it, are in place)."""
    async with engine.connect() as conn:
        for _ in range(200):
            found = await conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                    "AND datname = current_database() "
                    # Its probes (service.listener) follow its LISTENs.
                    "AND (query LIKE 'LISTEN%' OR query LIKE '%pg_notify%')"
                ),
                {"name": LISTENER_NAME},
            )
            if found.scalar_one():
                break
            await conn.rollback()
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the server never started listening")
    await asyncio.sleep(0.5 * subscribers)


async def other_process(database_url: str, script: str) -> None:
    """Run `script` (async code with `engine` at hand) in a separate Python process."""
    program = (
        "import asyncio\n"
        "from db.engine import create_engine\n"
        "from core.settings import Settings\n"
        "async def main():\n"
        f"    engine = create_engine(Settings(database_url={database_url!r}))\n"
        + "".join(f"    {line}\n" for line in script.strip().splitlines())
        + "    await engine.dispose()\n"
        "asyncio.run(main())\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", program, cwd=PROJECT_ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()


def token(settings: Settings, role: str, region: str | None = None) -> str:
    return issue_token(settings, f"test-live-{role}", role, region)


ATTENDANCE = """
subscription($meeting: ID!) { attendanceRecorded(meetingId: $meeting) {
  level spoke meeting { id } deputy { id name phone idNumber } } }
"""


async def test_attendance_written_by_another_process_reaches_every_subscriber(
    server: str, settings: Settings, engine: AsyncEngine, database_url: str
) -> None:
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT a.*, d.name, d.phone FROM attendances a JOIN deputies d ON d.id = a.deputy_id "
                    "ORDER BY a.id LIMIT 1"
                )
            )
        ).one()
        # Forgotten for a moment, so that the other process can record it again.
        await conn.execute(text("DELETE FROM attendances WHERE id = :id"), {"id": row.id})
    meeting, deputy = encode_id("Meeting", row.meeting_id), encode_id("Deputy", row.deputy_id)
    try:
        async with (
            subscription(server, None, ATTENDANCE, {"meeting": meeting}) as anonymous,
            subscription(
                server, token(settings, "admin"), ATTENDANCE, {"meeting": meeting}
            ) as admin,
        ):
            await listening(engine, 2)
            await other_process(
                database_url,
                f"""
from resolvers.mutations.attendance import AttendeeSpec, record_attendance
from resolvers.mutations.base import Actor
from db.enums import Level
async with engine.begin() as conn:
    await record_attendance(conn, Actor("other-process", "admin"), {meeting!r},
                            [AttendeeSpec({deputy!r}, Level.{row.level}, {row.spoke})])
""",
            )
            seen_by_anonymous = (await next_event(anonymous))["attendanceRecorded"]
            seen_by_admin = (await next_event(admin))["attendanceRecorded"]
        expected = {"level": row.level, "spoke": row.spoke, "meeting": {"id": meeting}}
        for seen in (seen_by_anonymous, seen_by_admin):
            assert {k: seen[k] for k in expected} == expected
            assert seen["deputy"]["id"] == deputy and seen["deputy"]["name"] == row.name
        # Personal data as in queries: hidden from the anonymous caller, shown to an admin.
        assert seen_by_anonymous["deputy"]["phone"] is None
        assert seen_by_anonymous["deputy"]["idNumber"] is None
        assert seen_by_admin["deputy"]["phone"] == row.phone
    finally:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO attendances (meeting_id, deputy_id, mandate_id, level, spoke) "
                    "SELECT :m, :d, :mandate, CAST(:level AS level), :spoke WHERE NOT EXISTS "
                    "(SELECT 1 FROM attendances WHERE meeting_id = :m AND deputy_id = :d)"
                ),
                {"m": row.meeting_id, "d": row.deputy_id, "mandate": row.mandate_id,
                 "level": row.level, "spoke": row.spoke},
            )  # fmt: skip


MANDATES = """
subscription($code: String!) { mandateChanged(regionCode: $code) {
  kind mandate { id electoralUnit congress { region { code } } } } }
"""


async def test_mandate_changes_reach_the_region_that_holds_them(
    server: str, settings: Settings, engine: AsyncEngine, database_url: str
) -> None:
    async with engine.connect() as conn:
        mandate = (
            await conn.execute(
                text(
                    "SELECT m.id, m.electoral_unit, c.region_code FROM mandates m "
                    "JOIN congresses c ON c.id = m.congress_id "
                    "WHERE c.region_code = '220402' AND m.electoral_unit IS NOT NULL "
                    "ORDER BY m.id LIMIT 1"
                )
            )
        ).one()
    viewer = token(settings, "viewer")
    async with (
        subscription(server, viewer, MANDATES, {"code": "220400"}) as inside,
        subscription(server, viewer, MANDATES, {"code": "420500"}) as elsewhere,
    ):
        await listening(engine, 2)
        # Another process corrects the mandate, then undoes the correction.
        events = []
        for unit in (mandate.electoral_unit + "（更正）", mandate.electoral_unit):
            await other_process(
                database_url,
                f"""
from sqlalchemy import text
async with engine.begin() as conn:
    await conn.execute(text("UPDATE mandates SET electoral_unit = :u WHERE id = {mandate.id}"), {{"u": {unit!r}}})
""",
            )
            events.append((await next_event(inside))["mandateChanged"])
        first, second = events
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(elsewhere.recv(), 1.5)
    assert first["kind"] == second["kind"] == "UPDATED"
    assert first["mandate"]["id"] == encode_id("Mandate", mandate.id)
    assert first["mandate"]["electoralUnit"] == mandate.electoral_unit + "（更正）"
    assert second["mandate"]["electoralUnit"] == mandate.electoral_unit
    assert first["mandate"]["congress"]["region"]["code"] == "220402"


RECEPTIONS = """
subscription($station: ID!) { receptionRecorded(stationId: $station) {
  date visitors opinionsCollected problemsResolved station { id } deputies { id } } }
"""


async def test_receptions_recorded_at_a_station(
    server: str, settings: Settings, engine: AsyncEngine, database_url: str
) -> None:
    async with engine.connect() as conn:
        station, deputy = (
            await conn.execute(
                text(
                    "SELECT a.station_id, a.deputy_id FROM station_assignments a "
                    "JOIN mandates m ON m.deputy_id = a.deputy_id AND m.status = 'ACTIVE' "
                    "ORDER BY a.station_id, a.deputy_id LIMIT 1"
                )
            )
        ).one()
    ids = {"station": encode_id("Station", station), "deputy": encode_id("Deputy", deputy)}
    recorded: list[int] = []
    try:
        async with subscription(
            server, token(settings, "editor", "220000"), RECEPTIONS, {"station": ids["station"]}
        ) as ws:
            await listening(engine)
            await other_process(
                database_url,
                f"""
from datetime import date
from resolvers.mutations.base import Actor
from resolvers.mutations.stations import ReceptionSpec, record_reception
async with engine.begin() as conn:
    spec = ReceptionSpec({ids["station"]!r}, date(2024, 5, 15), ({ids["deputy"]!r},), 12, 5, 2)
    await record_reception(conn, Actor("other-process", "admin"), spec)
""",
            )
            seen = (await next_event(ws))["receptionRecorded"]
    finally:
        async with engine.begin() as conn:
            found = await conn.execute(
                text(
                    "SELECT id FROM receptions WHERE station_id = :s AND date = '2024-05-15' "
                    "AND visitors = 12 AND opinions_collected = 5"
                ),
                {"s": station},
            )
            recorded = [r[0] for r in found]
            for key in recorded:
                await conn.execute(
                    text("DELETE FROM reception_deputies WHERE reception_id = :r"), {"r": key}
                )
                await conn.execute(text("DELETE FROM receptions WHERE id = :r"), {"r": key})
    assert len(recorded) == 1
    assert seen == {
        "date": "2024-05-15",
        "visitors": 12,
        "opinionsCollected": 5,
        "problemsResolved": 2,
        "station": {"id": ids["station"]},
        "deputies": [{"id": ids["deputy"]}],
    }


async def test_a_bad_token_is_refused(server: str) -> None:
    async with connect(server, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer forged"}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_an_unknown_meeting_is_an_error(server: str) -> None:
    missing = encode_id("Meeting", 987654321)
    async with subscription(server, None, ATTENDANCE, {"meeting": missing}) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert message["type"] in ("next", "error")
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert "No meeting" in errors[0]["message"]
