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


@dataclass(frozen=True)
class ColdStart:
    """The first request of an operation's document on a fresh process, and the median of
    the next sampled ones (the same document, new values)."""

    first_ms: float | None
    next_ms: float | None


@dataclass(frozen=True)
class Window:
    """One measured load run."""

    load: load.LoadResult
    # Of its requests, the share whose body this server process had answered before.
    seen_before: float
    # Our plan cache's (hits, misses) during the window; None for PostGraphile.
    lookups: tuple[int, int] | None


@dataclass
class ServerFigures:
    """What one server did: sampled answers and cold starts per operation, measured windows
    per (op, conns) for the realistic and the cached-body load, our plan lookups per
    operation over the whole realistic load (warm-ups included)."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    cold: dict[str, ColdStart] = field(default_factory=dict)
    loads: dict[tuple[str, int], Window] = field(default_factory=dict)
    cached: dict[tuple[str, int], Window] = field(default_factory=dict)
    plans: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


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
    cached_bodies: bool
    cached_variables: int
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
        "--variables",
        type=int,
        help="distinct variable sets per operation, drawn from the data (default 20,000; "
        "2,000 with --smoke; fewer where the data has fewer)",
    )
    parser.add_argument(
        "--cached-bodies",
        action="store_true",
        help="also measure the old way, for a second table: each server is first sent every "
        "one of a few distinct bodies (--cached-variables), then load cycles over them",
    )
    parser.add_argument(
        "--cached-variables",
        type=int,
        help="distinct bodies of the --cached-bodies table (default 200, 20 with --smoke)",
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
        variables=args.variables or (2_000 if smoke else 20_000),
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
        cached_bodies=args.cached_bodies,
        cached_variables=args.cached_variables or (20 if smoke else 200),
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


def write_bodies(
    ops: list[Operation], drawn: dict[str, list[Vars]], suffix: str = ""
) -> dict[tuple[str, str], Path]:
    folder = WORK / "bodies"
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for op in ops:
        for server, query in (("ours", op.ours), ("postgraphile", op.pg)):
            path = folder / f"{server}-{op.name}{suffix}.jsonl"
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
    url: str, ops: list[Operation], samples: dict[str, list[Vars]], session: dict[str, str]
) -> tuple[dict[str, list[Any]], list[str]]:
    """The reference answers of the samples (counted from the rows where the floor reads
    kept totals), and the samples on which the floor's own statement answers otherwise."""
    conn = await asyncpg.connect(url, server_settings=session)
    found: dict[str, list[Any]] = {}
    wrong: list[str] = []
    try:
        for op in ops:
            found[op.name] = []
            for v in samples[op.name]:
                expected = json.loads(await conn.fetchval(op.reference_sql, *v.sql))
                found[op.name].append(expected)
                if op.check_sql and json.loads(await conn.fetchval(op.raw_sql, *v.sql)) != expected:
                    wrong.append(f"{op.name} {v.sql!r}: the raw SQL floor's statement differs")
        return found, wrong
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
    op: Operation,
    samples: list[Vars],
    headers: list[str],
) -> tuple[list[Answer], ColdStart]:
    """The sampled requests' answers, on a server that has not seen the operation yet: the
    first is the cold start of its document (parse, validation, plan), the others are new
    values of a known document."""
    query = op.ours if running.name == "ours" else op.pg
    found: list[Answer] = []
    took: list[float] = []
    failures = 0
    for v in samples:
        if failures >= GIVE_UP_AFTER:
            skipped = f"{NOT_ASKED}: {GIVE_UP_AFTER} earlier requests failed"
            found.append(Answer(0, {"errors": [{"message": skipped}]}, None))
            continue
        variables = v.ours if running.name == "ours" else v.pg
        started = time.perf_counter()
        try:
            status, got, body = servers.post(
                running.url, {"query": query, "variables": variables}, _headers(headers)
            )
        except OSError as exc:  # refused, reset or timed out
            status, got, body = 0, {}, f"no answer: {exc!r}".encode()
        took.append((time.perf_counter() - started) * 1000)
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = {"errors": [{"message": body[:500].decode(errors="replace")}]}
        count = got.get(SQL_COUNT_HEADER)
        answer = Answer(status, parsed, int(count) if count and count.isdigit() else None)
        failures += _problem(answer) is not None
        found.append(answer)
    answered = sum(_problem(a) is None for a in found)
    cold = ColdStart(took[0] if took else None, statistics.median(took[1:]) if took[1:] else None)
    say(
        f"  {running.name:12} {op.name:8} {answered}/{len(found)} sampled requests answered; "
        f"first {_ms(cold.first_ms)} ms, then median {_ms(cold.next_ms)} ms"
    )
    return found, cold


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


