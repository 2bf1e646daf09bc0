"""The /exports/ routes, and how their streams are kept from taking the service's database
connections (the files themselves are bulk.stream's and bulk.popolo's).

An export reads one REPEATABLE READ snapshot through a server-side cursor, so it holds its
connection from the first row to the last; a client that stops reading would hold it
for ever. Three rules bound that (docs/operations.md, "Export streams"):

- exports have a small pool of their own (`export_pool_size`): writes, the resolver
  path, the compiled path and /readyz never wait for a connection an export holds;
- `ExportGate` admits at most `export_pool_size` exports at once, of which at most
  `export_anonymous_max` anonymous, and `export_per_client` per client (token subject,
  or address when anonymous); the others get 429 with Retry-After and a code at once,
  so the export pool never has a queue;
- `ExportStream` ends a stream whose client has taken nothing for `export_stall_seconds`
  (and at once when the client goes away), which ends its transaction and closes its
  connection: a stalled reader holds an export connection for that long at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from bulk.popolo import stream_popolo
from bulk.stream import FORMATS, begin_snapshot, stream_csv
from core.codes import Code
from core.settings import Settings
from db.session import RequestDatabase
from service.auth import bearer_auth, request_caller
from service.http_errors import refusal

log = logging.getLogger("registry.exports")

EXPORT_APPLICATION_NAME = "deputy-registry-export"
RETRY_AFTER_SECONDS = 10
TOO_MANY_EXPORTS = Code.TOO_MANY_EXPORTS  # this client has its share running
EXPORTS_BUSY = Code.EXPORTS_BUSY  # every export place (or every anonymous one) is taken

# A division code: 6 digits (GB/T 2260), 9 for townships. Checked before any SQL, so that a
# NUL byte or any other junk in the path is a 400, not a driver error.
REGION_CODE = re.compile(r"[0-9]{6}(?:[0-9]{3})?")

Chunks = AsyncGenerator[bytes, None]


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


class ExportGate:
    """Counts the exports running in this process, by client and in all."""

    def __init__(self, total: int, anonymous: int, per_client: int) -> None:
        self.total = max(1, total)
        self.anonymous = max(0, min(anonymous, self.total))
        self.per_client = max(1, per_client)
        self.running = 0
        self.anonymous_running = 0
        self.by_client: Counter[str] = Counter()

    def enter(self, client: str, anonymous: bool) -> Refusal | None:
        """Admit an export (None), or say why not."""
        if self.by_client[client] >= self.per_client:
            return Refusal(
                TOO_MANY_EXPORTS,
                f"At most {self.per_client} export(s) at once per client: wait for yours to end.",
            )
        if self.running >= self.total or (anonymous and self.anonymous_running >= self.anonymous):
            return Refusal(EXPORTS_BUSY, "Every export place is taken: try again later.")
        self.running += 1
        self.anonymous_running += anonymous
        self.by_client[client] += 1
        return None

    def leave(self, client: str, anonymous: bool) -> None:
        self.running -= 1
        self.anonymous_running -= anonymous
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]


class ExportPool:
    """The exports' own engine, opened on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: AsyncEngine | None = None

    def engine(self) -> AsyncEngine:
        if self._engine is None:
            from db.engine import create_engine

            self._engine = create_engine(
                self.settings,
                pool_size=max(1, self.settings.export_pool_size),
                application_name=EXPORT_APPLICATION_NAME,
            )
        return self._engine

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()


async def pooled_chunks(
    engine: AsyncEngine,
    begin: Callable[[AsyncConnection], Awaitable[None]],
    produce: Callable[[AsyncConnection], Chunks],
) -> Chunks:
    """`produce`'s chunks read on a connection of `engine` in one read-only transaction. An
    export ended early (a stalled or departed client) closes its connection outright: the
    cursor and snapshot end with the session, and nothing interrupted mid-fetch is reused."""
    conn = await engine.connect()
    finished = False
    chunks = produce(conn)
    try:
        await conn.begin()
        await begin(conn)
        async for chunk in chunks:
            yield chunk
        await conn.rollback()  # read only: nothing to commit
        finished = True
    finally:
        if not finished:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await chunks.aclose()
        with contextlib.suppress(Exception):
            await conn.close()


