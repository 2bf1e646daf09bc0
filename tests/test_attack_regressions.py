"""Regressions found by attacking the service again after issue 17's fixes: each test names
the point of issue 17 whose class the defect belongs to."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from db.session import RequestDatabase
from service.app import create_app
from service.auth import issue_token
from tests.conftest import GraphQLClient

BY_BIRTH_YEAR = """query ($after: String) {
  deputies(first: 2, filter: {localityCode: "220000"}, orderBy: {field: BIRTH_YEAR},
           after: $after) { nodes { birthYear } }
}"""


def forged_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize(
    "key",
    [10**30, 2**31, -(2**31) - 1, True],
    ids=["huge", "int32-max-plus-one", "int32-min-minus-one", "json-true"],
)
async def test_forged_cursor_with_an_integer_out_of_range_is_bad_user_input(
    client: GraphQLClient, key: Any
) -> None:
    """Issue 17, point 10: a cursor whose integer key does not fit the column (or is a JSON
    boolean) is an invalid cursor, BAD_USER_INPUT on both read paths, never INTERNAL (the
    driver's int32 overflow was an unexpected failure, logged with its SQL at ERROR)."""
    cursor = forged_cursor(["deputy:BIRTH_YEAR", key, 200])
    for path in ("compiled", "resolver"):
        body = await client.post(BY_BIRTH_YEAR, {"after": cursor}, path=path)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (path, error)
        assert error["message"] == (
            f"Invalid cursor {cursor!r}: use a cursor from the same list and order."
        )


async def test_a_cursor_at_the_int32_bounds_still_pages(client: GraphQLClient) -> None:
    """Issue 17, point 10: the range check refuses only what the column cannot hold."""
    cursor = forged_cursor(["deputy:BIRTH_YEAR", 2**31 - 1, 2**31 - 1])
    body = await client.post(BY_BIRTH_YEAR, {"after": cursor})
    assert body == {"data": {"deputies": {"nodes": []}}}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("PUT", "/graphql", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/graphql", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/reports/composition.csv?regionCode=220000", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/exports/220000/deputies.csv", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/imports/deputies", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/no/such/path", 404, "NOT_FOUND"),
        ("GET", "/static/../../etc/passwd", 404, "NOT_FOUND"),
        ("GET", "/static/vendor/nothing.js", 404, "NOT_FOUND"),
    ],
)
async def test_routing_refusals_are_coded_json(
    http: httpx.AsyncClient, method: str, path: str, status: int, code: str
) -> None:
    """Issue 17, point 9: no route, or a method a route does not take, is answered as JSON
    with a stable code (Starlette's defaults were plain text); a 405 keeps `Allow`."""
    response = await http.request(method, path, content=b"x" if method != "GET" else None)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["error"]
    if status == 405:
        assert "GET" in response.headers["allow"] or "POST" in response.headers["allow"]