def plan_lookups(running: servers.Running) -> tuple[int, int] | None:
    """Our plan cache's (hits, misses) so far, from /metrics; None for PostGraphile."""
    if running.name != "ours":
        return None
    with contextlib.suppress(OSError):
        return servers.plan_lookups(running.url)
    return None


def drive(
    running: servers.Running,
    op: Operation,
    settings: Settings,
    tools: Tools,
    path: Path,
    headers: list[str],
    database_url: str,
    start: int | None,
    database_name: str,
) -> dict[tuple[str, int], Window]:
    """Warm-up and measurement at each connection count. `start` is the first body to
    send, each run going on where the last stopped (realistic draws); None restarts every
    run at the first body (the cached-body table: every body was sent before)."""
    results = {}
    bodies = sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line)
    offset = start or 0
    for connections in settings.connections:

        def once(seconds: float, at: int, connections: int = connections) -> load.LoadResult:
            begin = at if start is not None else 0
            if tools.wrk:
                return load.run_wrk(
                    tools.wrk, running.url, path, connections, seconds, headers, begin
                )
            return load.run_python(running.url, path, connections, seconds, headers, begin)

        if settings.warmup > 0:
            offset = once(settings.warmup, offset).next
        before = plan_lookups(running)
        result = once(settings.duration, offset)
        after = plan_lookups(running)
        offset = result.next
        if result.requests == 0:
            # Nothing answered in the window: every connection is stuck, count them all.
            result = replace(result, errors=max(result.errors, connections))
        sent = result.next - result.start
        # Bodies [0, bodies) go out once each (the samples first); a body past the end of
        # the file is one this server had answered before.
        repeated = (
            1.0
            if start is None
            else (max(0, result.next - max(result.start, bodies)) / sent if sent else 0.0)
        )
        lookups = None
        if before is not None and after is not None:
            lookups = (after[0] - before[0], after[1] - before[1])
        window = Window(result, repeated, lookups)
        results[(op.name, connections)] = window
        wait_idle(database_url)
        say(
            f"  {running.name:12} {op.name:8} c={connections:<3} {result.rps:8.1f} req/s"
            f"  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms"
            f"  seen before {repeated:.0%}"
            + (f"  plan hits {_share(lookups)}" if lookups else "")
            + (f"  ERRORS {result.errors}" if result.errors else "")
            + f"  [{database_name}]"
        )
    return results


