"""The compiled path and the resolver path give the same JSON: the GraphiQL examples and a
few hundred random queries over the read types (the rest of the suite runs both paths too)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)

from schema import build_schema
from service.examples import EXAMPLES
from tests.conftest import GraphQLClient

SCHEMA = build_schema()._schema
ROOTS = {
    "region": '(code: "{region}")',
    "deputies": "(first: {first}{deputy_args})",
    "regions": "(first: {first}, level: {level})",
    "stations": '(first: {first}, regionCode: "{province}")',
    "groups": '(first: {first}, regionCode: "{province}")',
    "node": '(id: "{node_id}")',
}
DEPUTY_ARGS = [
    "",
    ', filter: {regionCode: "220400"}',
    ', filter: {localityCode: "420500", levels: [NATIONAL, PROVINCIAL]}',
    ', filter: {search: "wang"}, orderBy: {field: BIRTH_YEAR, direction: DESC}',
    ", orderBy: {field: LEVEL}",
    ', filter: {asOf: "2022-06-01", gender: FEMALE}',
    ", filter: {status: TERMINATED}",
]
# Arguments for nested fields that need some.
FIELD_ARGS = {"descendants": "(level: COUNTY, first: {first})", "receptions": "(first: {first})"}
SKIP = {"reports"}


def unwrap(t: Any) -> Any:
    while isinstance(t, (GraphQLNonNull, GraphQLList)):
        t = t.of_type
    return t


class QueryMaker:
    def __init__(self, rng: random.Random, node_ids: list[str]) -> None:
        self.rng = rng
        self.node_ids = node_ids

    def fill(self, template: str) -> str:
        return template.format(
            first=self.rng.randint(0, 4),
            region=self.rng.choice(
                ["100000", "220000", "220400", "220402", "420500", "420502", "999999"]
            ),
            province=self.rng.choice(["220000", "420000"]),
            level=self.rng.choice(["PROVINCIAL", "COUNTY", "TOWNSHIP"]),
            deputy_args=self.rng.choice(DEPUTY_ARGS),
            node_id=self.rng.choice(self.node_ids),
        )

    def selection(self, type_: GraphQLObjectType, depth: int) -> str:
        scalars, objects = [], []
        for name, field in type_.fields.items():
            target = unwrap(field.type)
            required = [a for a, d in field.args.items() if isinstance(d.type, GraphQLNonNull)]
            if required and name not in FIELD_ARGS:
                continue
            if isinstance(target, (GraphQLScalarType, GraphQLEnumType)):
                scalars.append(name)
            elif depth > 0:
                objects.append(name)
        picked = self.rng.sample(scalars, k=min(len(scalars), self.rng.randint(1, 4)))
        if self.rng.random() < 0.2:
            picked.append("__typename")
        for name in self.rng.sample(objects, k=min(len(objects), self.rng.randint(0, 2))):
            field = type_.fields[name]
            target = unwrap(field.type)
            args = ""
            if name in FIELD_ARGS:
                args = self.fill(FIELD_ARGS[name])
            elif "first" in field.args:
                args = f"(first: {self.rng.randint(0, 3)})"
            inner = (
                self.selection(target, depth - 1) if isinstance(target, GraphQLObjectType) else "id"
            )
            alias = f"a{self.rng.randint(0, 99)}: " if self.rng.random() < 0.15 else ""
            skip = " @include(if: false)" if self.rng.random() < 0.05 else ""
            picked.append(f"{alias}{name}{args}{skip} {{ {inner} }}")
        return " ".join(dict.fromkeys(picked))

    def query(self) -> str:
        root = self.rng.choice(list(ROOTS))
        args = self.fill(ROOTS[root])
        field = SCHEMA.query_type.fields[root]  # type: ignore[union-attr]
        target = unwrap(field.type)
        if root == "node":
            type_name = self.rng.choice(
                ["Region", "Deputy", "Congress", "Station", "Mandate", "Committee"]
            )
            inner = f"id ... on {type_name} {{ {self.selection(SCHEMA.get_type(type_name), 2)} }}"  # type: ignore[arg-type]
        else:
            inner = self.selection(target, 3)
        return f"{{ {root}{args} {{ {inner} }} }}"


async def node_ids(client: GraphQLClient) -> list[str]:
    data = await client.data(
        """{ deputies(first: 5, filter: {regionCode: "220400"}) { nodes { id mandates { id congress { id } } stations { id } } }
             region(code: "220402") { id congress { id standingCommittee { id } } } }"""
    )
    ids = [
        data["region"]["id"],
        data["region"]["congress"]["id"],
        data["region"]["congress"]["standingCommittee"]["id"],
    ]
    for deputy in data["deputies"]["nodes"]:
        ids.append(deputy["id"])
        ids += [m["id"] for m in deputy["mandates"]] + [
            m["congress"]["id"] for m in deputy["mandates"]
        ]
        ids += [s["id"] for s in deputy["stations"]]
    return ids


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.title)
async def test_examples_agree(client: GraphQLClient, example: Any) -> None:
    body = await client.post(example.query, example.variables)  # compares both paths
    assert "errors" not in body and body["data"]


@pytest.mark.parametrize("batch", range(6))
async def test_random_queries_agree(client: GraphQLClient, batch: int) -> None:
    rng = random.Random(1000 + batch)
    maker = QueryMaker(rng, await node_ids(client))
    for _ in range(40):
        query = maker.query()
        body = await client.post(query)  # compares both paths, asserts equality
        assert "data" in body, (query, body)


async def test_compiled_path_is_taken_for_read_queries(client: GraphQLClient) -> None:
    example = EXAMPLES[0]
    _, statements = await client.count_statements(example.query, example.variables, path="compiled")
    assert statements == 1


async def test_timestamps_agree(client: GraphQLClient, connection: Any) -> None:
    from sqlalchemy import text

    # One stamp with trailing zeros in its microseconds, one without any: Python's isoformat
    # writes '.120000' and drops a zero fraction; the compiled path must too.
    # The change-feed trigger would stamp now(): set the stamps with triggers off.
    await connection.execute(text("SET LOCAL session_replication_role = replica"))
    await connection.execute(
        text(
            "UPDATE deputies SET updated_at = CASE WHEN id % 2 = 0 "
            "THEN timestamptz '2024-01-01 10:00:00.12+00' ELSE timestamptz '2024-01-01 10:00:00+00' END "
            "WHERE id IN (SELECT id FROM deputies ORDER BY name_pinyin, id LIMIT 4)"
        )
    )
    await connection.execute(text("SET LOCAL session_replication_role = origin"))
    body = await client.post("{ deputies(first: 4) { nodes { updatedAt } } }")
    stamps = {n["updatedAt"] for n in body["data"]["deputies"]["nodes"]}
    assert stamps <= {"2024-01-01T10:00:00.120000+00:00", "2024-01-01T10:00:00+00:00"}
