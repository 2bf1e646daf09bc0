"""`registry seed`: fill the database with generated, realistic and rule-abiding data.

Deterministic for a seed: every congress and region draws from a random generator of its
own, derived from (seed, purpose, code), and batches are generated in a fixed order (see
seed.batches: seats first, nation then provinces; then the committees' and stations' work;
then the duty work). A worker thread generates batches while the previous ones are written
with COPY, into tables whose secondary indexes and foreign keys are rebuilt once loaded; the
report totals are counted while the duty work is still being generated.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from seed.batches import (
    Seated,
    filled_congresses,
    national_duty_batch,
    national_seats_batch,
    national_work_batch,
    province_duty_batch,
    province_seats_batch,
    province_work_batch,
)
from seed.context import Context
from seed.model import COLUMNS, DUTY_TABLES, Batch, Ids
from seed.scales import ScalePlan, parse_scale
from seed.world import load_world
from seed.writer import DeferredIndexes, advance_sequences, driver_of, last_ids, write_batch

log = logging.getLogger(__name__)


def _timed(job: Callable[[], Batch]) -> tuple[Batch, float]:
    started = time.perf_counter()
    return job(), time.perf_counter() - started


class _Bar:
    """Progress callbacks: congresses generated, rows written, indexes rebuilt."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        if progress is not None:
            self.made = progress.add_task("generating", total=total)
            self.rows = progress.add_task("writing", total=None)
        self.written = 0

    def tick(self, label: str, advance: int) -> None:
        if self.progress is not None:
            self.progress.update(self.made, advance=advance, description=f"generating {label}")

    def wrote(self, rows: int) -> None:
        self.written += rows
        if self.progress is not None:
            self.progress.update(self.rows, completed=self.written, description="rows written")

    def note(self, what: str) -> None:
        if self.progress is not None:
            self.progress.update(self.rows, description=what)


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[_Bar]:
    if not enabled:
        yield _Bar(None, total)
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        yield _Bar(progress, total)


class AlreadySeeded(RuntimeError):
    """The database has deputies already: generated data would collide with them (meeting
    numbers, second chairs, seats beyond the legal count)."""


async def _has_deputies(connection: AsyncConnection) -> bool:
    return bool(await connection.scalar(text("SELECT EXISTS (SELECT 1 FROM deputies)")))


@dataclass
class _Jobs:
    """The batches in order; the last index of the seats and of the work phase."""

    batches: list[Callable[[], Batch]]
    seats_end: int
    work_end: int
    steps: int  # for the progress bar


def _jobs(ctx: Context) -> _Jobs:
    by_province = filled_congresses(ctx)
    provinces = ctx.plan.provinces
    seated: dict[str, Seated] = {}
    jobs: list[Callable[[], Batch]] = [partial(national_seats_batch, ctx, seated)]
    jobs += [partial(province_seats_batch, ctx, seated, p, by_province[p]) for p in provinces]
    seats_end = len(jobs) - 1
    jobs.append(partial(national_work_batch, ctx, seated))
    jobs += [partial(province_work_batch, ctx, seated, p) for p in provinces]
    work_end = len(jobs) - 1
    jobs.append(partial(national_duty_batch, ctx, seated))
    jobs += [partial(province_duty_batch, ctx, seated, p) for p in provinces]
    # Seats tick per delegation and congress, the other batches once each.
    steps = len(ctx.plan.delegations) + sum(map(len, by_province.values()))
    return _Jobs(jobs, seats_end, work_end, steps + len(jobs) - seats_end - 1)


async def seed_connection(
    connection: AsyncConnection, *, scale: str, seed: int, progress: bool = False
) -> dict[str, int]:
    """Generate and write everything inside the caller's transaction, on a database with
    reference data and no deputies; returns the rows written per table."""
    plan = parse_scale(scale)
    if await _has_deputies(connection):
        raise AlreadySeeded("the database already has deputies; seed an empty one")
    # Millions of long-lived objects: the cycle collector would walk them all, again and
    # again, for the few cycles it could free (seed.batches breaks those itself).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return await _seed(connection, plan, seed, progress)
    finally:
        if collecting:
            gc.enable()


async def _seed(
    connection: AsyncConnection, plan: ScalePlan, seed: int, progress: bool
) -> dict[str, int]:
    # Bulk COPY and index builds can outlast the service's per-statement timeout.
    await connection.execute(text("SET LOCAL statement_timeout = 0"))
    world = await load_world(connection, seed)
    ids = Ids(await last_ids(connection))
    ctx = Context(world, plan, seed, ids)
    jobs = _jobs(ctx)
    deferred = DeferredIndexes()
    await deferred.drop(connection)
    # Report counts are rebuilt once, not by the triggers batch by batch.
    await _report_triggers(connection, enabled=False)
    counts: Counter[str] = Counter()
    driver = await driver_of(connection)
    with _progress_bar(progress, jobs.steps) as bar:
        ctx.tick = bar.tick

        async def restore(tables: set[str] | None) -> None:
            started = time.perf_counter()
            await deferred.restore(connection, tables, lambda name: bar.note(f"indexed {name}"))
            log.info("indexes rebuilt in %.1f s", time.perf_counter() - started)

        async def registry_done() -> None:
            # The registry is complete: its indexes, then the report totals (which read
            # nothing of the duty work), while the duty work is generated.
            await restore(set(COLUMNS) - set(DUTY_TABLES))
            started = time.perf_counter()
            bar.note("report counts")
            await connection.execute(text("SELECT registry_rebuild_report_counts()"))
            log.info("report counts rebuilt in %.1f s", time.perf_counter() - started)

        async def seats_done() -> None:
            await restore({"deputies", "mandates"})

        after = {jobs.seats_end: seats_done, jobs.work_end: registry_done}
        await _pipeline(jobs.batches, driver, counts, bar, after)
        await restore(None)
    await advance_sequences(connection, ids.last)
    await _report_triggers(connection, enabled=True)
    return {table: counts[table] for table in COLUMNS}


