"""Issue 17, point 4: clients that open export streams and stop reading must not take the
service's database connections. A real uvicorn server on loopback, raw sockets that send
the GET for the national Popolo export, read one chunk and stall.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from core.settings import Settings
from db.engine import sync_url
from service.auth import issue_token
from service.export_streams import EXPORT_APPLICATION_NAME, EXPORTS_BUSY, TOO_MANY_EXPORTS
from tests.test_health import ServiceProcess, prepare_database, scratch_database, service_settings

BIG_EXPORT = "/exports/100000/popolo.json"
STREAMS = 30
ADDRESSES = [f"127.0.0.{10 + i}" for i in range(15)]  # two stalled streams from each
POOL_SIZE = 4  # the write/resolver pool: smaller than the streams, as an attacker would want
ANONYMOUS_EXPORTS = 3
ANSWER_BOUND = 1.0  # the issue's bound for mutations and /readyz while the streams stall
CREATE = """
mutation Create($input: CreateDeputyInput!) { createDeputy(input: $input) {
  deputy { id name } userErrors { code message } } }
"""
READ = '{ region(code: "220402") { name congress { name } } }'


@pytest.fixture(scope="module")
async def seeded_url() -> AsyncIterator[str]:
    """A database of the module's own (the server commits its writes there)."""
    async with scratch_database("registry_slow") as url:
        await prepare_database(url, seed="small")
        yield url


def export_env(**values: Any) -> dict[str, str]:
    return {f"REGISTRY_EXPORT_{k.upper()}": str(v) for k, v in values.items()}


@dataclass
class Reader:
    sock: socket.socket
    status: int
    head: bytes  # the status line and headers, and what came of the body with them

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
            key, _, value = line.decode("latin-1").partition(":")
            if key.strip().lower() == name:
                return value.strip()
        return None


async def open_stalled(address: str, port: int, path: str = BIG_EXPORT) -> Reader:
    """Send the GET from `address` with a tiny receive buffer, read the first chunk, stop."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind((address, 0))
    sock.setblocking(False)
    async with asyncio.timeout(20):
        await loop.sock_connect(sock, ("127.0.0.1", port))
        await loop.sock_sendall(sock, f"GET {path} HTTP/1.1\r\nHost: registry\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = await loop.sock_recv(sock, 4096)
            assert data, f"connection closed before the headers: {head!r}"
            head += data
    reader = Reader(sock, int(head.split(b" ", 2)[1]), head)
    if reader.status != 200:  # a refusal: read its whole (small) body
        length = int(reader.header("content-length") or 0)
        async with asyncio.timeout(10):
            while len(head.split(b"\r\n\r\n", 1)[1]) < length:
                head += await loop.sock_recv(sock, 4096)
        reader.head = head
    return reader


def body_of(reader: Reader) -> Any:
    return json.loads(reader.head.split(b"\r\n\r\n", 1)[1])


async def exports_in_transaction(url: str) -> int:
    """Export connections of the service holding a transaction open (a stream's snapshot)."""
    conn = await asyncpg.connect(sync_url(url))
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = $1 AND xact_start IS NOT NULL",
                EXPORT_APPLICATION_NAME,
            )
        )
    finally:
        await conn.close()


async def wait_for_exports(url: str, expected: int, within: float) -> int:
    deadline = time.monotonic() + within
    found = await exports_in_transaction(url)
    while found != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        found = await exports_in_transaction(url)
    return found


