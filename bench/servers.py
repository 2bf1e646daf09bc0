"""Start and stop the two servers, one at a time: ours (`registry serve`, production settings)
and PostGraphile 5 (GRAPHILE_ENV=production, amber preset + simplify-inflection).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.tools import WORK, Tools, registry_command

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
HOST = "127.0.0.1"

GRAPHILE_CONFIG = """\
// Written by bench/servers.py for each run: PostGraphile 5 over the benchmark database.
import {{ PostGraphileAmberPreset }} from "postgraphile/presets/amber";
import {{ PgSimplifyInflectionPreset }} from "@graphile/simplify-inflection";
import {{ makePgService }} from "postgraphile/adaptors/pg";

export default {{
  extends: [PostGraphileAmberPreset, PgSimplifyInflectionPreset],
  pgServices: [
    makePgService({{
      connectionString: process.env.DATABASE_URL,
      // bench_pg holds the helper functions of bench/pg_helpers.sql (search, counts, reports).
      schemas: ["public", "bench_pg"],
      // node-postgres' default, stated; the session settings come from PGOPTIONS.
      poolConfig: {{ max: {pool_max} }},
    }}),
  ],
  grafserv: {{ host: {host}, port: {port}, graphiql: false, watch: false }},
  grafast: {{ explain: false }},
}};
"""


# Connections of PostGraphile's pool (node-postgres' default).
POSTGRAPHILE_POOL_MAX = 10


@dataclass(frozen=True)
class Running:
    name: str
    url: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def post(
    url: str, body: dict[str, object], headers: dict[str, str] | None = None, timeout: float = 120
) -> tuple[int, dict[str, str], bytes]:
    """One POST: status, headers (lower-cased names) and body, errors included."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data, {"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, {k.lower(): v for k, v in refused.headers.items()}, refused.read()


def plan_lookups(graphql_url: str) -> tuple[int, int]:
    """Our plan cache's (hits, misses) so far: registry_plan_cache_lookups_total on /metrics."""
    metrics_url = graphql_url.removesuffix("/graphql") + "/metrics"
    with urllib.request.urlopen(metrics_url, timeout=30) as answer:
        text = answer.read().decode()
    found = {"hit": 0.0, "miss": 0.0}
    for line in text.splitlines():
        if line.startswith("registry_plan_cache_lookups_total{"):
            labels, _, value = line.rpartition(" ")
            for result in found:
                if f'result="{result}"' in labels:
                    found[result] += float(value)
    return int(found["hit"]), int(found["miss"])


def pg_options(session: dict[str, str]) -> str:
    """Session settings as libpq's (and node-postgres') PGOPTIONS."""
    return " ".join(f"-c {name}={value}" for name, value in session.items())


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({process.returncode}); see {log}")
        try:
            status, _, body = post(url, {"query": "{ __typename }"}, timeout=5)
            if status == 200 and b'"Query"' in body:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url}: not ready after {seconds:.0f} s; see {log}")


@contextmanager
def _process(
    name: str, command: list[str], env: dict[str, str], cwd: Path, url: str, log: Path
) -> Iterator[Running]:
    with log.open("w") as out:
        # Its own session, so that stopping it ends its workers too (and nothing else).
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=out, start_new_session=True
        )
        try:
            _wait_ready(process, url, log, seconds=120)
            yield Running(name, url, log)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@contextmanager
def ours(database_url: str, workers: int, logs: Path) -> Iterator[Running]:
    """`registry serve` as in production: no reload, no GraphiQL, N worker processes."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REGISTRY_GRAPHIQL": "false"}
    command = [
        *registry_command(),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with _process(
        "ours", command, env, REPO, f"http://{HOST}:{port}/graphql", env_log(logs, "ours")
    ) as running:
        yield running


@contextmanager
def postgraphile(
    database_url: str, tools: Tools, logs: Path, session: dict[str, str]
) -> Iterator[Running]:
    """PostGraphile 5 in production mode, its sessions given `session` (ours' settings)."""
    port = free_port()
    config = WORK / "graphile.config.mjs"
    config.write_text(
        GRAPHILE_CONFIG.format(host=json.dumps(HOST), port=port, pool_max=POSTGRAPHILE_POOL_MAX)
    )
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GRAPHILE_ENV": "production",
        "NODE_ENV": "production",
        "PGOPTIONS": pg_options(session),
    }
    command = [str(tools.node), str(tools.postgraphile_cli), "-C", str(config)]
    with _process(
        "postgraphile",
        command,
        env,
        WORK,
        f"http://{HOST}:{port}/graphql",
        env_log(logs, "postgraphile"),
    ) as running:
        yield running


def env_log(logs: Path, name: str) -> Path:
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"{name}.log"
