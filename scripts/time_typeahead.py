"""Time typeahead searches against a running server: the first page of `deputies` with a
bounded count, for prefixes of 1, 2 and 3 letters and single hanzi, N connections at once.

    python scripts/time_typeahead.py --url http://127.0.0.1:8000/graphql \
        --database postgresql://postgres@127.0.0.1:5432/registry --connections 10

The prefixes are drawn from the deputies' own search keys (so most of them match), plus
every single letter: each value is sent once, so no plan or answer is reused for it.
Prints p50 / p99 / max per kind of prefix, and the slowest prefixes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import string
import time

import asyncpg
import httpx

QUERY = """query Typeahead($search: String!) {
  deputies(first: 10, filter: {search: $search}) {
    boundedCount { count isExact }
    nodes { id name namePinyin }
  }
}"""


async def prefixes(database: str, per_kind: int, seed: int) -> dict[str, list[str]]:
    connection = await asyncpg.connect(database)
    try:
        rows = await connection.fetch(
            "SELECT name, name_pinyin FROM deputies TABLESAMPLE SYSTEM (1) LIMIT 20000"
        )
    finally:
        await connection.close()
    rng = random.Random(seed)
    pinyin_starts: set[str] = set()
    hanzi: set[str] = set()
    for row in rows:
        syllables = row["name_pinyin"].split()
        for i in range(len(syllables)):
            joined = "".join(syllables[i:])
            initials = "".join(s[0] for s in syllables[i:])
            pinyin_starts.update({joined[:2], joined[:3], initials[:2], initials[:3]})
        hanzi.update(c for c in row["name"] if "\u3400" <= c <= "\u9fff")
    two = sorted(p for p in pinyin_starts if len(p) == 2)
    three = sorted(p for p in pinyin_starts if len(p) == 3)
    return {
        "1 letter": list(string.ascii_lowercase),
        "2 letters": rng.sample(two, min(per_kind, len(two))),
        "3 letters": rng.sample(three, min(per_kind, len(three))),
        "1 hanzi": rng.sample(sorted(hanzi), min(per_kind, len(hanzi))),
    }


async def run(url: str, values: list[str], connections: int) -> list[tuple[float, str]]:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for value in values:
        queue.put_nowait(value)
    timings: list[tuple[float, str]] = []

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            value = queue.get_nowait()
            started = time.perf_counter()
            response = await client.post(url, json={"query": QUERY, "variables": {"search": value}})
            elapsed = (time.perf_counter() - started) * 1000
            body = response.json()
            assert response.status_code == 200, (value, body)
            # A statement timeout is a (very) slow answer, kept as such.
            failed = "errors" in body
            timings.append((elapsed, value + (" (error)" if failed else "")))

    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(connections)))
    return timings


def percentile(sorted_values: list[float], p: float) -> float:
    index = min(len(sorted_values) - 1, round(p / 100 * (len(sorted_values) - 1)))
    return sorted_values[index]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--database", required=True)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--per-kind", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    kinds = await prefixes(args.database, args.per_kind, args.seed)
    print(f"{'prefixes':<10} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  slowest")
    for kind, values in kinds.items():
        timings = await run(args.url, values, args.connections)
        ms = sorted(t for t, _ in timings)
        slowest = ", ".join(f"{v} {t:.0f}" for t, v in sorted(timings, reverse=True)[:4])
        print(
            f"{kind:<10} {len(ms):>5} {statistics.median(ms):>8.1f} "
            f"{percentile(ms, 99):>8.1f} {ms[-1]:>8.1f}  {slowest}"
        )


if __name__ == "__main__":
    asyncio.run(main())
