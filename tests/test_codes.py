"""Issue 18: error codes are one enum.

Every code a client can meet (GraphQL `extensions.code`, `userErrors[].code`, the `code`
of JSON refusals and of an import's row errors) is a member of core.codes.Code: the codes
the docs explain, every code-like string the source holds (also inside SQL text, where the
imports build their row errors), and the codes real HTTP answers carry.
"""

from __future__ import annotations

import ast
import enum
import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import GraphQLEnumType

from core.codes import Code
from tests.conftest import GraphQLClient, project_path

CODES = {member.value for member in Code}
SCREAMING = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,}")
QUOTED_IN_SQL = re.compile(r"'([A-Z][A-Z0-9_]{3,})'")
DOCUMENTED = re.compile(r"`([A-Z][A-Z0-9_]{3,})`")
# The packages whose strings reach clients (seed writes data, never answers).
PACKAGES = ("core", "db", "resolvers", "compiled", "schema", "bulk", "service")

# Screaming strings that are no codes: settings and environment variables, HTTP methods,
# log levels, SQL, formats, NOTIFY operations, a metric label, a CLI placeholder, names
# listed in __all__ (skipped apart) and module constants quoted in docs.
NOT_CODES = {
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "PROMETHEUS_MULTIPROC_DIR",
    "REVOCATION_WINDOW",
    "POST",
    "HEAD",
    "INFO",
    "WARNING",
    "DEBUG",
    "ERROR",
    "NULL",
    "DESC",
    "ANALYZE",
    "CASE",
    "DISTINCT",
    "AUTOCOMMIT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "HS256",
    "UTF8",
    "UNCODED",
    "TOKEN",
}


def _enum_values() -> set[str]:
    """The values of the schema's GraphQL enums and of every Python enum of ours: data, not
    codes (an enum value may be sent as a filter or stored, never as an error)."""
    from schema import build_schema

    names: set[str] = set()
    for gql_type in build_schema()._schema.type_map.values():
        if isinstance(gql_type, GraphQLEnumType):
            names.update(gql_type.values)
    for package in PACKAGES:
        for module in _modules(package):
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, enum.Enum) and value is not Code:
                    names.update(str(m.value) for m in value)
                    names.update(m.name for m in value)
    return names


def _modules(package: str) -> Iterator[object]:
    root = project_path(package)
    if not root.is_dir():
        return
    yield importlib.import_module(package)
    for info in pkgutil.walk_packages([str(root)], prefix=f"{package}."):
        yield importlib.import_module(info.name)


def _source_files() -> Iterator[Path]:
    for package in PACKAGES:
        root = project_path(package)
        if root.is_dir():
            yield from sorted(root.rglob("*.py"))


def _listed_in_all(tree: ast.Module) -> set[int]:
    """ids of the string nodes that name a module's exports."""
    listed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            listed.update(id(n) for n in ast.walk(node.value))
    return listed


def _code_like_strings(path: Path) -> Iterator[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exports = _listed_in_all(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in exports:
            continue
        if SCREAMING.fullmatch(node.value):
            yield node.value, node.lineno
        for quoted in QUOTED_IN_SQL.findall(node.value):
            yield quoted, node.lineno


def _unexplained(words: set[str], known: set[str]) -> set[str]:
    return {
        w
        for w in words
        if w not in CODES
        and w not in known
        and w not in NOT_CODES
        and not w.startswith("REGISTRY_")
    }


def test_every_code_the_docs_explain_is_a_member() -> None:
    documented: set[str] = set()
    for page in (project_path("docs", "security.md"), project_path("docs", "import-format.md")):
        documented.update(DOCUMENTED.findall(page.read_text(encoding="utf-8")))
    # The docs do name codes (a parser that found none would prove nothing).
    assert {"UNAUTHENTICATED", "PAGE_SIZE_LIMIT", "DUPLICATE_PERSON", "BODY_TOO_LARGE"} <= (
        documented & CODES
    )
    assert _unexplained(documented, _enum_values()) == set()


def test_every_code_like_string_of_the_source_is_a_member() -> None:
    """A code written as a loose string that Code lacks fails here: add it to core.codes
    (and to the docs), or better, name the member."""
    known = _enum_values()
    strays = {
        f"{path.relative_to(project_path())}:{line}: {word}"
        for path in _source_files()
        for word, line in _code_like_strings(path)
        if _unexplained({word}, known)
    }
    assert strays == set()


def test_the_scan_would_see_a_stray_code(tmp_path: Path) -> None:
    """The source check is not vacuous: a new loose code, in Python or in SQL, is caught."""
    stray = tmp_path / "stray.py"
    stray.write_text(
        'problems.add(path, "No.", "NOT_A_REAL_CODE")\n'
        "SQL = \"SELECT line, 'ANOTHER_FAKE_CODE', 'ACTIVE' FROM x\"\n",
        encoding="utf-8",
    )
    found = {word for word, _ in _code_like_strings(stray)}
    assert _unexplained(found, _enum_values()) == {"NOT_A_REAL_CODE", "ANOTHER_FAKE_CODE"}


STATION = """mutation($input: CreateStationInput!) { createStation(input: $input) {
  station { id } userErrors { field message code } } }"""
NOWHERE = {"name": "Nowhere", "kind": "WORKSTATION", "regionCode": "999999"}


def _codes(body: dict[str, object]) -> list[str]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e["extensions"]["code"] for e in errors]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("{ deputies(first: 1", Code.GRAPHQL_PARSE_FAILED),
        ("{ noSuchField }", Code.GRAPHQL_VALIDATION_FAILED),
        ("{ deputies(first: 1000) { nodes { id } } }", Code.PAGE_SIZE_LIMIT),
    ],
    ids=["parse", "validation", "page-size"],
)
async def test_graphql_errors_carry_members(
    client: GraphQLClient, query: str, expected: Code
) -> None:
    response = await client.http.post("/graphql", json={"query": query})
    codes = _codes(response.json())
    assert codes == [expected]
    assert set(codes) <= CODES


async def test_refusals_and_user_errors_carry_members(client: GraphQLClient) -> None:
    anonymous = await client.http.post(
        "/graphql", json={"query": STATION, "variables": {"input": NOWHERE}}
    )
    assert _codes(anonymous.json()) == [Code.FORBIDDEN]

    forged = await client.http.post(
        "/graphql",
        json={"query": "{ deputies(first: 1) { totalCount } }"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert forged.status_code == 401
    assert _codes(forged.json()) == [Code.UNAUTHENTICATED]

    missing = await client.http.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.json()["code"] == Code.NOT_FOUND

    refused = await client.as_role("admin").post(STATION, {"input": NOWHERE})
    user_errors = refused["data"]["createStation"]["userErrors"]
    assert user_errors
    assert {e["code"] for e in user_errors} <= CODES
