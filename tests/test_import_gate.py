"""Issue 17, point 6 (and the re-attack's F8): uploads are bounded before their files are
read: a few at once per process, a body that must arrive within the time limit, and an
XLSX whose table of texts would cost minutes to load refused before it is loaded."""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import AsyncIterator

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from db.session import RequestDatabase
from service.app import create_app
from service.auth import issue_token


def app_client(
    settings: Settings, connection: AsyncConnection, **changes: object
) -> httpx.AsyncClient:
    app = create_app(
        settings.model_copy(update=changes), database=lambda: RequestDatabase(connection=connection)
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def admin(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, 'gate-test', 'admin')}"}


async def trickle(release: asyncio.Event) -> AsyncIterator[bytes]:
    """A CSV upload whose last part waits until `release` is set."""
    yield b"name,gender\n"
    await release.wait()
    yield b"\n"


async def test_past_the_gate_an_upload_is_refused_at_once(
    settings: Settings, connection: AsyncConnection
) -> None:
    """With one upload place per process, a second upload while the first is still
    arriving gets 429 IMPORTS_BUSY with Retry-After without being read; once the first
    is answered, the place is free again."""
    release = asyncio.Event()
    async with app_client(settings, connection, import_concurrency=1) as http:
        first = asyncio.create_task(
            http.post(
                "/imports/deputies?dryRun=true", content=trickle(release), headers=admin(settings)
            )
        )
        await asyncio.sleep(0.3)  # the first has its place and is reading its body
        busy = await http.post(
            "/imports/deputies?dryRun=true", content=b"name\n", headers=admin(settings)
        )
        release.set()
        answered = await first
        again = await http.post(
            "/imports/deputies?dryRun=true", content=b"name\n", headers=admin(settings)
        )
    assert busy.status_code == 429, busy.text
    assert busy.json()["code"] == "IMPORTS_BUSY"
    assert busy.headers["retry-after"] == "30"
    assert answered.json().get("code") != "IMPORTS_BUSY", answered.text
    assert again.status_code != 429, again.text


async def test_a_body_that_does_not_arrive_in_time_is_refused(
    settings: Settings, connection: AsyncConnection
) -> None:
    """A client trickling its file keeps no place past the time limit: 408 UPLOAD_TIMEOUT."""
    never = asyncio.Event()
    async with app_client(settings, connection, import_time_limit_s=0.5) as http:
        answer = await asyncio.wait_for(
            http.post("/imports/deputies", content=trickle(never), headers=admin(settings)), 10
        )
    assert answer.status_code == 408, answer.text
    assert answer.json()["code"] == "UPLOAD_TIMEOUT"


def with_shared_strings(xlsx: bytes, strings: int) -> bytes:
    """`xlsx` with its table of texts replaced by `strings` one-letter texts."""
    body = b"<si><t>a</t></si>" * strings
    table = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
        % (strings, strings)
        + body
        + b"</sst>"
    )
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        names = source.namelist()
        for name in names:
            if not name.lower().endswith("sharedstrings.xml"):
                target.writestr(name, source.read(name))
        target.writestr("xl/sharedStrings.xml", table)
    return out.getvalue()


async def test_an_xlsx_whose_table_of_texts_is_a_bomb_is_refused_unread(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    """Re-attack F8: an 84 KB XLSX of 2,000,000 tiny shared strings cost 45 s of CPU before
    its first row; such a table (packed over 100 times, or over 32 MiB unpacked) is refused
    with BAD_FILE and a pointer to CSV, while the template itself still reads."""
    template = (await http.get("/imports/deputies/template.xlsx")).content
    bomb = with_shared_strings(template, 2_000_000)
    assert len(bomb) < 200_000
    refused = await http.post(
        "/imports/deputies?dryRun=true&filename=roster.xlsx", content=bomb, headers=admin(settings)
    )
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "BAD_FILE"
    assert "CSV" in refused.json()["error"]
    read = await http.post(
        "/imports/deputies?dryRun=true&filename=roster.xlsx",
        content=with_shared_strings(template, 10),
        headers=admin(settings),
    )
    assert read.status_code == 200, read.text
    assert read.json()["rows"] == 0