def refusal_response(refused: Refusal) -> JSONResponse:
    return refusal(
        429,
        refused.code,
        refused.message,
        {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
    )


class ExportStream:
    """An ASGI response that streams `chunks` once the gate admits it, and ends the stream
    when the client takes nothing for `stall_seconds` or goes away."""

    def __init__(
        self,
        chunks: Callable[[], Chunks],
        *,
        gate: ExportGate,
        client: str,
        anonymous: bool,
        stall_seconds: float,
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        self.chunks = chunks
        self.gate = gate
        self.client = client
        self.anonymous = anonymous
        self.stall_seconds = stall_seconds
        self.media_type = media_type
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = self.gate.enter(self.client, self.anonymous)
        if refused is not None:
            await refusal_response(refused)(scope, receive, send)
            return
        try:
            pump = asyncio.ensure_future(self._pump(send, scope.get("method") == "HEAD"))
            watch = asyncio.ensure_future(_until_disconnected(receive))
            try:
                await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (pump, watch):
                    task.cancel()
                await asyncio.gather(pump, watch, return_exceptions=True)
            failure = None if pump.cancelled() else pump.exception()
            if failure is not None:
                raise failure
        finally:
            self.gate.leave(self.client, self.anonymous)

    async def _pump(self, send: Send, head_only: bool = False) -> None:
        if head_only:  # HEAD: the headers, without reading a row
            await send({"type": "http.response.start", "status": 200, "headers": self._headers()})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        chunks = self.chunks()
        try:
            # The first chunk before the headers: a database that is away still gets its 503.
            first = await anext(chunks, None)
            await send({"type": "http.response.start", "status": 200, "headers": self._headers()})
            if first is not None:
                if not await self._send_chunk(send, first):
                    return
                async for chunk in chunks:
                    if not await self._send_chunk(send, chunk):
                        return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await chunks.aclose()

    def _headers(self) -> list[tuple[bytes, bytes]]:
        headers = [(b"content-type", self.media_type.encode())]
        return headers + [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]

    async def _send_chunk(self, send: Send, chunk: bytes) -> bool:
        """Send one chunk; False when the client took nothing for `stall_seconds`."""
        try:
            async with asyncio.timeout(self.stall_seconds):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            return True
        except TimeoutError:
            # Left incomplete on purpose: the server closes the connection, and the client
            # sees a cut-off body (no final chunk), never a complete-looking one.
            log.info("export stream ended: its client read nothing for %g s", self.stall_seconds)
            return False


async def _until_disconnected(receive: Receive) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return


def export_routes(
    settings: Settings, database: Callable[[], RequestDatabase], pool: ExportPool | None = None
) -> list[Route]:
    """GET /exports/{regionCode}/{deputies|station-assignments|group-memberships|attendance}.csv
    and GET /exports/{regionCode}/popolo.json.

    Streams read on `pool`, the exports' own connections (service.export_streams); without
    one (tests running every request on their own connection) on `database`."""
    gate = ExportGate(
        settings.export_pool_size, settings.export_anonymous_max, settings.export_per_client
    )

    async def download(request: Request) -> Response | ExportStream:
        code, name = request.path_params["code"].strip(), request.path_params["file"]
        # The checks on the request's connection (taken on first use), given back before
        # the stream starts; the token first, as on every surface (service.auth).
        caller = request_caller(request)
        db = database()
        try:
            if name not in FORMATS:
                return refusal(404, Code.UNKNOWN_EXPORT, f"exports: {', '.join(FORMATS)}")
            if not REGION_CODE.fullmatch(code):
                return refusal(
                    400, Code.INVALID_REGION_CODE, "A region code is 6 digits (9 for a township)."
                )
            found = await db.execute(
                text("SELECT 1 FROM regions WHERE code = :code"), {"code": code}
            )
            if found.first() is None:
                return refusal(404, Code.NOT_FOUND, f"no region with code {code!r}")
        finally:
            await db.close()
        media, kind = FORMATS[name]

        def produce(conn: AsyncConnection) -> Chunks:
            if kind == "popolo":
                return stream_popolo(conn, code, caller)
            return stream_csv(conn, kind, code, caller)

        async def on_request_database() -> Chunks:
            db = database()
            try:
                async with db.transaction() as conn:
                    await begin_snapshot(conn)
                    async with aclosing(produce(conn)) as chunks:
                        async for chunk in chunks:
                            yield chunk
            finally:
                await db.close()

        def chunks() -> Chunks:
            if pool is None:
                return on_request_database()
            return pooled_chunks(pool.engine(), begin_snapshot, produce)

        anonymous = caller.role == "anonymous"
        client = (
            f"address:{request.client.host if request.client else '?'}"
            if anonymous
            else f"subject:{caller.subject}"
        )
        return ExportStream(
            chunks,
            gate=gate,
            client=client,
            anonymous=anonymous,
            stall_seconds=settings.export_stall_seconds,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{code}-{name}"'},
        )

    async def no_such_export(_: Request) -> Response:
        return refusal(404, Code.UNKNOWN_EXPORT, "exports: /exports/{regionCode}/{file}")

    return [
        Route("/exports/{code}/{file}", download, middleware=[bearer_auth(settings, database)]),
        Route("/exports/{rest:path}", no_such_export),
    ]
