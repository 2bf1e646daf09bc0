"""How bulk export streams are kept from taking the service's database connections.

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
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from service.settings import Settings

log = logging.getLogger("registry.exports")

EXPORT_APPLICATION_NAME = "deputy-registry-export"
RETRY_AFTER_SECONDS = 10
TOO_MANY_EXPORTS = "TOO_MANY_EXPORTS"  # this client has its share running
EXPORTS_BUSY = "EXPORTS_BUSY"  # every export place (or every anonymous one) is taken

Chunks = AsyncIterator[bytes]


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
    begin: Callable[[AsyncConnection], object],
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
        await begin(conn)  # type: ignore[misc]
        async for chunk in chunks:
            yield chunk
        await conn.rollback()  # read only: nothing to commit
        finished = True
    finally:
        if not finished:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await chunks.aclose()  # type: ignore[attr-defined]
        with contextlib.suppress(Exception):
            await conn.close()


def refusal_response(refusal: Refusal) -> JSONResponse:
    return JSONResponse(
        {"error": refusal.message, "code": refusal.code},
        status_code=429,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"},
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
        refusal = self.gate.enter(self.client, self.anonymous)
        if refusal is not None:
            await refusal_response(refusal)(scope, receive, send)
            return
        try:
            pump = asyncio.ensure_future(self._pump(send))
            watch = asyncio.ensure_future(_until_disconnected(receive))
            try:
                await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (pump, watch):
                    task.cancel()
                await asyncio.gather(pump, watch, return_exceptions=True)
            if not pump.cancelled() and pump.exception() is not None:
                raise pump.exception()  # type: ignore[misc]
        finally:
            self.gate.leave(self.client, self.anonymous)

    async def _pump(self, send: Send) -> None:
        chunks = self.chunks()
        try:
            # The first chunk before the headers: a database that is away still gets its 503.
            first = await anext(chunks, None)
            headers = [(b"content-type", self.media_type.encode())]
            headers += [(k.lower().encode(), v.encode()) for k, v in self.headers.items()]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            if first is not None:
                if not await self._send_chunk(send, first):
                    return
                async for chunk in chunks:
                    if not await self._send_chunk(send, chunk):
                        return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await chunks.aclose()  # type: ignore[attr-defined]

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