def prime(running: servers.Running, path: Path, headers: list[str], limit: float) -> int:
    """Send each distinct request of the file once (within `limit` seconds): the cached-body
    table measures requests the server has answered before. Returns how many were sent."""
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
    cached: dict[tuple[str, str], Path] | None,
    database_url: str,
    session_check: Callable[[servers.Running], str | None],
) -> dict[str, ServerFigures]:
    """Operation by operation, each server in turn on a fresh process of its own: requests
    one operation left queued inside a server (PostGraphile's national-size searches) cannot
    hold its pool while the next is measured, and the two servers of one operation are
    measured minutes apart at most, whatever the machine's speed does over the run.

    On each process: the sampled requests (the first is the document's cold start), the
    realistic load going on from the body after the samples, then (with --cached-bodies)
    the old measurement over a few bodies each sent before."""
    figures = {name: ServerFigures() for name in starts}
    for op in settings.operations:
        for name, start in starts.items():
            headers = settings.ours_headers if name == "ours" else []
            began = time.perf_counter()
            with start() as running:
                say(f"{name} ready at {running.url} in {time.perf_counter() - began:.1f} s")
                mismatch = session_check(running)
                if mismatch:
                    figures[name].problems.append(mismatch)
                answers, cold = sample_answers(running, op, samples[op.name], headers)
                figures[name].answers[op.name] = answers
                figures[name].cold[op.name] = cold
                before = plan_lookups(running)
                figures[name].loads.update(
                    drive(
                        running,
                        op,
                        settings,
                        tools,
                        bodies[(name, op.name)],
                        headers,
                        database_url,
                        start=len(samples[op.name]),
                        database_name="realistic",
                    )
                )
                after = plan_lookups(running)
                if before is not None and after is not None:
                    figures[name].plans[op.name] = (after[0] - before[0], after[1] - before[1])
                if cached is not None:
                    primed = prime(running, cached[(name, op.name)], headers, PRIME_SECONDS)
                    say(f"  {name:12} {op.name:8} {primed} distinct requests sent once")
                    figures[name].cached.update(
                        drive(
                            running,
                            op,
                            settings,
                            tools,
                            cached[(name, op.name)],
                            headers,
                            database_url,
                            start=None,
                            database_name="cached bodies",
                        )
                    )
            wait_idle(database_url)
    return figures


# Longest time spent sending each distinct request once before the cached-body load.
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
            {
                name: statistics.mean(n for n in c if n is not None)
                for name, c in from_header.items()
                if c
            },
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


def _share(lookups: tuple[int, int] | None) -> str:
    """Hits as a share of the lookups; '–' where there were none (the resolver path)."""
    if not lookups or not sum(lookups):
        return "–"
    hits, misses = lookups
    share = 100 * hits / (hits + misses)
    return f"{share:.2f}%" if misses else "100%"


