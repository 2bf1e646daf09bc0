"""Importing rosters from CSV and XLSX: the command line, the HTTP upload and the template.

Four kinds (docs/import-format.md has the column layout): deputies with their mandates
(one row per mandate), station assignments, group memberships and attendance. One import
is one transaction, set-based, so that 100,000 rows take seconds rather than the minutes
of 100,000 calls of create_deputy:
1. each row's values are parsed and checked (service.import_parse);
2. the rows are COPYed into a temporary staging table;
3. every reference and rule is checked by a few SQL statements over the whole table
   (service.imports_deputies, service.imports_links);
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
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core.context import Caller
from core.permissions import can_see_personal, can_write, can_write_in
from core.settings import Settings
from db.session import RequestDatabase
from db.write_scope import REGION_LINEAGES, SCOPE_DDL, SCOPE_TABLE
from service import imports_deputies, imports_links
from service.auth import AuthError, bearer_auth, request_caller, unauthenticated
from service.import_columns import (
    KINDS,
    BadFile,
    Clock,
    ImportTimeout,
    Progress,
    RowError,
    no_progress,
    template,
)
from service.import_parse import parse, sniff_format

# The advisory lock keeps two imports from creating the same new person twice.
IMPORT_LOCK = 7_309_001
MAX_UPLOAD = 200 * 1024 * 1024
BUSY_RETRY_AFTER_S = 30
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
    errors: list[RowError] = field(default_factory=list)
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
            "errors": [e.as_dict() for e in self.errors],
        }
        if self.timeout is not None:
            answer |= {
                "error": f"The import stopped at its time limit while {self.timeout.stage}; "
                "nothing was written. Split the file, or import it on the command line.",
                "code": "IMPORT_TIMEOUT",
                "stage": self.timeout.stage,
                "rowsChecked": self.timeout.rows_checked,
            }
        return answer


async def _stage(conn: AsyncConnection, kind: str, records: list[tuple[Any, ...]]) -> None:
    spec = KINDS[kind]
    await conn.execute(text("DROP TABLE IF EXISTS import_rows"))
    await conn.execute(text(f"CREATE TEMP TABLE import_rows ({spec.staging_ddl()}) ON COMMIT DROP"))
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.copy_records_to_table(
        "import_rows", records=records, columns=["line", *spec.column_names()]
    )
    # Temporary tables are never analysed by autovacuum, and the joins need their size.
    await conn.execute(text("ANALYZE import_rows"))


async def load_scope(conn: AsyncConnection, importer: Importer) -> None:
    """The table import_scope (db.write_scope): for every region, the answer of the rules the
    mutations and reads use (core.permissions) for this importer, evaluated here once
    per region so that the checks stay set-based and never restate the rule."""
    caller = importer.caller()
    await conn.execute(text(f"DROP TABLE IF EXISTS {SCOPE_TABLE}"))
    await conn.execute(text(SCOPE_DDL))
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    records = []
    for code, lineage in await driver.fetch(REGION_LINEAGES):
        writes, sees = can_write_in(caller, lineage), can_see_personal(caller, lineage)
        if writes or sees:
            records.append((code, writes, sees))
    await driver.copy_records_to_table(
        SCOPE_TABLE, records=records, columns=["code", "writable", "visible"]
    )
    await conn.execute(text(f"ANALYZE {SCOPE_TABLE}"))


async def import_into(
    conn: AsyncConnection,
    kind: str,
    parsed: tuple[list[tuple[Any, ...]], list[RowError]],
    importer: Importer,
    progress: Progress = no_progress,
    clock: Clock | None = None,
) -> Outcome:
    """Check a parsed file and write it on a connection inside a transaction that the
    caller owns, and rolls back when the outcome has errors. Past the clock's deadline it
    raises ImportTimeout, or a statement is cancelled (the caller rolls back)."""
    outcome = Outcome(kind, dry_run=False)
    clock = clock or Clock()
    records, outcome.errors = parsed
    outcome.rows = len(records)
    if any(e.line == 1 for e in outcome.errors):
        return outcome  # a wrong header: the rows cannot be read
    await clock.tick(conn, "waiting for another import")
    await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
    progress("staging", 0, 1)
    await clock.tick(conn, "staging")
    await _stage(conn, kind, records)
    await load_scope(conn, importer)
    progress("staging", 1, 1)
    module: Any = imports_deputies if kind == "deputies" else imports_links
    progress("checking", 0, 1)
    clock.stage = "checking"
    found = [RowError(*e) for e in await module.check(conn, kind, importer.region_code, clock)]
    # One report per cell: a row's value error hides what SQL says of the same cell.
    seen = {(e.line, e.column) for e in outcome.errors}
    outcome.errors += [e for e in found if (e.line, e.column) not in seen]
    outcome.errors.sort(key=lambda e: (e.line, e.column or "", e.code))
    progress("checking", 1, 1)
    if not outcome.errors:
        progress("writing", 0, 1)
        clock.stage = "writing"
        outcome.counts = await module.apply(conn, kind, importer.subject, importer.role, clock)
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
        raise BadFile(f"no import kind {kind!r}; kinds: {', '.join(KINDS)}", "UNKNOWN_KIND", 404)
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


# ---------------------------------------------------------------- HTTP


class UploadGate:
    """At most `size` uploads at once in this process, from the first byte of the body to
    the answer: a file is held in memory, parsed (an XLSX can cost far more to read than its
    size suggests) and then waits for the import lock on a pooled connection, so the gate
    bounds the memory, the CPU and the connections that imports can take. Past it the
    answer is at once 429 IMPORTS_BUSY (nothing queues)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.taken = 0

    def enter(self) -> bool:
        if self.taken >= self.size:
            return False
        self.taken += 1
        return True

    def leave(self) -> None:
        self.taken -= 1


