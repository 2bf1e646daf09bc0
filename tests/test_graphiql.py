"""GraphiQL works with no outside network: its assets come from this service's /static.

The plain tests read the page over ASGI. The browser test serves the app over real HTTP on
127.0.0.1, opens /graphql in Debian's headless Chromium (driven by playwright, which never
downloads a browser here), aborts any request to elsewhere, and runs the first example tab.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

import service.graphiql as graphiql
from core.settings import PROJECT_ROOT, Settings
from service.app import create_app
from service.examples import EXAMPLES
from service.graphiql import graphiql_html

FETCH_SCRIPT = PROJECT_ROOT / "scripts" / "fetch_graphiql_assets.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Belt and braces: the browser resolves no host name at all, so nothing can leave.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def vendored() -> None:
    """The vendored assets; fetched here (as `make install` does) when missing."""
    if not graphiql.assets_present():
        subprocess.run([sys.executable, str(FETCH_SCRIPT)], timeout=600, check=False)
    if not graphiql.assets_present():
        pytest.skip(f"GraphiQL assets missing and {FETCH_SCRIPT.name} could not fetch them")


@pytest.fixture
async def asgi(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # Only the page and /static are read here: no request reaches the database.
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def tabs_of(page: str) -> list[dict[str, str]]:
    found = re.search(r'<script id="graphiql-tabs" type="application/json">(.*?)</script>', page)
    assert found, "no example tabs in the page"
    return json.loads(found.group(1))


async def test_page_is_self_contained(vendored: None, asgi: httpx.AsyncClient) -> None:
    response = await asgi.get("/graphql", headers=HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    page = response.text
    assert 'id="graphiql"' in page

    assert not re.findall(r"\b(?:https?|wss?|ftp)://", page, flags=re.IGNORECASE)
    references = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert all(ref.startswith(("/static/", "data:")) for ref in references), references

    assets = [ref for ref in references if ref.startswith("/static/")]
    assert len(assets) == 4, assets  # react, react-dom, graphiql js and css
    for asset in assets:
        served = await asgi.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset
        if asset.split("?")[0].endswith(".css"):
            # Fonts and icons must be inlined, never fetched from elsewhere.
            urls = re.findall(r"url\(\s*['\"]?([^'\")]*)", served.text)
            assert all(url.startswith("data:") for url in urls), urls[:5]


async def test_page_opens_one_tab_per_example(vendored: None, asgi: httpx.AsyncClient) -> None:
    tabs = tabs_of((await asgi.get("/graphql", headers=HTML)).text)
    assert len(tabs) == len(EXAMPLES)
    for tab, example in zip(tabs, EXAMPLES, strict=True):
        assert tab["query"].startswith(f"# {example.title}\n")
        if example.variables is None:
            assert "variables" not in tab
        else:
            assert json.loads(tab["variables"]) == example.variables


def test_examples_cannot_close_the_script_element(vendored: None) -> None:
    example = graphiql.Example("</script><script>alert(1)</script>", "{ __typename }", None)
    page = graphiql_html([example])
    assert "</script><script>alert(1)" not in page
    assert tabs_of(page)[0]["query"].startswith("# </script><script>alert(1)</script>")


async def test_missing_assets_page_tells_the_operator(
    asgi: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = graphiql_html(EXAMPLES, vendor_dir=tmp_path)
    assert "python scripts/fetch_graphiql_assets.py" in page
    assert "<script" not in page
    monkeypatch.setattr(graphiql, "assets_present", lambda *_: False)
    response = await asgi.get("/graphql", headers=HTML)
    assert response.status_code == 503
    assert "python scripts/fetch_graphiql_assets.py" in response.text


async def test_missing_assets_page_reveals_no_server_path(
    asgi: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue 17, point 13: the GraphiQL-missing page names no folder of the server."""
    odd_folder = tmp_path / "srv-secret-layout" / "vendor"
    page = graphiql_html(EXAMPLES, vendor_dir=odd_folder)
    assert "srv-secret-layout" not in page and str(tmp_path) not in page
    monkeypatch.setattr(graphiql, "assets_present", lambda *_: False)
    response = await asgi.get("/graphql", headers=HTML)
    assert response.status_code == 503
    for server_path in (PROJECT_ROOT, graphiql.STATIC_DIR, graphiql.VENDOR_DIR, Path.home()):
        assert str(server_path) not in response.text
    # No absolute path of any kind: the only slashes are the endpoint's and closing tags'.
    assert re.findall(r"(?<![<\w])/[\w.-]+", response.text) == ["/graphql"]


# --- the page in a real browser ---------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; installed once with apt-get when missing and allowed."""
    if not CHROMIUM.exists():
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.skip(f"{CHROMIUM} missing; install Debian's package: apt-get install chromium")
        started = time.monotonic()
        try:
            subprocess.run(
                "apt-get update -qq && apt-get install -y -qq chromium",
                shell=True,
                check=True,
                timeout=900,
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            pytest.skip(f"could not install chromium with apt-get: {error}")
        print(f"installed chromium in {time.monotonic() - started:.0f} s", file=sys.stderr)
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} still missing after apt-get install chromium")
    return CHROMIUM


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """The app over real HTTP on 127.0.0.1 (free port), in a thread with its own loop."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(300):
            if server.started or not thread.is_alive():
                break
            await asyncio.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)
        sock.close()


def _local(url: str) -> bool:
    return url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname == "127.0.0.1"


async def test_graphiql_runs_the_first_example_offline(
    vendored: None, chromium: Path, settings: Settings, engine: AsyncEngine
) -> None:
    # `engine` has migrated the database (regions included) that the served app pools into.
    pw = pytest.importorskip("playwright.async_api", reason="pip install playwright")
    outside: list[str] = []
    problems: list[str] = []

    async def guard(route: Any) -> None:
        if _local(route.request.url):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    def on_console(message: Any) -> None:
        # CSP violations and failed loads are reported here as errors.
        if message.type == "error":
            problems.append(f"console: {message.text}")

    async with serve(create_app(settings)) as base, pw.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = await browser.new_context(service_workers="block")
            await context.route("**/*", guard)
            page = await context.new_page()
            page.on("websocket", lambda ws: None if _local(ws.url) else outside.append(ws.url))
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", on_console)

            started = time.monotonic()
            await page.goto(f"{base}/graphql", wait_until="load")
            tabs = page.locator(".graphiql-tab")
            await pw.expect(tabs).to_have_count(len(EXAMPLES), timeout=20_000)
            await pw.expect(tabs.first).to_have_class(re.compile(r"graphiql-tab-active"))
            editor = page.locator(".graphiql-query-editor")
            await pw.expect(editor).to_contain_text(f"# {EXAMPLES[0].title}")

            await page.locator(".graphiql-execute-button").click()
            result = page.locator(".graphiql-response")
            await pw.expect(result).to_contain_text("辽源市", timeout=20_000)
            await pw.expect(result).to_contain_text('"data"')
            await pw.expect(result).not_to_contain_text('"errors"')
            print(f"page loaded and ran in {time.monotonic() - started:.1f} s", file=sys.stderr)
        finally:
            await browser.close()

    assert not outside, f"requests left 127.0.0.1: {outside}"
    assert not problems, problems


def test_fetch_script_is_idempotent_and_needs_no_host_names() -> None:
    source = FETCH_SCRIPT.read_text()
    assert not re.search(r"https?://|npmjs", source)
    if graphiql.assets_present():
        done = subprocess.run(
            [sys.executable, str(FETCH_SCRIPT)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0 and "already" in done.stdout, done
