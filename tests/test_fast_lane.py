"""Repeated reads are answered from their cached plans (service.fast_lane) with the same
answers, checks, statement counts, metrics and logs as the whole stack gives."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from service import auth
from service.auth import issue_token, token_id

DEPUTY = """
query Page($id: ID!) { node(id: $id) { ... on Deputy { name occupation phone } } }
"""


async def _some_deputy(connection: AsyncConnection) -> tuple[int, str]:
    from resolvers.ids import encode_id

    found = (
        await connection.execute(
            text(
                "SELECT d.id FROM deputies d JOIN regions r ON r.code = d.locality_code "
                "WHERE d.phone IS NOT NULL AND '220000' = ANY(r.lineage) ORDER BY d.id LIMIT 1"
            )
        )
    ).scalar_one()
    return found, encode_id("Deputy", found)


async def _ask(http: Any, global_id: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql",
        json={"query": DEPUTY, "variables": {"id": global_id}, "operationName": "Page"},
        headers=headers,
    )


async def test_a_repeated_read_comes_from_its_plan_and_sees_new_data(
    http: Any, connection: AsyncConnection
) -> None:
    deputy, global_id = await _some_deputy(connection)
    first = await _ask(http, global_id)
    second = await _ask(http, global_id)
    assert "x-registry-plan" not in first.headers
    assert second.headers["x-registry-plan"] == "cached"
    assert second.json() == first.json()
    assert second.json()["data"]["node"]["phone"] is None  # masked for the public
    assert second.headers["x-sql-statements"] == "1"
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    # The plan holds the statement, not the answer.
    await connection.execute(
        text("UPDATE deputies SET occupation = '新的职业' WHERE id = :id"), {"id": deputy}
    )
    third = await _ask(http, global_id)
    assert third.headers["x-registry-plan"] == "cached"
    assert third.json()["data"]["node"]["occupation"] == "新的职业"


async def test_plans_are_kept_per_role_and_a_revoked_token_is_refused(
    http: Any, settings: Any, connection: AsyncConnection
) -> None:
    _, global_id = await _some_deputy(connection)
    editor = issue_token(settings, "keeper", "editor", "220000")
    public = (await _ask(http, global_id)).json()
    await _ask(http, global_id, editor)
    seen = await _ask(http, global_id, editor)
    assert seen.headers["x-registry-plan"] == "cached"
    assert seen.json()["data"]["node"]["phone"] is not None  # the editor's region
    assert public["data"]["node"]["phone"] is None

    await connection.execute(
        text(
            "INSERT INTO audit_log (actor, role, action, entity, entity_id) "
            "VALUES ('test', 'admin', 'revokeToken', 'Token', :jti)"
        ),
        {"jti": token_id(settings, editor)},
    )
    auth._checked.clear()  # the trust window, as if it had passed
    refused = await _ask(http, global_id, editor)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["errors"][0]["message"]


async def test_lane_answers_are_logged_and_counted(
    http: Any, connection: AsyncConnection, caplog: Any
) -> None:
    _, global_id = await _some_deputy(connection)
    await _ask(http, global_id)

    def served() -> float:
        return _metric(
            metrics_text, 'registry_graphql_operation_duration_seconds_count{operation="Page"'
        )

    metrics_text = (await http.get("/metrics")).text
    before = served()
    with caplog.at_level(logging.INFO, logger="registry.access"):
        answer = await _ask(http, global_id)
    assert answer.headers["x-registry-plan"] == "cached"
    metrics_text = (await http.get("/metrics")).text
    assert served() == before + 1
    assert any(
        getattr(r, "status", None) == 200 and "/graphql" in r.getMessage() for r in caplog.records
    )


async def test_an_oversized_body_still_gets_the_stacks_413(http: Any, settings: Any) -> None:
    padding = "#" + "x" * settings.max_body_bytes
    response = await http.post("/graphql", json={"query": "{ __typename }\n" + padding})
    assert response.status_code == 413


def _metric(exposition: str, prefix: str) -> float:
    for line in exposition.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    return 0.0
