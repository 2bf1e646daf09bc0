"""Issue 18: a to-many field declared once appears on both paths.

A throwaway schema, built here and served by the real app, declares a to-many field in one
line (`seats`, with a loader of its own); the compiled path answers it in one statement,
the resolver path in batches, and both give the same answer. Nothing in compiled/ names
the field: the compiled path reads it off the schema's definitions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import strawberry
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

import service.app
from core.settings import Settings
from db.enums import Level
from db.session import RequestDatabase
from resolvers.deputies import DeputyByIdLoader, MandateByIdLoader, mandates
from resolvers.loaders import RowsByKeyLoader
from resolvers.relations import Lookup, ToMany
from schema import enums as _enums  # noqa: F401  (registers Level)
from schema.fields import relation
from schema.node import Node
from tests.conftest import GraphQLClient


class SeatsLatestFirstLoader(RowsByKeyLoader):
    """A loader no schema type uses: a deputy's mandates, the latest first."""

    query = select(mandates).order_by(mandates.c.start_date.desc(), mandates.c.id.desc())
    key = mandates.c.deputy_id


@strawberry.type
class Seat(Node):
    key_loader = MandateByIdLoader

    level: Level
    start_date: date


@strawberry.type
class Person(Node):
    key_loader = DeputyByIdLoader

    name: str
    seats: list[Seat] = relation(ToMany(SeatsLatestFirstLoader, "id"))  # the one line


def _person_key(key: int) -> int:
    return key


@strawberry.type
class Query:
    person: Person | None = relation(Lookup(DeputyByIdLoader, _person_key))


THROWAWAY = strawberry.Schema(query=Query)

QUERY = """
query($key: Int!) {
  person(key: $key) { id name seats { __typename id level startDate } }
}
"""


@pytest.fixture
async def throwaway(
    settings: Settings, connection: AsyncConnection, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[GraphQLClient]:
    monkeypatch.setattr(service.app, "build_schema", lambda: THROWAWAY)
    app = service.app.create_app(settings, database=lambda: RequestDatabase(connection=connection))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, settings)


async def test_a_to_many_field_declared_once_is_answered_alike_on_both_paths(
    throwaway: GraphQLClient, connection: AsyncConnection
) -> None:
    key = (
        await connection.execute(
            text(
                "SELECT deputy_id FROM mandates GROUP BY deputy_id HAVING count(*) > 1 "
                "ORDER BY deputy_id LIMIT 1"
            )
        )
    ).scalar_one()
    variables: dict[str, Any] = {"key": key}
    compiled, compiled_statements = await throwaway.count_statements(QUERY, variables, "compiled")
    resolved, resolver_statements = await throwaway.count_statements(QUERY, variables, "resolver")
    assert compiled == resolved
    assert compiled_statements == 1  # answered by the compiled path, not handed over
    assert resolver_statements == 2  # the person, then the seats in one batch
    seats = resolved["person"]["seats"]
    expected = (
        await connection.execute(
            text(
                "SELECT start_date FROM mandates WHERE deputy_id = :key "
                "ORDER BY start_date DESC, id DESC"
            ),
            {"key": key},
        )
    ).scalars()
    assert [s["startDate"] for s in seats] == [d.isoformat() for d in expected]
    assert {s["__typename"] for s in seats} == {"Seat"}
