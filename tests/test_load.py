"""A bounded load test on loopback: the service in its own process under uvicorn, a fixed
number of requests over a fixed number of connections, reads and writes mixed as staff and
pages use them. Zero errors, memory that levels off, a pool that queues and never hangs,
and every write stored exactly once.

The pool is kept smaller than the number of client connections on purpose, so that
requests must wait for connections: that is where an exhausted pool would hang.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine
from resolvers.ids import encode_id
from service.auth import issue_token
from tests.test_health import (
    ServiceProcess,
    metric_value,
    prepare_database,
    scratch_database,
    service_settings,
)

CONNECTIONS = 16  # client connections at once
POOL_SIZE = 4  # the service's pool: at most 4 database connections (8 were it to overflow)
READ_POOL_SIZE = 2  # and the compiled path's reads: 2 more
WARMUP = 200  # requests before memory is measured (caches fill, code paths warm up)
REQUESTS = 1000  # measured requests
HANG_BOUND = 15.0  # no request may take longer
LEVEL_OFF_MB = 12.0  # most the server may grow over the second half of the measured run

DEPUTY_PAGE = """
query DeputyPage($id: ID!) { node(id: $id) { ... on Deputy { id name gender isGrassroots
  locality { code name } mandates { level status startDate congress { name } }
  stations { name } groups { name } } } }
"""
REGION_PAGE = """
query RegionPage($code: String!) { region(code: $code) { code name level
  congress { name currentTerm { number } } children(first: 20) { nodes { code name } } } }
"""
STATION_LIST = """
query StationList($code: String!) { stations(regionCode: $code, first: 10) {
  nodes { id name kind starRating } } }
"""
DEPUTY_LIST = """
query DeputyList($code: String!) { deputies(filter: {regionCode: $code}, first: 20) {
  nodes { id name activeLevels } pageInfo { hasNextPage endCursor } } }
"""
STATION_PAGE = """
query StationPage($id: ID!) { node(id: $id) { ... on Station { name kind starRating
  deputyCountByLevel { level count } receptions(first: 5) { nodes { date visitors } } } } }
"""
REPORT = """
query Report($code: String!) { reports {
  composition(regionCode: $code) { level deputies female grassroots }
  stationActivity(regionCode: $code, from: "2020-01-01", to: "2030-12-31") { receptions visitors } } }
"""
LOG_CONTACT = """
mutation LogContact($input: LogContactInput!) { logContact(input: $input) {
  assignment { id } userErrors { code message } } }
"""
RECORD_RECEPTION = """
mutation RecordReception($input: RecordReceptionInput!) { recordReception(input: $input) {
  reception { id } userErrors { code message } } }
"""
CREATE_DEPUTY = """
mutation CreateDeputy($input: CreateDeputyInput!) { createDeputy(input: $input) {
  deputy { id } userErrors { code message } } }
