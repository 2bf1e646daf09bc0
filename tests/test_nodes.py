"""Global IDs: every Node type round-trips through node(id) and nodes(ids)."""

from __future__ import annotations

from tests.conftest import GraphQLClient

IDS = """
{ region(code: "220400") { id congress { id currentTerm { id }
    standingCommittee { id members { deputy { id mandates { id } } } } } }
  deputies(first: 1, filter: {regionCode: "220400"}) { nodes { id mandates { id } } } }
"""
NODE = """
query($id: ID!) { node(id: $id) { id __typename
  ... on Region { code } ... on Congress { name } ... on Deputy { name } ... on Mandate { level } } }
"""


async def test_every_node_type_round_trips(client: GraphQLClient) -> None:
    data = await client.data(IDS)
    region = data["region"]
    ids = {
        "Region": region["id"],
        "Congress": region["congress"]["id"],
        "Term": region["congress"]["currentTerm"]["id"],
        "Committee": region["congress"]["standingCommittee"]["id"],
        "Deputy": data["deputies"]["nodes"][0]["id"],
        "Mandate": data["deputies"]["nodes"][0]["mandates"][0]["id"],
    }
    for type_name, global_id in ids.items():
        node = (await client.data(NODE, {"id": global_id}))["node"]
        assert node["id"] == global_id
        assert node["__typename"] == type_name
    listed = await client.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": list(ids.values())}
    )
    assert [n["id"] for n in listed["nodes"]] == list(ids.values())


async def test_unknown_node_is_null_and_malformed_id_is_an_error(client: GraphQLClient) -> None:
    from schema.node import encode_id

    missing = encode_id("Deputy", 987654321)
    assert (await client.data(NODE, {"id": missing}))["node"] is None
    body = await client.post(NODE, {"id": "not-an-id"})
    assert body["errors"][0]["message"] == "'not-an-id' is not a valid ID."
    body = await client.post(NODE, {"id": encode_id("Nothing", 1)})
    assert "is not a valid ID" in body["errors"][0]["message"]
