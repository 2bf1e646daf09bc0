"""Test fixtures: a real PostgreSQL, a fresh database per run, a rolled-back transaction per test.

With TEST_DATABASE_URL (or DATABASE_URL) set, the run creates its own database on that
server and drops it at the end; otherwise it starts the embedded PostgreSQL (pgserver).
Reference data and the `small` seed are loaded once; each test runs inside a transaction
that is rolled back, and the app under test runs every request on that same connection.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.settings import PROJECT_ROOT, Settings
from db.embedded import start_embedded
from db.engine import create_engine, statement_count
from db.migrate import migrate
from db.session import RequestDatabase
from service.app import create_app
from service.auth import issue_token

TEST_SEED = 7


def _server_url() -> str:
    given = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    return given or start_embedded(PROJECT_ROOT / ".data" / "test-postgres")


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    server = _server_url()
    name = f"registry_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(Settings(), _with_database(server, "postgres"))
    async with admin.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(server, name)
    finally:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, jwt_secret="test-secret-" + uuid.uuid4().hex)


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    await migrate(engine)
    if not os.environ.get("NO_SEED_YET"):
        from seed.generate import seed_connection

        async with engine.begin() as conn:
            await seed_connection(conn, scale="small", seed=TEST_SEED)
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    settings: Settings
    token: str | None = None

    def as_role(self, role: str, region: str | None = None) -> GraphQLClient:
        """The same client with a bearer token for a role (editors need a region)."""
        token = issue_token(self.settings, f"test-{role}", role, region)
        return GraphQLClient(self.http, self.settings, token)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, path: str | None = None
    ) -> dict[str, Any]:
        """The response body. A query runs on both read paths (compiled, then resolver),
        which must answer alike: every test is also a differential test."""
        if path is None and not query.lstrip().startswith("mutation"):
            compiled = await self.post(query, variables, path="compiled")
            resolved = await self.post(query, variables, path="resolver")
            assert compiled == resolved, f"the read paths differ for {query}"
            return resolved
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if path == "resolver":
            headers["X-Registry-Path"] = "resolver"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a response that must have no errors."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def count_statements(
        self, query: str, variables: dict[str, Any] | None = None, path: str = "resolver"
    ) -> tuple[dict[str, Any], int]:
        """The data and the number of SQL statements the request sent on one read path."""
        counter = [0]
        token = statement_count.set(counter)
        try:
            body = await self.post(query, variables, path=path)
        finally:
            statement_count.reset(token)
        assert "errors" not in body, body["errors"]
        return body["data"], counter[0]


@pytest.fixture
async def http(settings: Settings, connection: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database=lambda: RequestDatabase(connection=connection))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient, settings: Settings) -> GraphQLClient:
    return GraphQLClient(http, settings)


@pytest.fixture
def admin(client: GraphQLClient) -> GraphQLClient:
    return client.as_role("admin")


def project_path(*parts: str) -> Path:
    return PROJECT_ROOT.joinpath(*parts)


@pytest.fixture
async def roomy(settings: Settings, connection: AsyncConnection) -> AsyncIterator[GraphQLClient]:
    """A client of an app with loose cost limits, for the deliberately huge test queries
    (the national drill-down of the N+1 test) that production limits rightly refuse."""
    loose = settings.model_copy(update={"max_depth": 20, "max_cost": 10**10})
    app = create_app(loose, database=lambda: RequestDatabase(connection=connection))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, loose)