def table(
    settings: Settings,
    ours: dict[tuple[str, int], Window],
    pg: dict[tuple[str, int], Window],
    statements: dict[str, float],
    floors: dict[str, float],
    agreements: dict[str, Agreement],
) -> str:
    lines = [
        "| operation | conns | ours req/s | ours p50 ms | ours p99 ms | PG req/s | PG p50 ms "
        "| PG p99 ms | ours/PG | SQL/req | raw SQL req/s | agree | errors ours/PG "
        "| seen before ours/PG | ours plan hits |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|:-:|--:|",
    ]
    for op in settings.operations:
        for connections in settings.connections:
            wa = ours.get((op.name, connections))
            wb = pg.get((op.name, connections))
            a = wa.load if wa else None
            b = wb.load if wb else None
            # No answer in the window: no latency to show.
            a_ms = a if a and a.requests else None
            b_ms = b if b and b.requests else None
            ratio = f"{a.rps / b.rps:.2f}x" if a and b and b.rps else "–"
            agreement = agreements[op.name]
            sql = statements.get(op.name)
            cells = [
                op.title,
                str(connections),
                _rate(a.rps if a else None),
                _ms(a_ms.p50_ms if a_ms else None),
                _ms(a_ms.p99_ms if a_ms else None),
                _rate(b.rps if b else None),
                _ms(b_ms.p50_ms if b_ms else None),
                _ms(b_ms.p99_ms if b_ms else None),
                ratio,
                "–" if sql is None else f"{sql:.1f}",
                _rate(floors.get(op.name)),
                f"{agreement.agreed}/{agreement.compared}",
                f"{a.errors if a else '–'}/{b.errors if b else '–'}",
                f"{_percent(wa.seen_before if wa else None)}/{_percent(wb.seen_before if wb else None)}",
                _share(wa.lookups if wa else None),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def cold_lines(settings: Settings, ours: ServerFigures, pg: ServerFigures) -> list[str]:
    lines = []
    for op in settings.operations:
        a, b = ours.cold.get(op.name), pg.cold.get(op.name)
        lines.append(
            f"- {op.title}: ours {_ms(a.first_ms if a else None)} ms (then {_ms(a.next_ms if a else None)}), "
            f"PostGraphile {_ms(b.first_ms if b else None)} ms (then {_ms(b.next_ms if b else None)})"
        )
    return lines


def plan_lines(settings: Settings, ours: ServerFigures) -> list[str]:
    lines = []
    for op in settings.operations:
        lookups = ours.plans.get(op.name)
        if not lookups or not sum(lookups):
            lines.append(f"- {op.title}: no plan lookups (answered by the resolver path)")
            continue
        hits, misses = lookups
        lines.append(
            f"- {op.title}: {_share(lookups)} of {hits + misses:,} lookups were hits "
            f"({misses:,} misses)"
        )
    return lines


def _postgres_version(url: str) -> str:
    async def fetch() -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    return asyncio.run(fetch()).split()[0]


# --- main ----------------------------------------------------------------------------------


def our_sessions() -> tuple[dict[str, str], str]:
    """Our service's session settings (db.engine.server_settings, application name aside),
    which PostGraphile and the floor get too, and a line on our pools."""
    from core.settings import Settings as ServiceSettings
    from db.engine import server_settings

    ours = ServiceSettings()
    session = {k: v for k, v in server_settings(ours).items() if k != "application_name"}
    pools = (
        f"read pool {ours.read_pool_size} (compiled path), resolver pool {ours.pool_size}, "
        f"write pool {ours.write_pool_size}"
    )
    return session, pools


async def session_report(url: str, session: dict[str, str]) -> str:
    """What a session with these settings reports (bench_pg.session_settings())."""
    conn = await asyncpg.connect(url, server_settings=session)
    try:
        return str(await conn.fetchval("SELECT bench_pg.session_settings()"))
    finally:
        await conn.close()


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

    session, pools = our_sessions()
    drawn = asyncio.run(draw_all(url, settings.operations, settings.variables, settings.draw_seed))
    empty = [name for name, v in drawn.items() if not v]
    if empty:
        raise SystemExit(f"no data to draw variables from for: {', '.join(empty)}")
    say("distinct variable sets: " + ", ".join(f"{k} {len(v):,}" for k, v in drawn.items()))
    samples = {name: v[: settings.sample] for name, v in drawn.items()}
    bodies = write_bodies(settings.operations, drawn)
    cached = (
        write_bodies(
            settings.operations,
            {name: v[: settings.cached_variables] for name, v in drawn.items()},
            suffix="-cached",
        )
        if settings.cached_bodies
        else None
    )

    say(
        f"raw SQL floor ({settings.floor_connections} connections, "
        f"{settings.floor_seconds:g} s each)"
    )
    raw, floor_wrong = asyncio.run(raw_answers(url, settings.operations, samples, session))
    floors = {}
    for op in settings.operations:
        floors[op.name] = load.sql_floor(
            url,
            op.raw_sql,
            [v.sql for v in drawn[op.name]],
            settings.floor_connections,
            settings.floor_seconds,
            warmup=min(settings.warmup, 2.0),
            server_settings=session,
        )
        say(f"  raw SQL      {op.name:8} {floors[op.name]:8.1f} req/s")

    expected = asyncio.run(session_report(url, session))
    say(f"database sessions: {expected}")

    def session_check(running: servers.Running) -> str | None:
        if running.name == "ours":
            return None  # ours are `session` by construction (db.engine.server_settings)
        got = servers.post(running.url, {"query": "{ benchPgSessionSettings }"})[2]
        found = json.loads(got).get("data", {}).get("benchPgSessionSettings")
        if found != expected:
            return f"PostGraphile's database sessions differ from ours: {found} against {expected}"
        return None

    run = run_servers(
        {
            "ours": lambda: servers.ours(url, settings.workers, LOGS),
            "postgraphile": lambda: servers.postgraphile(url, tools, LOGS, session),
        },
        settings,
        tools,
        samples,
        bodies,
        cached,
        url,
        session_check,
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
    counts = ", ".join(f"{op.name} {len(drawn[op.name]):,}" for op in settings.operations)
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
        + (f", headers {settings.ours_headers}" if settings.ours_headers else "")
        + f"; pools per process: {pools}",
        f"- PostGraphile {versions['postgraphile']} (amber + simplify-inflection "
        f"{versions['@graphile/simplify-inflection']}) on Node {versions['node']}, "
        f"GRAPHILE_ENV=production; pool of {servers.POSTGRAPHILE_POOL_MAX} connections",
        f"- database sessions of both servers and the raw-SQL floor: {expected} (ours set "
        "them on connect, db.engine.server_settings; PostGraphile's through PGOPTIONS, "
        "checked on each of its processes; the helper functions of bench/pg_helpers.sql read "
        "the kept totals of report_counts where ours does)",
        f"- load: {loadgen}, {settings.warmup:g} s warm-up then {settings.duration:g} s per "
        f"operation and connection count, each server on a fresh process per operation",
        f"- raw SQL floor: asyncpg, {settings.floor_connections} connections, one hand-written "
        "statement per request, reading the same tables as ours",
        f"- SQL/req: {counted_by}; agree: sampled answers equal to the reference SQL answer "
        "(counted from the rows themselves) on both servers",
        "",
        "## Realistic draws",
        "",
        f"Distinct variable sets drawn from the data (draw seed {settings.draw_seed}): {counts} "
        f"(at most {settings.variables:,}; all there are where fewer). No priming: before the "
        f"load each server process answers only the {settings.sample} sampled requests (the "
        "first is the cold start of the document), and the load goes on from the body after "
        "them, each run where the last stopped. `seen before`: the share of the measured "
        "requests whose body that process had answered before (once a run outlasts the "
        "distinct bodies); `ours plan hits`: our plan cache's hits over the measured window "
        "(registry_plan_cache_lookups_total on /metrics, before and after).",
        "",
    ]
    text = (
        "\n".join(header)
        + "\n"
        + table(settings, ours.loads, pg.loads, statements, floors, agreements)
        + "\n"
    )
    if settings.cached_bodies:
        text += (
            "\n## Cached bodies (the old measurement: every body answered before)\n\n"
            f"The first {settings.cached_variables} variable sets of each operation; on the "
            "same process, after the realistic load, each server is sent every one of them once "
            f"(at most {PRIME_SECONDS:g} s), then every run cycles over them from the first.\n\n"
            + table(settings, ours.cached, pg.cached, statements, floors, agreements)
            + "\n"
        )
    text += (
        "\n## Cold start\n\n"
        "The first request of each operation's document on a fresh process (never-seen "
        "document: parse, validation, plan; for ours also the prepared statement), then the "
        "median of the next sampled requests (same document, new values), in ms, one at a "
        "time:\n\n" + "\n".join(cold_lines(settings, ours, pg)) + "\n"
        "\n## Our plan cache over the realistic load (warm-ups included)\n\n"
        + "\n".join(plan_lines(settings, ours))
        + "\n"
    )
    problems = [p for a in agreements.values() for p in a.problems]
    problems += floor_wrong + ours.problems + pg.problems
    not_asked = [p for p in problems if NOT_ASKED in p]
    listed = [p for p in problems if NOT_ASKED not in p]
    windows = [*ours.loads.values(), *pg.loads.values(), *ours.cached.values(), *pg.cached.values()]
    errors = sum(w.load.errors for w in windows)
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