async def timed(request: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await request
    return response, time.perf_counter() - started


async def mandate_of(http: httpx.AsyncClient) -> dict[str, Any]:
    query = '{ region(code: "220402") { congress { id currentTerm { number startDate } } } }'
    congress = (await http.post("/graphql", json={"query": query})).json()["data"]["region"][
        "congress"
    ]
    term = congress["currentTerm"]
    return {
        "congressId": congress["id"],
        "termNumber": term["number"],
        "startDate": term["startDate"],
    }


async def test_stalled_export_streams_leave_writes_and_readiness_alone(
    seeded_url: str, tmp_path: Path
) -> None:
    """Issue 17, point 4: 30 anonymous national Popolo exports that read one chunk and stall
    (from 15 addresses) hold no connection of the write/resolver pool: a mutation, /readyz
    and a resolver-path read each answer within a second while they stall; the streams past
    the anonymous share are refused at once with 429, Retry-After and a code; an admin can
    still export; and once the sockets close every export connection comes back."""
    settings: Settings = service_settings(seeded_url, pool_size=POOL_SIZE, read_pool_size=2)
    env = export_env(
        pool_size=ANONYMOUS_EXPORTS + 1,
        anonymous_max=ANONYMOUS_EXPORTS,
        per_client=1,
        stall_seconds=120,  # longer than the test: here the streams stall throughout
    )
    service = ServiceProcess(settings, tmp_path, env=env)
    await service.start()
    admin = {"Authorization": f"Bearer {issue_token(settings, 'slow-test', 'admin')}"}
    readers: list[Reader] = []
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            mandate = await mandate_of(http)
            readers = await asyncio.gather(
                *(open_stalled(ADDRESSES[i % len(ADDRESSES)], service.port) for i in range(STREAMS))
            )
            streaming = [r for r in readers if r.status == 200]
            refused = [r for r in readers if r.status != 200]
            assert len(streaming) == ANONYMOUS_EXPORTS
            assert len(refused) == STREAMS - ANONYMOUS_EXPORTS
            for reader in refused:
                assert reader.status == 429
                assert reader.header("retry-after") == "10"
                assert body_of(reader)["code"] in {EXPORTS_BUSY, TOO_MANY_EXPORTS}
            # The admitted streams are stalled: each holds its snapshot on an export connection.
            assert await wait_for_exports(seeded_url, ANONYMOUS_EXPORTS, 10) == ANONYMOUS_EXPORTS

            variables = {
                "input": {
                    "name": "慢读测试代表",
                    "gender": "FEMALE",
                    "isGrassroots": True,
                    "localityCode": "220402",
                    "mandate": mandate,
                }
            }
            slowest = {"mutation": 0.0, "readyz": 0.0, "resolver read": 0.0}
            for _ in range(3):  # more requests than one pool connection could serve at once
                written, took = await timed(
                    http.post(
                        "/graphql", json={"query": CREATE, "variables": variables}, headers=admin
                    )
                )
                assert written.status_code == 200, written.text
                assert written.json()["data"]["createDeputy"]["userErrors"] == []
                assert written.json()["data"]["createDeputy"]["deputy"]["name"] == "慢读测试代表"
                assert took < ANSWER_BOUND, f"a mutation took {took:.2f} s"
                slowest["mutation"] = max(slowest["mutation"], took)

                ready, took = await timed(http.get("/readyz"))
                assert ready.status_code == 200 and ready.json()["status"] == "ready"
                assert took < ANSWER_BOUND, f"/readyz took {took:.2f} s"
                slowest["readyz"] = max(slowest["readyz"], took)

                read, took = await timed(
                    http.post(
                        "/graphql", json={"query": READ}, headers={"X-Registry-Path": "resolver"}
                    )
                )
                assert read.status_code == 200, read.text
                assert read.json()["data"]["region"]["name"] == "龙山区"
                assert took < ANSWER_BOUND, f"a resolver read took {took:.2f} s"
                slowest["resolver read"] = max(slowest["resolver read"], took)
            print(
                f"\n{len(streaming)} stalled streams, {len(refused)} refused; slowest while "
                + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in slowest.items())
            )

            # The anonymous share is taken, the signed-in share is not.
            staff = await http.get("/exports/220402/deputies.csv", headers=admin)
            assert staff.status_code == 200 and staff.text.count("\n") > 1
            anonymous = await http.get("/exports/220402/deputies.csv")
            assert anonymous.status_code == 429
            assert anonymous.json()["code"] == EXPORTS_BUSY
            assert await exports_in_transaction(seeded_url) == ANONYMOUS_EXPORTS

            for reader in readers:
                reader.sock.close()
            readers = []
            assert await wait_for_exports(seeded_url, 0, 15) == 0, "export connections held"

            # Every place came back: the whole anonymous share at once, from three addresses.
            async def export_from(address: str) -> httpx.Response:
                transport = httpx.AsyncHTTPTransport(local_address=address)
                async with httpx.AsyncClient(
                    base_url=service.base_url, transport=transport, timeout=30
                ) as own:
                    return await own.get("/exports/220402/deputies.csv")

            again = await asyncio.gather(*(export_from(a) for a in ADDRESSES[:ANONYMOUS_EXPORTS]))
            assert [r.status_code for r in again] == [200] * ANONYMOUS_EXPORTS
            assert len({r.content for r in again}) == 1
    finally:
        for reader in readers:
            reader.sock.close()
        await service.stop()


async def test_a_stream_whose_client_reads_nothing_is_ended(
    seeded_url: str, tmp_path: Path
) -> None:
    """Issue 17, point 4: an export whose client takes nothing for REGISTRY_EXPORT_STALL_SECONDS
    is ended while the client still holds its socket open: the export connection's
    transaction ends, the gate's place comes back, and the client gets a cut-off body (no
    final chunk), never one that looks complete."""
    settings = service_settings(seeded_url, pool_size=POOL_SIZE, read_pool_size=2)
    env = export_env(pool_size=2, anonymous_max=1, per_client=1, stall_seconds=2)
    service = ServiceProcess(settings, tmp_path, env=env)
    await service.start()
    reader: Reader | None = None
    try:
        reader = await open_stalled("127.0.0.1", service.port)
        assert reader.status == 200
        assert reader.header("transfer-encoding") == "chunked"
        assert await wait_for_exports(seeded_url, 1, 10) == 1
        # Ended after the stall (2 s), the socket still open on this side.
        assert await wait_for_exports(seeded_url, 0, 20) == 0, "a stalled stream kept its snapshot"
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            again = await http.get("/exports/220402/deputies.csv")
            assert again.status_code == 200, "the stalled stream's place came back"
        # What the server had sent before ending the stream, then the end of the connection.
        loop = asyncio.get_running_loop()
        rest = b""
        async with asyncio.timeout(30):
            while data := await loop.sock_recv(reader.sock, 1 << 16):
                rest += data
        body = reader.head + rest
        assert not body.endswith(b"0\r\n\r\n"), "a cut-off export must not look complete"
    finally:
        if reader is not None:
            reader.sock.close()
        await service.stop()


