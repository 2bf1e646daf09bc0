"""GraphiQL from this service's own /static: the page, its example tabs, and the static mount.

The browser loads nothing from outside: scripts/fetch_graphiql_assets.py puts GraphiQL, React
and ReactDOM into static/vendor/ at install time, and a Content-Security-Policy holds the page
to this origin. Without those files the page says how to get them, and names no folder of
the server (issue 17, point 13): the missing folder goes to the operator's log instead.
"""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
from pathlib import Path

from graphql import GraphQLError, parse, print_ast
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from service.examples import EXAMPLES, Example

log = logging.getLogger(__name__)

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"
VENDOR_DIR: Path = STATIC_DIR / "vendor"
TEMPLATE: Path = STATIC_DIR / "graphiql.html"
STATIC_URL = "/static"
ENDPOINT = "/graphql"

# Template placeholder -> file under vendor/, as the fetch script lays them out.
ASSETS: dict[str, str] = {
    "react_js": "react/react.production.min.js",
    "react_dom_js": "react-dom/react-dom.production.min.js",
    "graphiql_js": "graphiql/graphiql.min.js",
    "graphiql_css": "graphiql/graphiql.min.css",
}

MISSING_PAGE = """<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>GraphiQL is not installed</title></head>
  <body>
    <h1>GraphiQL is not installed on this server</h1>
    <p>Its files are fetched at install time and are missing.
      An operator should run, in the project folder (it needs npm):</p>
    <pre>python scripts/fetch_graphiql_assets.py</pre>
    <p>then reload this page. The GraphQL API itself works: POST queries to
      <code>{endpoint}</code>.</p>
  </body>
</html>
"""


def static_mount() -> Mount:
    """`/static`, serving STATIC_DIR (GraphiQL's vendored files live in its vendor/)."""
    return Mount(STATIC_URL, app=StaticFiles(directory=STATIC_DIR), name="static")


def assets_present(vendor_dir: Path = VENDOR_DIR) -> bool:
    return all((vendor_dir / path).is_file() for path in ASSETS.values())


def content_security_policy(nonce: str) -> str:
    """Keeps the page to its own origin: nothing can be fetched from elsewhere."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            # CodeMirror and React write style attributes; the icon and fonts are data: URLs.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'self'",
        ]
    )


def _versions(vendor_dir: Path) -> dict[str, str]:
    try:
        packages = json.loads((vendor_dir / "manifest.json").read_text())["packages"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return packages if isinstance(packages, dict) else {}


def _tab(example: Example) -> dict[str, str]:
    try:
        # Laid out one field a line: the examples are written on one line each.
        body = print_ast(parse(example.query))
    except GraphQLError:
        body = example.query  # shown as written; GraphiQL then marks the syntax error
    title = " ".join(example.title.split())
    tab = {"query": f"# {title}\n{body}\n"}
    if example.variables is not None:
        tab["variables"] = json.dumps(example.variables, indent=2, ensure_ascii=False)
    return tab


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element: no `</script>` or `<!--` can close it early."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def graphiql_html(
    examples: list[Example],
    *,
    endpoint: str = ENDPOINT,
    nonce: str | None = None,
    vendor_dir: Path = VENDOR_DIR,
) -> str:
    """The GraphiQL page with one tab per example, or the 'not installed' page."""
    if not assets_present(vendor_dir):
        # Where the files were looked for is for the operator, never for the browser.
        log.warning("GraphiQL assets missing from %s", vendor_dir)
        return MISSING_PAGE.format(endpoint=html.escape(endpoint))
    versions = _versions(vendor_dir)
    values: dict[str, str] = {}
    for key, path in ASSETS.items():
        # ?v= makes browsers fetch anew after the pinned version changes.
        version = versions.get(path.split("/", 1)[0])
        url = f"{STATIC_URL}/vendor/{path}" + (f"?v={version}" if version else "")
        values[key] = html.escape(url)
    values["tabs_json"] = _script_json([_tab(example) for example in examples])
    values["endpoint_json"] = _script_json(endpoint)
    values["nonce_attr"] = f' nonce="{html.escape(nonce)}"' if nonce else ""
    # One pass, so text inside a value is never taken for a placeholder.
    return re.sub(
        r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], TEMPLATE.read_text(encoding="utf-8")
    )


async def graphiql_page(request: Request) -> HTMLResponse:
    """GET /graphql from a browser: GraphiQL with EXAMPLES (503 with advice if not installed)."""
    if not assets_present():
        return HTMLResponse(graphiql_html(EXAMPLES), status_code=503)
    nonce = secrets.token_urlsafe(16)
    return HTMLResponse(
        graphiql_html(EXAMPLES, nonce=nonce),
        headers={"Content-Security-Policy": content_security_policy(nonce)},
    )
