"""Time every report at province and national scope on the configured database.

    DATABASE_URL=postgresql://... .venv/bin/python scripts/time_reports.py [--runs 5] [--province 370000]

Runs each report's SQL (the same functions the GraphQL fields and CSV exports call) a few
times after a warm-up and prints a Markdown table of the median and slowest wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.settings import get_settings
from db.engine import create_engine
from db.session import RequestDatabase
from resolvers import reports


async def timed(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, float]:
    await work()  # warm-up: plans cached, pages in memory
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples)


async def main(runs: int, province: str) -> None:
    engine = create_engine(get_settings())
    db = RequestDatabase(engine=engine)
    deputies = (await db.execute(text("SELECT count(*) FROM deputies"))).scalar_one()
    committee, congress = (
        await db.execute(
            text(
                "SELECT k.id, c.id FROM committees k JOIN congresses c ON c.id = k.congress_id "
                "WHERE c.region_code = :code AND k.kind = 'STANDING_COMMITTEE'"
            ),
            {"code": province},
        )
    ).one()
    year_start, year_end = date(2024, 1, 1), date(2024, 12, 31)
    cases: list[tuple[str, str, Callable[[], Awaitable[Any]]]] = []
    for scope_name, code in (("province", province), ("nation", "100000")):
        cases += [
            (
                "composition CONGRESSES",
                scope_name,
                lambda c=code: reports.composition(db, c, "CONGRESSES", None),
            ),
            (
                "composition LOCALITY",
                scope_name,
                lambda c=code: reports.composition(db, c, "LOCALITY", None),
            ),
            (
                "composition asOf 2022-06-01",
                scope_name,
                lambda c=code: reports.composition(db, c, "CONGRESSES", date(2022, 6, 1)),
            ),
            (
                "compositionByChild",
                scope_name,
                lambda c=code: reports.composition(db, c, "CONGRESSES", None, by_child=True),
            ),
            (
                "stationActivity (a year)",
                scope_name,
                lambda c=code: reports.station_activity(db, c, year_start, year_end),
            ),
            (
                "stationActivityByChild",
                scope_name,
                lambda c=code: reports.station_activity(db, c, year_start, year_end, by_child=True),
            ),
            ("stationCoverage", scope_name, lambda c=code: reports.station_coverage(db, c)),
        ]
    cases += [
        (
            "attendance (standing committee, 2024)",
            "province",
            lambda: reports.attendance(db, committee, 2024),
        ),
        (
            "contactCoverage (provincial congress)",
            "province",
            lambda: reports.contact_coverage(db, congress),
        ),
    ]
    print(f"{deputies:,} deputies; {runs} runs after a warm-up; province {province}\n")
    print("| report | scope | median ms | slowest ms |")
    print("| --- | --- | ---: | ---: |")
    limit = get_settings().statement_timeout_ms
    for name, scope_name, work in cases:
        try:
            median, slowest = await timed(runs, work)
        except DBAPIError as error:  # the service's statement timeout: say so, go on
            db = RequestDatabase(engine=engine)
            print(f"| {name} | {scope_name} | over {limit:,} | ({type(error.orig).__name__}) |")
            continue
        print(f"| {name} | {scope_name} | {median * 1000:,.0f} | {slowest * 1000:,.0f} |")
    await db.close()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--province", default="370000")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.province))
