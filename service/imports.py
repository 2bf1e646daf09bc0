"""The import routes: POST /imports/{kind} (a file's bytes to its outcome, bulk.importer)
and GET /imports/{kind}/template.csv|xlsx; and `registry import`, the command line's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bulk.columns import KINDS, template
from bulk.files import sniff_format
from bulk.importer import Importer, Limits, import_file, run_import
from bulk.problems import BadFile, column_of, line_of
from core.codes import Code
from core.permissions import can_write
from core.settings import Settings
from db.session import RequestDatabase
from service.auth import AuthError, bearer_auth, request_caller, unauthenticated
from service.http_errors import refusal

MAX_UPLOAD = 200 * 1024 * 1024
BUSY_RETRY_AFTER_S = 30
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


async def _body(request: Request, deadline_s: float | None) -> bytes:
    try:
        return await asyncio.wait_for(_read_body(request), deadline_s)
    except TimeoutError:
        # A client trickling its file keeps a place of the gate: not past the time limit.
        raise BadFile(
            f"the file did not arrive within {deadline_s:g} s", Code.UPLOAD_TIMEOUT, 408
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
                    Code.FILE_TOO_LARGE,
                    413,
                )
            chunks.append(chunk)
    except ClientDisconnect as gone:
        # The client left before the end of its file: its doing, not our failure (no ERROR
        # record, no 500), and nothing has reached the database yet.
        raise BadFile(
            "the upload ended before the whole file arrived", Code.UPLOAD_INCOMPLETE
        ) from gone
    return b"".join(chunks)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


NEEDS_A_WRITER = "Importing needs an editor or admin token."


def import_routes(settings: Settings, database: Callable[[], RequestDatabase]) -> list[Route]:
    """POST /imports/{kind} (the file as the body; ?dryRun=true to only check) and
    GET /imports/{kind}/template.csv|xlsx."""
    limits = Limits.of(settings)
    gate = UploadGate(settings.import_concurrency)

    async def upload(request: Request) -> Response:
        if not gate.enter():
            return refusal(
                429,
                Code.IMPORTS_BUSY,
                "Other imports are running in this process; try again in a minute.",
                {"Retry-After": str(BUSY_RETRY_AFTER_S)},
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
                return refusal(403, Code.FORBIDDEN, NEEDS_A_WRITER)
            kind = request.path_params["kind"]
            if kind not in KINDS:
                return refusal(
                    404, Code.UNKNOWN_KIND, f"No import kind {kind!r}; kinds: {', '.join(KINDS)}."
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
            return refusal(bad.status, bad.code, f"The file cannot be read: {bad}.")
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
                404, Code.NOT_FOUND, f"Templates: /imports/<{'|'.join(KINDS)}>/template.<csv|xlsx>."
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
            table.add_row(str(line_of(e)), column_of(e) or "", e.code, e.message)
        console.print(table)
        if len(outcome.errors) > 200:
            console.print(f"... and {len(outcome.errors) - 200} more")
        console.print("[red]nothing was written[/red]")
        return 1
    verb = "would write" if dry_run else "wrote"
    counts = ", ".join(f"{k} {v:,}" for k, v in outcome.counts.items() if v) or "nothing new"
    console.print(f"{outcome.rows:,} rows checked; {verb}: {counts}")
    return 0
