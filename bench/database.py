"""The benchmark database: created, migrated, seeded at a scale and analysed once, then reused
while the scale and seed stay the same (a comment on the database records them).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench.tools import registry_command

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
HELPERS_SQL = BENCH / "pg_helpers.sql"


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def _marker(scale: str, seed: int) -> str:
    return f"deputy-registry bench: scale={scale} seed={seed}"


async def _admin(server_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(database_url(server_url, "postgres"))


async def _current_marker(server_url: str, name: str) -> str | None:
    """The database's bench comment, or None when there is no such database."""
    conn = await _admin(server_url)
    try:
        row = await conn.fetchrow(
            "SELECT shobj_description(oid, 'pg_database') AS note FROM pg_database"
            " WHERE datname = $1",
            name,
        )
    finally:
        await conn.close()
    return None if row is None else (row["note"] or "")


async def _recreate(server_url: str, name: str) -> None:
    conn = await _admin(server_url)
    try:
        # Our own database: FORCE ends sessions left over from an interrupted run.
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def _finish(url: str, name: str, marker: str | None) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        if marker is not None:
            await conn.execute("ANALYZE")
            await conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{marker}'")
        # PostGraphile's helper schema: rebuilt every run, so it always matches this code.
        await conn.execute(HELPERS_SQL.read_text(encoding="utf-8"))
        await conn.execute("ANALYZE")
        sizes = {}
        for table in ("deputies", "mandates", "stations", "deputy_groups", "regions"):
            sizes[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")
        return sizes
    finally:
        await conn.close()


def _registry(args: list[str], url: str, log: Path) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    with log.open("a") as out:
        done = subprocess.run(
            [*registry_command(), *args], cwd=REPO, env=env, stdout=out, stderr=out, check=False
        )
    if done.returncode != 0:
        raise SystemExit(f"`registry {' '.join(args)}` failed; see {log}")


def _seed_importable() -> bool:
    done = subprocess.run(
        [sys.executable, "-c", "import seed.generate"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def prepare(
    server_url: str,
    name: str,
    scale: str,
    seed: int,
    fresh: bool,
    log: Path,
    say: Callable[[str], None] = print,
) -> tuple[str, dict[str, int], bool]:
    """The database's URL, its table sizes, and whether it was (re)seeded."""
    url = database_url(server_url, name)
    marker = _marker(scale, seed)
    current = asyncio.run(_current_marker(server_url, name))
    reseed = fresh or current != marker
    if reseed:
        if not _seed_importable():
            raise SystemExit("seed.generate is not importable yet: the data generator is missing")
        say(f"creating database {name} (scale {scale}, seed {seed})")
        asyncio.run(_recreate(server_url, name))
    started = time.perf_counter()
    # Always: a no-op when up to date, and it keeps the schema in step with the code.
    _registry(["migrate"], url, log)
    if reseed:
        say(f"  migrated in {time.perf_counter() - started:.1f} s; seeding ...")
        started = time.perf_counter()
        _registry(["seed", "--scale", scale, "--seed", str(seed)], url, log)
        say(f"  seeded in {time.perf_counter() - started:.1f} s")
    sizes = asyncio.run(_finish(url, name, marker if reseed else None))
    return url, sizes, reseed
