"""Load generators: wrk (a Lua script going through request bodies) or a small asyncio
client when wrk is missing, and the raw-SQL floor (asyncpg, no HTTP, no GraphQL).

Both HTTP generators are closed-loop: a fixed number of keep-alive connections, each
sending its next request when the answer to the last one has arrived, over loopback.
Both start at a given body and say where the next run should start (`LoadResult.next`),
so that a run sends no body an earlier one sent until the file is used up.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

BENCH = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH / "wrk.lua"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    # Answers that were not a clean 200 (HTTP error, GraphQL errors) plus socket errors.
    errors: int
    # The bodies this run went through: [start, next) of the file's lines, counted on
    # past its end when it wrapped around.
    start: int = 0
    next: int = 0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    wrk: str,
    url: str,
    bodies: Path,
    connections: int,
    seconds: float,
    headers: list[str],
    start: int = 0,
) -> LoadResult:
    # wrk takes whole seconds; two threads at most (the machine has the servers to run too).
    threads = max(1, min(2, connections))
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "-s",
        str(WRK_SCRIPT),
        url,
        "--",
        str(bodies),
        str(start),
        str(threads),
        *headers,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            figures = json.loads(line.removeprefix("BENCH_RESULT "))
            return LoadResult(
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                p50_ms=figures["p50_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                errors=figures["bad_answers"] + figures["socket_errors"],
                start=start,
                next=start + figures["rounds"] * threads,
            )
    raise RuntimeError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")


# --- the asyncio fallback -----------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    if "content-length" in fields:
        return status, await reader.readexactly(int(fields["content-length"]))
    body = bytearray()
    while True:  # chunked
        size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return status, bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _client(
    url: str,
    requests: list[bytes],
    cursor: list[int],
    deadline: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            # One cursor for all connections (one event loop): each body is sent once.
            writer.write(requests[cursor[0] % len(requests)])
            cursor[0] += 1
            try:
                status, body = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                errors[0] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                continue
            latencies.append(time.perf_counter() - started)
            if status != 200 or b'"errors"' in body:
                errors[0] += 1
    finally:
        writer.close()


async def _python_load(
    url: str, bodies: list[str], connections: int, seconds: float, headers: list[str], start: int
) -> LoadResult:
    parts = urlsplit(url)
    extra = "".join(f"{h}\r\n" for h in headers)
    requests = []
    for body in bodies:
        data = body.encode()
        requests.append(
            (
                f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n{extra}\r\n"
            ).encode()
            + data
        )
    latencies: list[float] = []
    errors = [0]
    cursor = [start]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(url, requests, cursor, deadline, latencies, errors) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100, method="inclusive")
        p50, p99 = cuts[49], cuts[98]
    else:
        p50 = p99 = latencies[0] if latencies else 0.0
    return LoadResult(
        len(latencies), elapsed, p50 * 1000, p99 * 1000, errors[0], start=start, next=cursor[0]
    )


def run_python(
    url: str, bodies: Path, connections: int, seconds: float, headers: list[str], start: int = 0
) -> LoadResult:
    lines = [b for b in bodies.read_text(encoding="utf-8").splitlines() if b]
    return asyncio.run(_python_load(url, lines, connections, seconds, headers, start))


# --- the raw-SQL floor --------------------------------------------------------------------


async def _sql_floor(
    dsn: str,
    sql: str,
    args: list[tuple[object, ...]],
    connections: int,
    seconds: float,
    warmup: float,
    server_settings: dict[str, str],
) -> float:
    pool = await asyncpg.create_pool(
        dsn, min_size=connections, max_size=connections, server_settings=server_settings
    )
    try:

        async def worker(offset: int, until: float, done: list[int]) -> None:
            async with pool.acquire() as conn:
                i = offset
                while time.perf_counter() < until:
                    await conn.fetchval(sql, *args[i % len(args)])
                    i += 1
                    done[0] += 1

        warm = [0]
        until = time.perf_counter() + warmup
        await asyncio.gather(*(worker(n * 7919, until, warm) for n in range(connections)))
        done = [0]
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(*(worker(n * 7919, until, done) for n in range(connections)))
        return done[0] / (time.perf_counter() - started)
    finally:
        await pool.close()


def sql_floor(
    dsn: str,
    sql: str,
    args: list[tuple[object, ...]],
    connections: int,
    seconds: float,
    warmup: float,
    server_settings: dict[str, str],
) -> float:
    """Statements per second: the same answers built by one hand-written SQL statement each,
    in sessions with the servers' settings."""
    return asyncio.run(_sql_floor(dsn, sql, args, connections, seconds, warmup, server_settings))
