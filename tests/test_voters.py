"""Voter contacts: pseudonymous, shown only to editors of the voter's region, counted for all."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.mutations import voters as writes
from resolvers.mutations.base import Invalid
from tests.conftest import GraphQLClient
from tests.duty import (
    ACTOR,
    ADD_VOTER,
    END_VOTER,
    GUIYANG,
    KAIYANG,
    SHUANGLIU,
    XIUWEN,
    assert_refused,
    gid,
    guizhou,
)
from tests.mutations import mutate

VOTERS = """query($id: ID!) { node(id: $id) { ... on Deputy { voterContactCount
  voterContacts { id pseudonym community communityRegion { code } } } } }"""


def voter(deputy: int, **changes: Any) -> dict[str, Any]:
    return {
        "deputyId": gid("Deputy", deputy),
        "communityCode": SHUANGLIU,
        "community": "幸福村",
        "since": "2024-03-01",
        **changes,
    }


async def test_the_public_sees_counts_and_editors_of_the_region_see_pseudonyms(
    client: GraphQLClient, admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    added = [
        (await mutate(admin, ADD_VOTER, voter(g["K"], community=c)))["voterContact"]
        for c in ("幸福村", "东风社区", None)
    ]
    assert all(re.fullmatch(r"V[0-9A-HJKMNP-TV-Z]{12}", v["pseudonym"]) for v in added)
    assert len({v["pseudonym"] for v in added}) == 3
    assert added[2]["community"] is None
    await mutate(admin, END_VOTER, {"voterContactId": added[2]["id"], "until": "2024-06-30"})

    deputy = gid("Deputy", g["K"])
    public = (await client.data(VOTERS, {"id": deputy}))["node"]
    assert public == {"voterContactCount": 2, "voterContacts": []}
    for region, seen in (("520000", 3), (KAIYANG, 3), (SHUANGLIU, 3), (XIUWEN, 0), ("220000", 0)):
        editor = client.as_role("editor", region)
        node = (await editor.data(VOTERS, {"id": deputy}))["node"]
        assert node["voterContactCount"] == 2
        assert len(node["voterContacts"]) == seen, region
    q = """query($id: ID!) { node(id: $id) { ... on VoterContact { pseudonym } } }"""
    assert (await client.data(q, {"id": added[0]["id"]}))["node"] is None
    assert (await client.as_role("editor", "220000").data(q, {"id": added[0]["id"]}))[
        "node"
    ] is None
    found = await client.as_role("editor", GUIYANG).data(q, {"id": added[0]["id"]})
    assert found["node"] == {"pseudonym": added[0]["pseudonym"]}


async def test_nothing_that_identifies_a_voter_is_in_the_schema(client: GraphQLClient) -> None:
    q = """{ __type(name: "VoterContact") { fields { name } } }"""
    fields = {f["name"] for f in (await client.data(q))["__type"]["fields"]}
    assert fields == {"id", "pseudonym", "community", "since", "until", "communityRegion"}


async def test_voter_contact_rules(
    client: GraphQLClient, admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    cases = [
        # A county deputy's voters live in the county.
        (voter(g["K"], communityCode=XIUWEN), "LOCALITY_OUTSIDE_REGION", ["communityCode"]),
        (voter(g["K"], communityCode=GUIYANG), "INVALID_VALUE", ["communityCode"]),
        (voter(g["K"], since="2010-01-01"), "NOT_ELIGIBLE", ["deputyId"]),
        (voter(g["K"], since="2999-01-01"), "INVALID_VALUE", ["since"]),
        (voter(g["K"], communityCode="999999"), "NOT_FOUND", ["communityCode"]),
    ]
    for input, code, field in cases:
        await assert_refused(admin, connection, ADD_VOTER, input, code, field)
    # A provincial deputy represents the whole province; a national one, the nation.
    for key in ("A", "N"):
        await mutate(admin, ADD_VOTER, voter(g[key], communityCode=XIUWEN))
    contact = (await mutate(admin, ADD_VOTER, voter(g["K"])))["voterContact"]
    early = {"voterContactId": contact["id"], "until": "2024-02-01"}
    await assert_refused(admin, connection, END_VOTER, early, "INVALID_VALUE", ["until"])
    end = {"voterContactId": contact["id"], "until": "2024-12-31"}
    await mutate(admin, END_VOTER, end)
    await assert_refused(admin, connection, END_VOTER, end, "ALREADY_ENDED", ["voterContactId"])

    outsider = client.as_role("editor", "220000")
    for document, input in ((ADD_VOTER, voter(g["K"])), (END_VOTER, end)):
        body = await outsider.post(document, {"input": input})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await mutate(client.as_role("editor", SHUANGLIU), ADD_VOTER, voter(g["K"]))


async def test_seeded_voter_contacts(connection: AsyncConnection) -> None:
    per_deputy = list(
        await connection.scalars(text("SELECT count(*) FROM voter_contacts GROUP BY deputy_id"))
    )
    assert len(per_deputy) > 100 and min(per_deputy) >= 8 and max(per_deputy) <= 12
    outside = await connection.scalar(
        text("""
        SELECT count(*) FROM voter_contacts v JOIN regions r ON r.code = v.community_code
        WHERE r.level NOT IN ('COUNTY', 'TOWNSHIP') OR NOT EXISTS (
            SELECT 1 FROM mandates m JOIN congresses c ON c.id = m.congress_id
            WHERE m.deputy_id = v.deputy_id AND c.region_code = ANY(r.lineage)
              AND m.start_date <= v.since AND (m.end_date IS NULL OR v.since <= m.end_date))""")
    )
    assert outside == 0


async def test_voter_contact_writes_directly(connection: AsyncConnection) -> None:
    g = await guizhou(connection)
    deputy = gid("Deputy", g["K"])
    key = await writes.add_voter_contact(
        connection, ACTOR, deputy, SHUANGLIU, " 幸福村 ", date(2024, 3, 1)
    )
    row = (
        await connection.execute(
            text("SELECT pseudonym, community, community_code FROM voter_contacts WHERE id = :id"),
            {"id": key},
        )
    ).one()
    assert re.fullmatch(r"V[0-9A-HJKMNP-TV-Z]{12}", row.pseudonym)
    assert (row.community, row.community_code) == ("幸福村", SHUANGLIU)
    with pytest.raises(Invalid) as caught:
        await writes.add_voter_contact(connection, ACTOR, deputy, XIUWEN, None, date(2024, 3, 1))
    assert [p.code for p in caught.value.problems] == ["LOCALITY_OUTSIDE_REGION"]