async def _body(request: Request, deadline_s: float) -> bytes:
    try:
        return await asyncio.wait_for(_read_body(request), deadline_s)
    except TimeoutError:
        # A client trickling its file keeps a place of the gate: not past the time limit.
        raise BadFile(
            f"the file did not arrive within {deadline_s:g} s", "UPLOAD_TIMEOUT", 408
        ) from None


async def _read_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD:
                raise BadFile(
                    f"the file is larger than {MAX_UPLOAD // (1024 * 1024)} MB",
                    "FILE_TOO_LARGE",
                    413,
                )
            chunks.append(chunk)
    except ClientDisconnect as gone:
        # The client left before the end of its file: its doing, not our failure (no ERROR
        # record, no 500), and nothing has reached the database yet.
        raise BadFile(
            "the upload ended before the whole file arrived", "UPLOAD_INCOMPLETE"
        ) from gone
    return b"".join(chunks)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


NEEDS_A_WRITER = "Importing needs an editor or admin token."


def refusal(
    message: str, code: str, status: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Every answer that is not an import's outcome: a sentence and a stable code."""
    return JSONResponse({"error": message, "code": code}, status_code=status, headers=headers)


def import_routes(settings: Settings, database: Callable[[], RequestDatabase]) -> list[Route]:
    """POST /imports/{kind} (the file as the body; ?dryRun=true to only check) and
    GET /imports/{kind}/template.csv|xlsx."""
    limits = Limits.of(settings)
    gate = UploadGate(settings.import_concurrency)

    async def upload(request: Request) -> Response:
        if not gate.enter():
            return refusal(
                "Other imports are running in this process; try again in a minute.",
                "IMPORTS_BUSY",
                429,
                headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
            )
        try:
            return await _upload(request)
        finally:
            gate.leave()

    async def _upload(request: Request) -> Response:
        db = database()  # (a connection only on first use)
        try:
            # The token first, as on every surface (service.auth); who may write, as the
            # mutations decide it (core.permissions.can_write).
            caller = request_caller(request)
            if not can_write(caller):
                if caller.role == "anonymous":
                    raise AuthError(NEEDS_A_WRITER)
                return refusal(NEEDS_A_WRITER, "FORBIDDEN", 403)
            kind = request.path_params["kind"]
            if kind not in KINDS:
                return refusal(
                    f"No import kind {kind!r}; kinds: {', '.join(KINDS)}.", "UNKNOWN_KIND", 404
                )
            data = await _body(request, limits.time_limit_s)
            fmt = sniff_format(
                data, request.query_params.get("filename"), request.headers.get("content-type")
            )
            importer = Importer(caller.subject, caller.role, caller.region_code)
            outcome = await run_import(
                db.transaction, kind, data, fmt, importer, _flag(request, "dryRun"), limits=limits
            )
        except AuthError as refused:
            return unauthenticated(refused)
        except BadFile as bad:
            return refusal(f"The file cannot be read: {bad}.", bad.code, bad.status)
        finally:
            await db.close()
        # A real run with errors wrote nothing: 422, with every error in the body; so does a
        # run stopped by the time limit, dry or not.
        failed = outcome.timeout is not None or (outcome.errors and not outcome.dry_run)
        return JSONResponse(outcome.as_dict(), status_code=422 if failed else 200)

    async def download(request: Request) -> Response:
        kind, fmt = request.path_params["kind"], request.path_params["fmt"]
        if kind not in KINDS or fmt not in ("csv", "xlsx"):
            return refusal(
                f"Templates: /imports/<{'|'.join(KINDS)}>/template.<csv|xlsx>.", "NOT_FOUND", 404
            )
        media = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_TYPE
        return Response(
            template(kind, fmt),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{kind}-template.{fmt}"'},
        )

    return [
        Route(
            "/imports/{kind}",
            upload,
            methods=["POST"],
            middleware=[bearer_auth(settings, database)],
        ),
        Route("/imports/{kind}/template.{fmt}", download),
    ]


# ---------------------------------------------------------------- command line


async def import_file(
    settings: Settings, path: str, kind: str, dry_run: bool, progress: Progress = no_progress
) -> Outcome:
    """The command line's import: as an admin, on a connection of its own."""
    import getpass
    from pathlib import Path

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


def cli_import(path: str, kind: str, dry_run: bool, settings: Settings) -> int:
    """`registry import`: a progress bar per stage, then the counts or every error."""
    import asyncio

    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]}", style="dim"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            rows = f"{done:,} rows" if stage == "reading" else ""
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None, rows=rows)
            bar.update(tasks[stage], completed=done, total=total or None, rows=rows)

        try:
            outcome = asyncio.run(import_file(settings, path, kind, dry_run, progress))
        except (BadFile, OSError) as bad:
            console.print(f"[red]cannot import {path}: {bad}[/red]")
            return 2
    if outcome.errors:
        table = Table("line", "column", "code", "message", title=f"{len(outcome.errors)} errors")
        for e in outcome.errors[:200]:
            table.add_row(str(e.line), e.column or "", e.code, e.message)
        console.print(table)
        if len(outcome.errors) > 200:
            console.print(f"... and {len(outcome.errors) - 200} more")
        console.print("[red]nothing was written[/red]")
        return 1
    verb = "would write" if dry_run else "wrote"
    counts = ", ".join(f"{k} {v:,}" for k, v in outcome.counts.items() if v) or "nothing new"
    console.print(f"{outcome.rows:,} rows checked; {verb}: {counts}")
    return 0
