"""Benchmark: our service against PostGraphile 5 on the same database, one server at a time.

    python bench/run.py [--scale 0.02] [--connections 10,50] [--duration 20] [--smoke]

See bench/README.md for what it measures and what the columns mean.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"
# One command from a fresh clone: run inside the project's virtualenv whatever `python` was.
if (
    Path(sys.prefix).resolve() != VENV.resolve()
    and (VENV / "bin" / "python").exists()
    and not os.environ.get("BENCH_REEXECUTED")
):
    os.environ["BENCH_REEXECUTED"] = "1"
    os.execv(VENV / "bin" / "python", [str(VENV / "bin" / "python"), *sys.argv])
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import AbstractContextManager  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from datetime import datetime  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402

from bench import load, servers  # noqa: E402
from bench.database import prepare  # noqa: E402
from bench.operations import OPERATIONS, Operation, Vars  # noqa: E402
from bench.tools import (  # noqa: E402
    NODE,
    POSTGRAPHILE_CLI,
    WORK,
    Tools,
    ensure_node,
    ensure_wrk,
    wrk_version,
)

BENCH = REPO / "bench"
LOGS = WORK / "logs"
SQL_COUNT_HEADER = "x-sql-statements"


STARTED = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Answer:
    status: int
    body: Any
    sql_statements: int | None


@dataclass
class ServerFigures:
    """What one server did: sampled answers per operation, load results per (op, conns)."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    loads: dict[tuple[str, int], load.LoadResult] = field(default_factory=dict)


@dataclass
class Settings:
    scale: str
    connections: list[int]
    duration: float
    warmup: float
    workers: int
    variables: int
    sample: int
    seed: int
    draw_seed: int
    database: str
    server_url: str
    operations: list[Operation]
    loadgen: str
    ours_headers: list[str]
    fresh: bool
    smoke: bool
    floor_seconds: float
    floor_connections: int
    results: Path


def parse_args() -> Settings:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale",
        help="seed scale: small, demo, national or a fraction (default 0.02; small with --smoke)",
    )
    parser.add_argument("--connections", help="comma-separated connection counts (default 10,50)")
    parser.add_argument(
        "--duration",
        type=float,
        help="seconds measured per operation and connection count (default 20)",
    )
    parser.add_argument(
        "--warmup", type=float, help="seconds of warm-up before each measurement (default 5)"
    )
    parser.add_argument("--workers", type=int, default=1, help="our worker processes")
    parser.add_argument(
        "--variables", type=int, help="distinct requests per operation (default 200)"
    )
    parser.add_argument(
        "--sample", type=int, help="requests per operation whose answers are compared (default 20)"
    )
    parser.add_argument("--seed", type=int, default=2024, help="data generator seed")
    parser.add_argument("--draw-seed", type=int, default=1, help="seed for drawing variables")
    parser.add_argument(
        "--database",
        help="database name (default registry_bench, registry_bench_smoke with --smoke)",
    )
    parser.add_argument(
        "--server-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (no database part); env BENCH_POSTGRES_URL",
    )
    parser.add_argument(
        "--operations", help="comma-separated subset of: " + ", ".join(op.name for op in OPERATIONS)
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--ours-header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra header on our requests, e.g. 'x-registry-path: resolver'",
    )
    parser.add_argument("--fresh", action="store_true", help="recreate and reseed the database")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny data, ~2 s per operation, "
        "both servers; exit 1 on any error or disagreement (for CI)",
    )
    args = parser.parse_args()

    smoke = args.smoke
    names = args.operations.split(",") if args.operations else [op.name for op in OPERATIONS]
    unknown = set(names) - {op.name for op in OPERATIONS}
    if unknown:
        parser.error(f"unknown operations: {', '.join(sorted(unknown))}")
    duration = args.duration or (2.0 if smoke else 20.0)
    return Settings(
        scale=args.scale or ("small" if smoke else "0.02"),
        connections=[int(c) for c in (args.connections or ("10" if smoke else "10,50")).split(",")],
        duration=duration,
        warmup=args.warmup if args.warmup is not None else (1.0 if smoke else 5.0),
        workers=args.workers,
        variables=args.variables or (20 if smoke else 200),
        sample=args.sample or (5 if smoke else 20),
        seed=args.seed,
        draw_seed=args.draw_seed,
        database=args.database or ("registry_bench_smoke" if smoke else "registry_bench"),
        server_url=args.server_url.rstrip("/"),
        operations=[op for op in OPERATIONS if op.name in names],
        loadgen=args.loadgen,
        ours_headers=args.ours_header,
        fresh=args.fresh,
        smoke=smoke,
        floor_seconds=min(duration, 10.0),
        floor_connections=10,
        # Smoke results stay out of the tree (CI runs it on every change).
        results=(WORK / "smoke-results") if smoke else (BENCH / "results"),
    )