async def test_an_upload_cut_off_by_its_client_is_a_client_error(
    settings: Settings, connection: AsyncConnection
) -> None:
    """Issue 17, point 9 (and 7): a client that disconnects in the middle of an import
    upload gets 400 UPLOAD_INCOMPLETE; the app does not raise (which the server logged at
    ERROR with a stack and counted as a 500, one record per cheap TCP connection)."""
    app = create_app(settings, database=lambda: RequestDatabase(connection=connection))
    token = issue_token(settings, "test-editor", "editor", "220000")
    incoming = [
        {"type": "http.request", "body": b"id_number,name\n", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/imports/deputies",
        "raw_path": b"/imports/deputies",
        "root_path": "",
        "query_string": b"dryRun=true",
        "headers": [
            (b"host", b"test"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"text/csv"),
            (b"content-length", b"100000"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] == 400
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body)["code"] == "UPLOAD_INCOMPLETE"


# ---------------------------------------------------------------- the WebSocket front

SUBSCRIBE = 'subscription { mandateChanged(regionCode: "220000") { kind } }'
DEEP = 3000  # past orjson's 1,024 and the stdlib's recursion limit


def _ws_exchange(settings: Settings, frames: list[str], replies: int = 1) -> list[dict[str, Any]]:
    """Open /graphql over graphql-transport-ws (anonymous), send an init and the frames,
    and return the ASGI messages that came back after the ack (a close included)."""
    from starlette.testclient import TestClient

    app = create_app(settings)
    received: list[dict[str, Any]] = []
    with TestClient(app).websocket_connect("/graphql", subprotocols=[PROTOCOL]) as ws:
        ws.send_text(json.dumps({"type": "connection_init", "payload": {}}))
        assert ws.receive_json() == {"type": "connection_ack"}
        for frame in frames:
            ws.send_text(frame)
        for _ in range(replies):
            message = ws.receive()
            received.append(message)
            if message["type"] == "websocket.close":
                break
    return received


PROTOCOL = "graphql-transport-ws"


@pytest.mark.parametrize(
    "frame",
    [
        "[1, 2]",
        '"a string"',
        '{"id": "1", "type": "subscribe", "payload": {"query": "subscription { x }", '
        '"variables": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}}",
        json.dumps({"id": "1", "type": "subscribe", "payload": {}}),
        json.dumps({"id": "1", "type": "subscribe", "payload": "query"}),
        json.dumps({"id": 1, "type": "subscribe", "payload": {"query": SUBSCRIBE}}),
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": 5}}),
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "x" * 200_000}}),
    ],
    ids=[
        "array",
        "string",
        "nested-3000",
        "no-query",
        "payload-not-object",
        "id-not-string",
        "query-not-string",
        "frame-over-body-limit",
    ],
)
def test_hostile_websocket_frames_close_with_4400(settings: Settings, frame: str) -> None:
    """Issue 17, point 9: on the WebSocket surface a frame that is not a readable message
    closes the connection with 4400 (the protocol's "bad message"), where it crashed the
    handler (TypeError, RecursionError, KeyError: no close code, a stack at ERROR)."""
    [closed] = _ws_exchange(settings, [frame])
    assert closed["type"] == "websocket.close"
    assert closed["code"] == 4400


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (SUBSCRIBE + " " * 70_000, "DOCUMENT_TOO_LARGE"),
        ("subscription " + "{ __typename #c\n" * 1000 + "}" * 1000, "TOKEN_LIMIT"),
    ],
    ids=["document-size", "comment-tokens"],
)  # fmt: skip
def test_over_limit_documents_over_websocket_get_a_coded_error(
    settings: Settings, query: str, code: str
) -> None:
    """Issue 17, points 5 and 10: a subscribe whose document is over the size or token
    limit gets an `error` message with the limit's code (it got a bare `complete`, and the
    server logged a stack for each), and the connection stays open."""
    subscribe = {"id": "7", "type": "subscribe", "payload": {"query": query}}
    ping = {"type": "ping"}
    error, pong = _ws_exchange(settings, [json.dumps(subscribe), json.dumps(ping)], replies=2)
    assert error["type"] == "websocket.send"
    sent = json.loads(error["text"])
    assert sent["type"] == "error" and sent["id"] == "7"
    [refusal] = sent["payload"]
    assert refusal["extensions"]["code"] == code
    assert json.loads(pong["text"]) == {"type": "pong"}


@pytest.mark.parametrize("first", ["1e300", "99999999999999999999", "-1e20"])
async def test_a_page_size_that_is_no_int_fails_validation_and_is_not_echoed(
    client: GraphQLClient, first: str
) -> None:
    """Issue 17, point 10 (re-attack): `first: 1e300` got PAGE_SIZE_LIMIT with a 301-digit
    number in its message; a value that is no 32-bit Int is a validation error, on both
    read paths, and its message does not repeat the number (at most its last digits)."""
    answer = await client.post(f"{{ deputies(first: {first}) {{ totalCount }} }}")
    errors = answer["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["GRAPHQL_VALIDATION_FAILED"]
    assert not any(re.search(r"[0-9]{40}", e["message"]) for e in errors), errors
