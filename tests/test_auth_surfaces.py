"""One authentication rule on every HTTP surface (service.auth.authenticate and
service.auth.unauthenticated): a refused token gets the same 401 everywhere, with
`WWW-Authenticate: Bearer`, the code UNAUTHENTICATED and the surface's own body shape,
and a revoked token is refused before anything else about the request is looked at."""

from __future__ import annotations

import time

import httpx
import jwt
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.settings import Settings
from service import auth
from service.auth import issue_token, token_id

REGION = "220400"  # a prefecture of the small seed
REVOKED = "The token has been revoked."


def unnamed_token(settings: Settings) -> str:
    claims = {"sub": "x", "role": "admin", "exp": int(time.time()) + 600}
    return jwt.encode(claims, auth.secret(settings), algorithm=auth.ALGORITHM)


async def revoked_token(settings: Settings, connection: AsyncConnection, role: str) -> str:
    token = issue_token(settings, f"leaver-{role}", role, "220400" if role == "editor" else None)
    await connection.execute(
        text(
            "INSERT INTO audit_log (actor, role, action, entity, entity_id) "
            "VALUES ('test', 'admin', 'revokeToken', 'Token', :jti)"
        ),
        {"jti": token_id(settings, token)},
    )
    return token


async def answers(http: httpx.AsyncClient, token: str) -> dict[str, httpx.Response]:
    """Each HTTP surface's answer to a request bearing `token` (requests that would
    otherwise succeed, or fail for another reason: see the callers)."""
    headers = {"Authorization": f"Bearer {token}"}
    query = {"query": "{ __typename }"}
    return {
        "graphql": await http.post("/graphql", json=query, headers=headers),
        "graphql-resolver": await http.post(
            "/graphql", json=query, headers={**headers, "x-registry-path": "resolver"}
        ),
        "report": await http.get(
            "/reports/composition.csv",
            params={"regionCode": REGION, "asOf": "2024-05-01"},
            headers=headers,
        ),
        "export": await http.get(f"/exports/{REGION}/deputies.csv", headers=headers),
        "import": await http.post("/imports/deputies", content=b"a,b\n", headers=headers),
    }


def assert_refused(answers: dict[str, httpx.Response], message: str) -> None:
    for surface, answer in answers.items():
        assert answer.status_code == 401, (surface, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer", surface
        if surface.startswith("graphql"):
            assert answer.json() == {
                "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]
            }, surface
        else:
            assert answer.json() == {"error": message, "code": "UNAUTHENTICATED"}, surface


async def test_every_surface_answers_a_bad_token_with_the_same_401(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    """Issue 17, points 8 and 9 (one rule): a token without an id, a malformed token and an
    expired one get, from /graphql (both read paths), /reports/*.csv, /exports/ and
    /imports/, a 401 with `WWW-Authenticate: Bearer` and UNAUTHENTICATED, the sentence of
    service.auth, in the surface's body shape."""
    expired = issue_token(settings, "old", "admin", ttl_seconds=-10)
    assert_refused(
        await answers(http, unnamed_token(settings)),
        "The token has no id (jti); ask for a new one.",
    )
    assert_refused(
        await answers(http, "nonsense"), "The token is not valid (bad signature or malformed)."
    )
    assert_refused(await answers(http, expired), "The token has expired; ask for a new one.")


async def test_a_revoked_token_is_refused_before_anything_else(
    http: httpx.AsyncClient, settings: Settings, connection: AsyncConnection
) -> None:
    """Issue 17, point 8 (one rule): a revoked token is refused like an expired one, with
    the same 401 on every surface, before the request's other faults are looked at: a
    revoked viewer is not told it may not import (403), an unknown report, export or
    import kind and a bad region code are not reported (404, 400)."""
    assert_refused(await answers(http, await revoked_token(settings, connection, "admin")), REVOKED)
    viewer = await revoked_token(settings, connection, "viewer")
    editor = await revoked_token(settings, connection, "editor")
    otherwise_bad = {
        "viewer-import": await http.post(
            "/imports/deputies", content=b"a\n", headers={"Authorization": f"Bearer {viewer}"}
        ),
        "unknown-report": await http.get(
            "/reports/nothing.csv", headers={"Authorization": f"Bearer {editor}"}
        ),
        "bad-report-region": await http.get(
            "/reports/composition.csv",
            params={"regionCode": "x"},
            headers={"Authorization": f"Bearer {editor}"},
        ),
        "unknown-export": await http.get(
            f"/exports/{REGION}/nothing.csv", headers={"Authorization": f"Bearer {editor}"}
        ),
        "bad-export-region": await http.get(
            "/exports/12/deputies.csv", headers={"Authorization": f"Bearer {editor}"}
        ),
        "unknown-import": await http.post(
            "/imports/nothing", content=b"a\n", headers={"Authorization": f"Bearer {editor}"}
        ),
    }
    assert_refused(otherwise_bad, REVOKED)


async def test_no_token_is_anonymous_and_importing_needs_one(
    http: httpx.AsyncClient,
) -> None:
    """Issue 17, point 9 (one rule): without a token a caller is anonymous (GraphQL and
    reports answer 200), and an anonymous import is the same 401 as a refused token."""
    assert (await http.post("/graphql", json={"query": "{ __typename }"})).status_code == 200
    report = await http.get(
        "/reports/composition.csv", params={"regionCode": REGION, "asOf": "2024-05-01"}
    )
    assert report.status_code == 200, report.text
    assert_refused(
        {"import": await http.post("/imports/deputies", content=b"a\n")},
        "Importing needs an editor or admin token.",
    )


async def test_a_signed_token_with_a_region_that_is_no_code_is_refused(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    """Issue 17, point 9: a correctly signed token whose `region` is a list (or any value
    that is no region code) got a plain-text 500 on /graphql and a cut-off export; every
    surface now answers it with the same coded 401."""
    for region in (["220000"], {"code": "220000"}, 220000, "22 00", "２２００００"):
        claims = {
            "sub": "odd",
            "role": "editor",
            "region": region,
            "exp": int(time.time()) + 600,
            "jti": f"odd-region-{region!r}",
        }
        token = jwt.encode(claims, auth.secret(settings), algorithm=auth.ALGORITHM)
        assert_refused(
            await answers(http, token), "The token's region must be a region code (digits)."
        )