# --- variables and request bodies ---------------------------------------------------------


async def draw_all(url: str, ops: list[Operation], n: int, seed: int) -> dict[str, list[Vars]]:
    conn = await asyncpg.connect(url)
    try:
        # One generator per operation: adding an operation does not change the others' draws.
        return {op.name: await op.draw(conn, random.Random(f"{seed}:{op.name}"), n) for op in ops}
    finally:
        await conn.close()


def write_bodies(ops: list[Operation], drawn: dict[str, list[Vars]]) -> dict[tuple[str, str], Path]:
    folder = WORK / "bodies"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for op in ops:
        for server, query in (("ours", op.ours), ("postgraphile", op.pg)):
            path = folder / f"{server}-{op.name}.jsonl"
            lines = [
                json.dumps(
                    {"query": query, "variables": v.ours if server == "ours" else v.pg},
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
                for v in drawn[op.name]
            ]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            paths[(server, op.name)] = path
    return paths


# --- the raw-SQL answers and floor ---------------------------------------------------------


async def raw_answers(
    url: str, ops: list[Operation], samples: dict[str, list[Vars]]
) -> dict[str, list[Any]]:
    conn = await asyncpg.connect(url)
    try:
        return {
            op.name: [json.loads(await conn.fetchval(op.raw_sql, *v.sql)) for v in samples[op.name]]
            for op in ops
        }
    finally:
        await conn.close()


# --- one server: answers, then load --------------------------------------------------------


def _headers(lines: list[str]) -> dict[str, str]:
    pairs = (line.split(":", 1) for line in lines)
    return {name.strip(): value.strip() for name, value in pairs}


# After this many failed answers in an operation's sample, the rest is not asked (a server
# that times out on every request would otherwise hold the run for minutes).
GIVE_UP_AFTER = 3
NOT_ASKED = "not asked"


def sample_answers(
    running: servers.Running,
    ops: list[Operation],
    samples: dict[str, list[Vars]],
    headers: list[str],
) -> dict[str, list[Answer]]:
    answers: dict[str, list[Answer]] = {}
    for op in ops:
        query = op.ours if running.name == "ours" else op.pg
        found: list[Answer] = []
        failures = 0
        for v in samples[op.name]:
            if failures >= GIVE_UP_AFTER:
                skipped = f"{NOT_ASKED}: {GIVE_UP_AFTER} earlier requests failed"
                found.append(Answer(0, {"errors": [{"message": skipped}]}, None))
                continue
            variables = v.ours if running.name == "ours" else v.pg
            try:
                status, got, body = servers.post(
                    running.url, {"query": query, "variables": variables}, _headers(headers)
                )
            except OSError as exc:  # refused, reset or timed out
                status, got, body = 0, {}, f"no answer: {exc!r}".encode()
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = {"errors": [{"message": body[:500].decode(errors="replace")}]}
            count = got.get(SQL_COUNT_HEADER)
            answer = Answer(status, parsed, int(count) if count and count.isdigit() else None)
            failures += _problem(answer) is not None
            found.append(answer)
        answers[op.name] = found
        answered = sum(_problem(a) is None for a in found)
        say(f"  {running.name:12} {op.name:8} {answered}/{len(found)} sampled requests answered")
    return answers


async def _active_statements(url: str, cancel: bool = False) -> int:
    conn = await asyncpg.connect(url)
    try:
        others = (
            "FROM pg_stat_activity WHERE datname = current_database()"
            " AND state = 'active' AND pid <> pg_backend_pid()"
        )
        if cancel:
            await conn.execute(f"SELECT pg_cancel_backend(pid) {others}")
        return int(await conn.fetchval(f"SELECT count(*) {others}"))
    finally:
        await conn.close()


def wait_idle(url: str, limit: float = 15.0) -> None:
    """Wait until the database runs nothing: a stopped load run leaves requests in flight in
    the server, which would otherwise be counted against the next operation. Statements
    still running after `limit` seconds (a server whose requests time out on the client's
    side but not in the database) are cancelled, so they cannot starve the next one."""
    deadline = time.monotonic() + limit
    while asyncio.run(_active_statements(url)):
        if time.monotonic() > deadline:
            asyncio.run(_active_statements(url, cancel=True))
            time.sleep(0.5)
            return
        time.sleep(0.2)


def drive(
    running: servers.Running,
    op: Operation,
    settings: Settings,
    tools: Tools,
    bodies: dict[tuple[str, str], Path],
    headers: list[str],
    database_url: str,
) -> dict[tuple[str, int], load.LoadResult]:
    results = {}
    path = bodies[(running.name, op.name)]
    for connections in settings.connections:

        def once(seconds: float, connections: int = connections) -> load.LoadResult:
            if tools.wrk:
                return load.run_wrk(tools.wrk, running.url, path, connections, seconds, headers)
            return load.run_python(running.url, path, connections, seconds, headers)

        if settings.warmup > 0:
            once(settings.warmup)
        result = once(settings.duration)
        if result.requests == 0:
            # Nothing answered in the window: every connection is stuck, count them all.
            result = replace(result, errors=max(result.errors, connections))
        results[(op.name, connections)] = result
        wait_idle(database_url)
        say(
            f"  {running.name:12} {op.name:8} c={connections:<3} {result.rps:8.1f} req/s"
            f"  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms"
            + (f"  ERRORS {result.errors}" if result.errors else "")
        )
    return results


def prime(running: servers.Running, path: Path, headers: list[str], limit: float) -> int:
    """Send each distinct request of the operation once (within `limit` seconds), so that
    per-request work done on first sight (our plans, PostGraphile's caches) is not part of
    the measurement. Returns how many were sent."""
    deadline = time.monotonic() + limit
    sent = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if time.monotonic() > deadline:
            break
        # A slow or failed answer is the measurement's business.
        with contextlib.suppress(OSError):
            servers.post(running.url, json.loads(line), _headers(headers), timeout=limit)
        sent += 1
    return sent


def run_servers(
    starts: dict[str, Callable[[], AbstractContextManager[servers.Running]]],
    settings: Settings,
    tools: Tools,
    samples: dict[str, list[Vars]],
    bodies: dict[tuple[str, str], Path],
    database_url: str,
) -> dict[str, ServerFigures]:
    """Operation by operation, each server in turn on a fresh process of its own: requests
    one operation left queued inside a server (PostGraphile's national-size searches) cannot
    hold its pool while the next is measured, and the two servers of one operation are
    measured minutes apart at most, whatever the machine's speed does over the run."""
    figures = {name: ServerFigures() for name in starts}
    for op in settings.operations:
        for name, start in starts.items():
            headers = settings.ours_headers if name == "ours" else []
            started = time.perf_counter()
            with start() as running:
                say(f"{name} ready at {running.url} in {time.perf_counter() - started:.1f} s")
                figures[name].answers.update(sample_answers(running, [op], samples, headers))
                primed = prime(running, bodies[(name, op.name)], headers, PRIME_SECONDS)
                say(f"  {name:12} {op.name:8} {primed} distinct requests sent once")
                figures[name].loads.update(
                    drive(running, op, settings, tools, bodies, headers, database_url)
                )
            wait_idle(database_url)
    return figures


# Longest time spent sending each distinct request once before the warm-up.
PRIME_SECONDS = 15.0


# --- SQL statements per request ------------------------------------------------------------


async def count_in_process(
    url: str, ops: list[Operation], samples: dict[str, list[Vars]], headers: list[str]
) -> dict[str, float]:
    """Our statements per request, counted by the engine's own counter (db.engine) in an
    in-process copy of the app, when the server does not send X-SQL-Statements."""
    os.environ["DATABASE_URL"] = url
    os.environ["REGISTRY_GRAPHIQL"] = "false"
    import httpx

    from core.settings import Settings as ServiceSettings
    from db.engine import statement_count
    from service.app import create_app

    app = create_app(ServiceSettings())
    counts: dict[str, float] = {}
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        for op in ops:
            seen = []
            for v in samples[op.name]:
                counter = [0]
                token = statement_count.set(counter)
                try:
                    await client.post(
                        "/graphql",
                        json={"query": op.ours, "variables": v.ours},
                        headers=_headers(headers),
                    )
                finally:
                    statement_count.reset(token)
                seen.append(counter[0])
            if seen:
                counts[op.name] = statistics.mean(seen)
    return counts


# Requests per operation counted in-process: the count hardly varies between requests of
# one operation, and a slow operation would otherwise hold the run.
IN_PROCESS_COUNTED = 5


def statements_per_request(
    ours: ServerFigures, settings: Settings, url: str, samples: dict[str, list[Vars]]
) -> tuple[dict[str, float], str]:
    # Only requests the server answered: a failed one says nothing about the normal cost
    # (and may take the whole statement timeout again).
    answered = {
        name: [(v, a) for v, a in zip(samples[name], answers, strict=True) if not _problem(a)]
        for name, answers in ours.answers.items()
    }
    from_header = {name: [a.sql_statements for _, a in pairs] for name, pairs in answered.items()}
    if all(c is not None for counts in from_header.values() for c in counts):
        return (
            {name: statistics.mean(c) for name, c in from_header.items() if c},
            "X-SQL-Statements header of the running server",
        )
    good = {name: [v for v, _ in pairs][:IN_PROCESS_COUNTED] for name, pairs in answered.items()}
    counts = asyncio.run(count_in_process(url, settings.operations, good, settings.ours_headers))
    return counts, "db.engine statement counter, in-process copy of the app"


# --- agreement -----------------------------------------------------------------------------


@dataclass
class Agreement:
    agreed: int
    compared: int
    problems: list[str]


def _problem(answer: Answer) -> str | None:
    if answer.status != 200:
        return f"HTTP {answer.status}: {json.dumps(answer.body, ensure_ascii=False)[:300]}"
    if "errors" in answer.body:
        return "errors: " + json.dumps(answer.body["errors"], ensure_ascii=False)[:300]
    return None


def compare(
    op: Operation,
    samples: list[Vars],
    ours: list[Answer] | None,
    pg: list[Answer] | None,
    raw: list[Any],
) -> Agreement:
    problems: list[str] = []
    agreed = 0
    for i, v in enumerate(samples):
        expected = op.norm_ours(raw[i])
        verdicts = []
        for name, answers, norm in (("ours", ours, op.norm_ours), ("postgraphile", pg, op.norm_pg)):
            if answers is None:
                continue
            trouble = _problem(answers[i])
            if trouble is None:
                try:
                    got = norm(answers[i].body["data"])
                except (KeyError, TypeError) as exc:
                    trouble = f"unexpected shape ({exc!r})"
                else:
                    if got != expected:
                        trouble = (
                            f"differs from the raw SQL answer:\n      {name}: "
                            f"{json.dumps(got, ensure_ascii=False)[:600]}\n      raw SQL: "
                            f"{json.dumps(expected, ensure_ascii=False)[:600]}"
                        )
            verdicts.append(trouble is None)
            if trouble:
                problems.append(
                    f"{op.name} {json.dumps(v.ours, ensure_ascii=False)} {name} {trouble}"
                )
        agreed += all(verdicts)
    return Agreement(agreed, len(samples), problems)


# --- the table -----------------------------------------------------------------------------


def _rate(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def table(
    settings: Settings,
    ours: ServerFigures | None,
    pg: ServerFigures | None,
    statements: dict[str, float],
    floors: dict[str, float],
    agreements: dict[str, Agreement],
) -> str:
    lines = [
        "| operation | conns | ours req/s | ours p50 ms | ours p99 ms | PG req/s | PG p50 ms "
        "| PG p99 ms | ours/PG | SQL/req | raw SQL req/s | agree | errors ours/PG |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|",
    ]
    for op in settings.operations:
        for connections in settings.connections:
            a = ours.loads.get((op.name, connections)) if ours else None
            b = pg.loads.get((op.name, connections)) if pg else None
            # No answer in the window: no latency to show.
            a_ms = a if a and a.requests else None
            b_ms = b if b and b.requests else None
            ratio = f"{a.rps / b.rps:.2f}x" if a and b and b.rps else "–"
            agreement = agreements[op.name]
            sql = statements.get(op.name)
            cells = [
                op.title,
                str(connections),
                _rate(a and a.rps),
                _ms(a_ms and a_ms.p50_ms),
                _ms(a_ms and a_ms.p99_ms),
                _rate(b and b.rps),
                _ms(b_ms and b_ms.p50_ms),
                _ms(b_ms and b_ms.p99_ms),
                ratio,
                "–" if sql is None else f"{sql:.1f}",
                _rate(floors.get(op.name)),
                f"{agreement.agreed}/{agreement.compared}",
                f"{a.errors if a else '–'}/{b.errors if b else '–'}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _postgres_version(url: str) -> str:
    async def fetch() -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    return asyncio.run(fetch()).split()[0]


# --- main ----------------------------------------------------------------------------------


def _load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    # Stopped with SIGTERM, still stop the server we started (the `with` blocks' exits).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = parse_args()
    load_before = _load_average()
    LOGS.mkdir(parents=True, exist_ok=True)
    setup_log = LOGS / "setup.log"
    timings: dict[str, float] = {}

    started = time.perf_counter()
    versions = ensure_node(setup_log)
    timings["node + postgraphile"] = time.perf_counter() - started
    started = time.perf_counter()
    wrk = ensure_wrk(setup_log) if settings.loadgen != "python" else None
    if settings.loadgen == "wrk" and wrk is None:
        raise SystemExit("wrk is not installed and could not be installed (not root?)")
    timings["wrk"] = time.perf_counter() - started
    tools = Tools(node=NODE, postgraphile_cli=POSTGRAPHILE_CLI, versions=versions, wrk=wrk)
    loadgen = wrk_version(wrk) if wrk else "asyncio load generator (bench/load.py)"
    say(
        f"tools: node {versions['node']}, postgraphile {versions['postgraphile']}, "
        f"simplify-inflection {versions['@graphile/simplify-inflection']}; {loadgen}"
    )

    started = time.perf_counter()
    url, sizes, reseeded = prepare(
        settings.server_url,
        settings.database,
        settings.scale,
        settings.seed,
        settings.fresh,
        setup_log,
        say,
    )
    timings["database" + (" (created and seeded)" if reseeded else " (reused)")] = (
        time.perf_counter() - started
    )
    say(f"database {settings.database}: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))

    drawn = asyncio.run(draw_all(url, settings.operations, settings.variables, settings.draw_seed))
    empty = [name for name, v in drawn.items() if not v]
    if empty:
        raise SystemExit(f"no data to draw variables from for: {', '.join(empty)}")
    samples = {name: v[: settings.sample] for name, v in drawn.items()}
    bodies = write_bodies(settings.operations, drawn)

    say(
        f"raw SQL floor ({settings.floor_connections} connections, "
        f"{settings.floor_seconds:g} s each)"
    )
    raw = asyncio.run(raw_answers(url, settings.operations, samples))
    floors = {}
    for op in settings.operations:
        floors[op.name] = load.sql_floor(
            url,
            op.raw_sql,
            [v.sql for v in drawn[op.name]],
            settings.floor_connections,
            settings.floor_seconds,
            warmup=min(settings.warmup, 2.0),
        )
        say(f"  raw SQL      {op.name:8} {floors[op.name]:8.1f} req/s")

    run = run_servers(
        {
            "ours": lambda: servers.ours(url, settings.workers, LOGS),
            "postgraphile": lambda: servers.postgraphile(url, tools, LOGS),
        },
        settings,
        tools,
        samples,
        bodies,
        url,
    )
    ours, pg = run["ours"], run["postgraphile"]

    statements, counted_by = statements_per_request(ours, settings, url, samples)
    agreements = {
        op.name: compare(
            op, samples[op.name], ours.answers[op.name], pg.answers[op.name], raw[op.name]
        )
        for op in settings.operations
    }

    stamp = datetime.now().strftime("%Y-%m-%d-%H%M%S")
    header = [
        f"# Benchmark {stamp}",
        "",
        f"- data: scale {settings.scale} (seed {settings.seed}); "
        + ", ".join(f"{k} {v:,}" for k, v in sizes.items()),
        f"- machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"PostgreSQL {_postgres_version(url)}, Python {platform.python_version()}; "
        f"load average {load_before} before, {_load_average()} after (other work on the "
        "machine skews the figures)",
        f"- ours: `registry serve --workers {settings.workers}` (REGISTRY_GRAPHIQL=false)"
        + (f", headers {settings.ours_headers}" if settings.ours_headers else ""),
        f"- PostGraphile {versions['postgraphile']} (amber + simplify-inflection "
        f"{versions['@graphile/simplify-inflection']}) on Node {versions['node']}, "
        "GRAPHILE_ENV=production",
        f"- load: {loadgen}, {settings.warmup:g} s warm-up then {settings.duration:g} s per "
        f"operation and connection count, {settings.variables} distinct requests per operation "
        f"(draw seed {settings.draw_seed})",
        f"- raw SQL floor: asyncpg, {settings.floor_connections} connections, one hand-written "
        "statement per request",
        f"- SQL/req: {counted_by}; agree: sampled answers equal to the raw SQL answer on both "
        "servers",
        "",
    ]
    text = (
        "\n".join(header) + "\n" + table(settings, ours, pg, statements, floors, agreements) + "\n"
    )
    problems = [p for a in agreements.values() for p in a.problems]
    not_asked = [p for p in problems if NOT_ASKED in p]
    listed = [p for p in problems if NOT_ASKED not in p]
    errors = sum(r.errors for figures in (ours, pg) for r in figures.loads.values())
    if problems:
        text += (
            "\n## Disagreements and errors in sampled answers\n\n"
            + "\n".join(f"- {p}" for p in listed[:40])
            + (f"\n- ... and {len(listed) - 40} more" if len(listed) > 40 else "")
            + (
                f"\n- {len(not_asked)} more sampled requests not asked after repeated failures"
                if not_asked
                else ""
            )
            + "\n"
        )
    text += (
        "\n## Set-up timings\n\n"
        + "\n".join(f"- {k}: {v:.1f} s" for k, v in timings.items())
        + "\n"
    )

    settings.results.mkdir(parents=True, exist_ok=True)
    out = settings.results / f"{stamp}.md"
    out.write_text(text, encoding="utf-8")
    print(text)
    say(f"written to {out.relative_to(REPO)}")
    if problems or errors:
        say(
            f"FAILED: {len(problems)} sampled answers wrong or disagreeing, "
            f"{errors} errors under load"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