"""

# How often each kind of request comes: pages and lists most, reports less, a quarter writes.
MIX = {
    "DeputyPage": 30,
    "RegionPage": 10,
    "StationList": 5,
    "DeputyList": 12,
    "StationPage": 10,
    "Report": 8,
    "LogContact": 10,
    "RecordReception": 7,
    "CreateDeputy": 8,
}
WRITES = {"LogContact": "contact_logs", "RecordReception": "receptions", "CreateDeputy": "deputies"}


@dataclass
class Data:
    deputies: list[str]
    stations: list[str]
    regions: list[str]
    assignments: list[str]
    receptions: list[tuple[str, str]]  # (station, deputy holding a mandate now)
    congress: dict[str, Any]


async def _data(engine: AsyncEngine) -> Data:
    async with engine.connect() as conn:

        async def ids(sql: str) -> list[Any]:
            return list((await conn.execute(text(sql))).all())

        deputies = await ids("SELECT id FROM deputies ORDER BY md5(id::text) LIMIT 400")
        stations = await ids("SELECT id FROM stations ORDER BY md5(id::text) LIMIT 100")
        regions = await ids(
            "SELECT code FROM regions WHERE code IN ('220000', '420000', '220400', '420500') "
            "OR parent_code IN ('220400', '420500') ORDER BY code"
        )
        assignments = await ids(
            "SELECT id FROM contact_assignments WHERE end_date IS NULL "
            "AND start_date <= current_date ORDER BY md5(id::text) LIMIT 200"
        )
        receptions = await ids(
            "SELECT sa.station_id, sa.deputy_id FROM station_assignments sa "
            "WHERE EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = sa.deputy_id "
            "AND m.start_date <= current_date AND m.end_date IS NULL) "
            "ORDER BY md5(sa.station_id::text || sa.deputy_id::text) LIMIT 200"
        )
        congress = (
            await conn.execute(
                text(
                    "SELECT c.id, t.number, t.start_date FROM congresses c "
                    "JOIN terms t ON t.congress_id = c.id AND t.end_date IS NULL "
                    "WHERE c.region_code = '220402'"
                )
            )
        ).one()
    assert deputies and stations and assignments and receptions
    return Data(
        deputies=[encode_id("Deputy", r.id) for r in deputies],
        stations=[encode_id("Station", r.id) for r in stations],
        regions=[r.code for r in regions],
        assignments=[encode_id("ContactAssignment", r.id) for r in assignments],
        receptions=[
            (encode_id("Station", r.station_id), encode_id("Deputy", r.deputy_id))
            for r in receptions
        ],
        congress={
            "congressId": encode_id("Congress", congress.id),
            "termNumber": congress.number,
            "startDate": congress.start_date.isoformat(),
        },
    )


def _request(kind: str, n: int, data: Data, pick: random.Random) -> tuple[str, dict[str, Any]]:
    """The document and variables of request number `n` of a kind."""
    today = date.today().isoformat()
    if kind == "DeputyPage":
        return DEPUTY_PAGE, {"id": pick.choice(data.deputies)}
    if kind == "RegionPage":
        return REGION_PAGE, {"code": pick.choice(data.regions)}
    if kind == "StationList":
        return STATION_LIST, {"code": pick.choice(data.regions)}
    if kind == "DeputyList":
        return DEPUTY_LIST, {"code": pick.choice(data.regions)}
    if kind == "StationPage":
        return STATION_PAGE, {"id": pick.choice(data.stations)}
    if kind == "Report":
        return REPORT, {"code": pick.choice(data.regions)}
    if kind == "LogContact":
        summary = f"负载测试走访 {n}"
        input_ = {"assignmentId": pick.choice(data.assignments), "date": today}
        return LOG_CONTACT, {"input": input_ | {"channel": "VISIT", "summary": summary}}
    if kind == "RecordReception":
        station, deputy = pick.choice(data.receptions)
        input_ = {"stationId": station, "date": today, "deputyIds": [deputy]}
        counts = {"visitors": n % 30, "opinionsCollected": n % 7, "problemsResolved": n % 3}
        return RECORD_RECEPTION, {"input": input_ | counts}
    assert kind == "CreateDeputy"
    input_ = {
        "name": f"负载代表{n:05d}",
        "gender": "MALE" if n % 2 else "FEMALE",
        "isGrassroots": bool(n % 3),
        "localityCode": "220402",
        "mandate": data.congress,
    }
    return CREATE_DEPUTY, {"input": input_}


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    written: Counter[str] = field(default_factory=Counter)
    done: int = 0
    rss: list[tuple[int, int]] = field(default_factory=list)  # (requests done, bytes)
    pool_in_use: list[float] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)


async def _drive(
    base_url: str, token: str, data: Data, count: int, seed: int, run: Run, offset: int
) -> None:
    """`count` requests over CONNECTIONS connections; it stops by itself when they are done."""
    pick = random.Random(seed)
    kinds = pick.choices(list(MIX), weights=list(MIX.values()), k=count)
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for n, kind in enumerate(kinds):
        queue.put_nowait((offset + n, kind))
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=HANG_BOUND * 2, headers=headers
    ) as http:

        async def connection() -> None:
            while not queue.empty():
                n, kind = queue.get_nowait()
                query, variables = _request(kind, n, data, pick)
                started = time.perf_counter()
                try:
                    answer = await http.post(
                        "/graphql", json={"query": query, "variables": variables}
                    )
                except httpx.HTTPError as failure:
                    run.problems.append(f"{kind}: {failure!r}")
                    continue
                finally:
                    run.latencies.append(time.perf_counter() - started)
                    run.done += 1
                body = answer.json() if answer.status_code == 200 else {}
                payload = next(iter((body.get("data") or {}).values()), None)
                if answer.status_code != 200 or body.get("errors") or payload is None:
                    run.problems.append(f"{kind}: {answer.status_code} {answer.text[:300]}")
                elif kind in WRITES:
                    if payload["userErrors"]:
                        run.problems.append(f"{kind}: {payload['userErrors']}")
                    else:
                        run.written[kind] += 1

        await asyncio.gather(*(connection() for _ in range(CONNECTIONS)))


async def _watch(
    service: ServiceProcess, engine: AsyncEngine, run: Run, stop: asyncio.Event
) -> None:
    """Sample the server's memory, its pool gauge and its connections to PostgreSQL."""
    process = psutil.Process(service.pid)
    async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as http:
        while not stop.is_set():
            run.rss.append((run.done, process.memory_info().rss))
            metrics = (await http.get("/metrics")).text
            in_use = metric_value(metrics, "registry_db_pool_in_use")
            if in_use is not None:
                run.pool_in_use.append(in_use)
            async with engine.connect() as conn:
                run.connections.append(
                    (
                        await conn.execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                "current_database() AND application_name = 'deputy-registry' "
                                "AND pid <> pg_backend_pid()"
                            )
                        )
                    ).scalar_one()
                )
            await asyncio.sleep(0.2)