async def hold_request_pool(
    http: httpx.AsyncClient,
    locker: asyncpg.Connection,
    watcher: asyncpg.Connection,
    table: str,
    query: str,
) -> list[asyncio.Task[httpx.Response]]:
    """Resolver reads that take every connection of the request pool, each waiting on a
    lock of `table` that `locker` holds in its open transaction."""
    await locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    resolver = {"X-Registry-Path": "resolver"}
    held = [
        asyncio.create_task(http.post("/graphql", json={"query": query}, headers=resolver))
        for _ in range(POOL_SIZE)
    ]
    waiting = 0
    deadline = time.monotonic() + 10
    while waiting < POOL_SIZE and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        waiting = await watcher.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'deputy-registry' AND wait_event_type = 'Lock'"
        )
    assert waiting == POOL_SIZE, "the reads did not take the whole request pool"
    return held


async def test_readiness_answers_while_the_request_pool_is_taken(
    seeded_url: str, tmp_path: Path
) -> None:
    """Issue 17, point 4: /readyz has a connection of its own: with every connection of the
    write/resolver pool held by requests (here waiting on a table lock), /readyz still
    answers 200 within a second; the held requests finish once the lock is gone."""
    settings = service_settings(seeded_url, pool_size=POOL_SIZE, read_pool_size=2)
    service = ServiceProcess(settings, tmp_path)
    await service.start()
    locker = await asyncpg.connect(sync_url(seeded_url))
    watcher = await asyncpg.connect(sync_url(seeded_url))
    query = '{ deputies(filter: {regionCode: "220402"}, first: 1) { nodes { name } } }'
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            assert (await http.get("/readyz")).status_code == 200  # its connection is open
            transaction = locker.transaction()
            await transaction.start()
            held = await hold_request_pool(http, locker, watcher, "deputies", query)
            ready, took = await timed(http.get("/readyz"))
            await transaction.rollback()
            answers = await asyncio.gather(*held)
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"
        assert took < ANSWER_BOUND, f"/readyz took {took:.2f} s"
        assert [a.status_code for a in answers] == [200] * POOL_SIZE
        assert all(len(a.json()["data"]["deputies"]["nodes"]) == 1 for a in answers)
    finally:
        await locker.close()
        await watcher.close()
        await service.stop()


async def test_a_mutation_has_a_connection_while_reads_hold_the_request_pool(
    seeded_url: str, tmp_path: Path
) -> None:
    """Issue 17, point 4: writes have connections of their own. With every connection of
    the request pool held by resolver reads (waiting on a lock of deputy_groups, which the
    write does not touch), a createDeputy still answers within a second, on a connection
    of the write pool; the held reads finish once the lock is gone."""
    settings = service_settings(seeded_url, pool_size=POOL_SIZE, read_pool_size=2)
    service = ServiceProcess(settings, tmp_path)
    await service.start()
    locker = await asyncpg.connect(sync_url(seeded_url))
    watcher = await asyncpg.connect(sync_url(seeded_url))
    groups = '{ region(code: "220402") { congress { groups(first: 1) { totalCount } } } }'
    admin = {"Authorization": f"Bearer {issue_token(settings, 'write-pool-test', 'admin')}"}
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            mandate = await mandate_of(http)
            transaction = locker.transaction()
            await transaction.start()
            held = await hold_request_pool(http, locker, watcher, "deputy_groups", groups)
            variables = {
                "input": {
                    "name": "写池测试代表",
                    "gender": "MALE",
                    "isGrassroots": False,
                    "localityCode": "220402",
                    "mandate": mandate,
                }
            }
            written, took = await timed(
                http.post("/graphql", json={"query": CREATE, "variables": variables}, headers=admin)
            )
            writers = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'deputy-registry-writes'"
            )
            await transaction.rollback()
            answers = await asyncio.gather(*held)
        assert written.status_code == 200, written.text
        assert written.json()["data"]["createDeputy"]["userErrors"] == []
        assert written.json()["data"]["createDeputy"]["deputy"]["name"] == "写池测试代表"
        assert took < ANSWER_BOUND, f"the mutation took {took:.2f} s"
        assert writers >= 1, "the mutation did not use the write pool"
        assert [a.status_code for a in answers] == [200] * POOL_SIZE
    finally:
        await locker.close()
        await watcher.close()
        await service.stop()