async def _report_triggers(connection: AsyncConnection, *, enabled: bool) -> None:
    found = await connection.execute(
        text(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE tgname LIKE 'trg\\_report\\_counts\\_%'"
        )
    )
    switch = "ENABLE" if enabled else "DISABLE"
    for table, name in found.all():
        await connection.execute(text(f"ALTER TABLE {table} {switch} TRIGGER {name}"))


# Batches generated ahead of the one being written (bounds memory at national scale).
AHEAD = 3


class _Room:
    """How far the generator may run ahead of the writer: AHEAD batches, or without a
    bound while the writer waits on PostgreSQL rebuilding indexes (the generator then
    keeps the Python side busy instead of waiting for room)."""

    def __init__(self, ahead: int) -> None:
        self.ahead = ahead
        self.pending = 0
        self.unbounded = False
        self.stopped = False
        self.changed = threading.Condition()

    def enter(self) -> bool:
        """Wait for room for one more batch; False once stopped."""
        with self.changed:
            self.changed.wait_for(
                lambda: self.stopped or self.unbounded or self.pending < self.ahead
            )
            self.pending += 1
            return not self.stopped

    def leave(self) -> None:
        with self.changed:
            self.pending -= 1
            self.changed.notify_all()

    def bound(self, bounded: bool) -> None:
        with self.changed:
            self.unbounded = not bounded
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()


async def _pipeline(
    jobs: list[Callable[[], Batch]],
    driver: object,
    counts: Counter[str],
    bar: _Bar,
    after: Mapping[int, Callable[[], Awaitable[None]]],
) -> None:
    """One worker thread generates the batches in order while this task copies them, and
    runs the steps `after` names once their batch is written (PostgreSQL works on its own
    core meanwhile, and the generator may run ahead without bound)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Queue[tuple[Batch, float] | BaseException] = asyncio.Queue()
    room = _Room(AHEAD)

    def produce() -> None:
        for job in jobs:
            if not room.enter():
                return
            try:
                item: tuple[Batch, float] | BaseException = _timed(job)
            except BaseException as error:  # handed to the writer, which raises it
                item = error
            loop.call_soon_threadsafe(ready.put_nowait, item)
            if isinstance(item, BaseException):
                return

    producer = asyncio.ensure_future(asyncio.to_thread(produce))
    try:
        for i in range(len(jobs)):
            item = await ready.get()
            if isinstance(item, BaseException):
                raise item
            batch, generating = item
            started = time.perf_counter()
            await write_batch(driver, batch, counts, bar.wrote)
            room.leave()
            log.info(
                "%s: generated in %.1f s, written in %.1f s",
                batch.label,
                generating,
                time.perf_counter() - started,
            )
            if i in after:
                room.bound(False)
                try:
                    await after[i]()
                finally:
                    room.bound(True)
    finally:
        # Never leave the generator thread running behind an error.
        room.stop()
        await asyncio.gather(producer, return_exceptions=True)


async def run_seed(
    settings: Settings, *, scale: str, seed: int, if_empty: bool = False
) -> dict[str, int] | None:
    """The `registry seed` command: seed in one transaction, then VACUUM and ANALYZE."""
    from db.engine import create_engine

    console = Console()
    try:
        plan: ScalePlan = parse_scale(scale)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise SystemExit(2) from error
    engine = create_engine(settings)
    try:
        started = time.perf_counter()
        async with engine.begin() as connection:
            if await _has_deputies(connection):
                if if_empty:
                    console.print("deputies already present; nothing seeded")
                    return None
                console.print("[red]the database already has deputies; seed an empty one[/red]")
                raise SystemExit(1)
            counts = await seed_connection(connection, scale=scale, seed=seed, progress=True)
        async with engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            analyzed = time.perf_counter()
            # VACUUM too: it sets every loaded row's hint bits and the visibility map once,
            # instead of the first queries dirtying millions of pages (the first national
            # searches took seconds longer) and scans on index keys reading the heap.
            await autocommit.execute(text("VACUUM (ANALYZE)"))
            log.info("vacuumed and analyzed in %.1f s", time.perf_counter() - analyzed)
        _report(console, plan, seed, counts, time.perf_counter() - started)
        return counts
    finally:
        await engine.dispose()


def _report(
    console: Console, plan: ScalePlan, seed: int, counts: dict[str, int], seconds: float
) -> None:
    table = Table(title=f"seeded scale {plan.name} (seed {seed}) in {seconds:.1f} s")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