async def _table_counts(engine: AsyncEngine) -> dict[str, int]:
    async with engine.connect() as conn:
        return {
            table: (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
            for table in WRITES.values()
        }


def _rss_at(run: Run, done: int) -> int:
    """The server's memory when `done` requests had been answered (the first sample after)."""
    return next(rss for count, rss in run.rss if count >= done)


async def test_bounded_load(tmp_path: Path) -> None:
    phases = [time.perf_counter()]
    async with scratch_database("registry_load") as url:
        await prepare_database(url, seed="small")
        phases.append(time.perf_counter())
        settings = service_settings(url, pool_size=POOL_SIZE, read_pool_size=READ_POOL_SIZE)
        # The watcher's own connections must not count as the service's.
        engine = create_engine(settings)
        service = ServiceProcess(settings, tmp_path)
        try:
            data = await _data(engine)
            before = await _table_counts(engine)
            await service.start()
            phases.append(time.perf_counter())
            token = issue_token(settings, "load-test", "admin")
            warm = Run()
            await _drive(service.base_url, token, data, WARMUP, 1, warm, 0)
            phases.append(time.perf_counter())
            assert not warm.problems, warm.problems[:5]

            run = Run()
            stop = asyncio.Event()
            watcher = asyncio.create_task(_watch(service, engine, run, stop))
            started = time.perf_counter()
            try:
                await asyncio.wait_for(
                    _drive(service.base_url, token, data, REQUESTS, 2, run, WARMUP), 90
                )
            finally:
                stop.set()
                await watcher
            elapsed = time.perf_counter() - started
            run.rss.append((run.done, psutil.Process(service.pid).memory_info().rss))
            after = await _table_counts(engine)
            async with httpx.AsyncClient(base_url=service.base_url) as http:
                metrics = (await http.get("/metrics")).text
        finally:
            await service.stop()
            await engine.dispose()

    assert run.done == REQUESTS
    assert not run.problems, f"{len(run.problems)} errors, first: {run.problems[:5]}"
    slowest = max(run.latencies)
    assert slowest < HANG_BOUND, f"a request took {slowest:.1f} s"

    capacity = metric_value(metrics, "registry_db_pool_capacity")
    # With or without overflow, and the read pool.
    assert capacity in (POOL_SIZE + READ_POOL_SIZE, POOL_SIZE * 2 + READ_POOL_SIZE), capacity
    assert run.pool_in_use and max(run.pool_in_use) <= capacity
    assert run.connections and max(run.connections) <= capacity, "more connections than the pool"

    mb = 1024 * 1024
    half, end = _rss_at(run, REQUESTS // 2), run.rss[-1][1]
    growth = (end - half) / mb
    assert growth < LEVEL_OFF_MB, (
        f"memory grew {growth:.1f} MB over the second half: "
        f"{[(d, round(r / mb)) for d, r in run.rss[:: max(1, len(run.rss) // 12)]]}"
    )

    # Every write answered as saved is stored, once; nothing else was written.
    for kind, table in WRITES.items():
        assert after[table] - before[table] == run.written[kind] + warm.written[kind], kind

    latencies = sorted(run.latencies)
    print(
        f"\n{REQUESTS} requests over {CONNECTIONS} connections in {elapsed:.1f} s "
        f"({REQUESTS / elapsed:.0f}/s), p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.0f} ms, max {slowest * 1000:.0f} ms; "
        f"pool in use at most {max(run.pool_in_use):.0f} of {capacity:.0f}; RSS "
        f"{_rss_at(run, 0) / mb:.0f} -> {half / mb:.0f} -> {end / mb:.0f} MB; "
        f"writes {dict(run.written)}; set-up {phases[1] - phases[0]:.1f} s, service start "
        f"{phases[2] - phases[1]:.1f} s, warm-up {phases[3] - phases[2]:.1f} s"
    )
