"""Importing rosters from CSV and XLSX: one import from a file's bytes to its outcome, for the
HTTP upload (service.imports) and the command line alike.

Four kinds (docs/import-format.md has the column layout): deputies with their mandates
(one row per mandate), station assignments, group memberships and attendance. One import
is one transaction, set-based, so that 100,000 rows take seconds rather than the minutes
of 100,000 calls of create_deputy:
1. each row's values are parsed and checked (bulk.parse);
2. the rows are COPYed into a temporary staging table;
3. every reference and rule is checked by a few SQL statements over the whole table
   (bulk.deputies, and bulk.links with a kind of bulk.stations, bulk.groups, bulk.attendance);
4. the writes are INSERT ... SELECT and UPDATE ... FROM, of what differs only.
With any error nothing is written, and every bad row is reported with its line, column
and reason. A dry run does all four steps and rolls back, so it reports exactly what a real
run would write. Rows are matched on natural keys, so a file imported twice changes nothing
the second time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from asyncpg.exceptions import QueryCanceledError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from bulk import attendance, deputies, groups, links, stations
from bulk.columns import KINDS
from bulk.parse import parse
from bulk.problems import (
    BadFile,
    Clock,
    ImportTimeout,
    Progress,
    RowProblems,
    as_json,
    at,
    column_of,
    in_file_order,
    line_of,
    no_progress,
)
from bulk.staging import stage
from core.codes import Code
from core.context import Caller
from core.settings import Settings
from db.write_scope import load_scope
from resolvers.mutations.base import Problem

# The advisory lock keeps two imports from creating the same new person twice.
IMPORT_LOCK = 7_309_001
LINK_KINDS = {k.kind: k for k in (stations.IMPORT, groups.IMPORT, attendance.IMPORT)}


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Importer:
    """Who imports: the audit log's actor, and the region an editor may write in."""

    subject: str
    role: str
    region_code: str | None = None

    def caller(self) -> Caller:
        return Caller(subject=self.subject, role=self.role, region_code=self.region_code)


@dataclass(frozen=True)
class Limits:
    """What one import may take (HTTP uploads; the command line runs without them)."""

    max_rows: int | None = None
    time_limit_s: float | None = None

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.import_max_rows, settings.import_time_limit_s)


@dataclass
class Outcome:
    kind: str
    dry_run: bool
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    # What was written, or in a dry run would be: {"deputies.created": 3, ...}.
    counts: dict[str, int] = field(default_factory=dict)
    # Set when the time limit cut the import short: how far it got.
    timeout: ImportTimeout | None = None

    @property
    def written(self) -> bool:
        return not self.dry_run and not self.errors and self.timeout is None

    def as_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "kind": self.kind,
            "dryRun": self.dry_run,
            "written": self.written,
            "rows": self.rows,
            "counts": self.counts,
            "errors": [as_json(e) for e in self.errors],
        }
        if self.timeout is not None:
            answer |= {
                "error": f"The import stopped at its time limit while {self.timeout.stage}; "
                "nothing was written. Split the file, or import it on the command line.",
                "code": Code.IMPORT_TIMEOUT,
                "stage": self.timeout.stage,
                "rowsChecked": self.timeout.rows_checked,
            }
        return answer


async def import_into(
    conn: AsyncConnection,
    kind: str,
    parsed: tuple[list[tuple[Any, ...]], RowProblems],
    importer: Importer,
    progress: Progress = no_progress,
    clock: Clock | None = None,
) -> Outcome:
    """Check a parsed file and write it on a connection inside a transaction that the
    caller owns, and rolls back when the outcome has errors. Past the clock's deadline it
    raises ImportTimeout, or a statement is cancelled (the caller rolls back)."""
    outcome = Outcome(kind, dry_run=False)
    clock = clock or Clock()
    records, problems = parsed
    outcome.errors = list(problems.found)
    outcome.rows = len(records)
    if any(line_of(e) == 1 for e in outcome.errors):
        return outcome  # a wrong header: the rows cannot be read
    await clock.tick(conn, "waiting for another import")
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    progress("staging", 0, 1)
    await clock.tick(conn, "staging")
    await stage(conn, kind, records)
    await load_scope(conn, importer.caller())
    progress("staging", 1, 1)
    progress("checking", 0, 1)
    clock.stage = "checking"
    if kind == "deputies":
        rows = await deputies.check(conn, importer.region_code, clock)
    else:
        rows = await links.check(conn, LINK_KINDS[kind], importer.region_code, clock)
    # One report per cell: a row's value error hides what SQL says of the same cell.
    seen = {(line_of(e), column_of(e)) for e in outcome.errors}
    found = [at(*row) for row in rows if (row[0], row[1]) not in seen]
    outcome.errors = in_file_order(outcome.errors + found)
    progress("checking", 1, 1)
    if not outcome.errors:
        progress("writing", 0, 1)
        clock.stage = "writing"
        who = (importer.subject, importer.role)
        if kind == "deputies":
            outcome.counts = await deputies.apply(conn, *who, clock)
        else:
            outcome.counts = await links.apply(conn, LINK_KINDS[kind], *who, clock)
        progress("writing", 1, 1)
    await conn.execute(text("DROP TABLE IF EXISTS import_rows"))
    return outcome


class _RollBack(Exception):
    """Raised inside the transaction to undo a dry run or a file with errors."""


Transaction = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


async def run_import(
    transaction: Transaction,
    kind: str,
    data: bytes,
    fmt: str,
    importer: Importer,
    dry_run: bool,
    progress: Progress = no_progress,
    limits: Limits = Limits(),
) -> Outcome:
    """A whole import in one transaction, committed only when real and free of errors."""
    if kind not in KINDS:
        raise BadFile(f"no import kind {kind!r}; kinds: {', '.join(KINDS)}", Code.UNKNOWN_KIND, 404)
    outcome = Outcome(kind, dry_run)
    limit = limits.time_limit_s
    clock = Clock(None if limit is None else time.monotonic() + limit)
    try:
        # Reading is CPU work: in a thread, so that the event loop goes on answering other
        # requests, and before the transaction, so that no connection waits for it.
        parsed = await asyncio.to_thread(parse, kind, data, fmt, progress, limits.max_rows, clock)
        async with transaction() as conn:
            outcome = await import_into(conn, kind, parsed, importer, progress, clock)
            outcome.dry_run = dry_run
            if dry_run or outcome.errors:
                raise _RollBack
    except _RollBack:
        pass
    except ImportTimeout as stopped:
        outcome.timeout = stopped
    except DBAPIError as error:
        # The statement timeout that the clock set to the time that was left.
        cause = error.orig.__cause__ if error.orig is not None else None
        if limit is None or not isinstance(cause, QueryCanceledError):
            raise
        outcome.timeout = ImportTimeout(clock.stage, clock.rows_checked)
    if outcome.timeout is not None:
        outcome.rows, outcome.counts = clock.rows_checked, {}
    return outcome


async def import_file(
    settings: Settings, path: str, kind: str, dry_run: bool, progress: Progress = no_progress
) -> Outcome:
    """The command line's import: as an admin, on a connection of its own."""
    import getpass
    from pathlib import Path

    from bulk.files import sniff_format
    from db.engine import create_engine

    data = Path(path).read_bytes()
    engine = create_engine(settings)
    try:
        importer = Importer(f"cli:{getpass.getuser()}", "admin")
        return await run_import(
            engine.begin, kind, data, sniff_format(data, path), importer, dry_run, progress
        )
    finally:
        await engine.dispose()
