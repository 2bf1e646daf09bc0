"""Who may read and write what: every path to personal data under every role, and every
mutation under every role."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import jwt
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.ids import encode_id
from tests.conftest import GraphQLClient
from tests.factories import committee_of, congress_of, insert_deputy, insert_mandate, insert_row
from tests.mutations import CREATE_STATION, table_counts

PERSONAL = "phone birthDate idNumber"
PHONE = "13912340000"
OTHER_PHONE = "13700000000"

# Every way to reach a deputy; each query selects the personal fields of the deputy we build.
PATHS = {
    "node": "query($d: ID!) { node(id: $d) { ... on Deputy { PERSONAL_FIELDS } } }",
    "nodes": "query($d: ID!) { nodes(ids: [$d]) { ... on Deputy { PERSONAL_FIELDS } } }",
    "deputies": 'query { deputies(filter: {search: "隐私测试"}) { nodes { PERSONAL_FIELDS } edges { node { PERSONAL_FIELDS } } } }',
    "region.deputies": 'query { region(code: "520121") { deputies(filter: {search: "隐私测试"}) { nodes { PERSONAL_FIELDS } } } }',
    "congress.deputies": 'query { region(code: "520121") { congress { deputies(filter: {search: "隐私测试"}) { nodes { PERSONAL_FIELDS } } } } }',
    "mandate.deputy": "query($d: ID!) { node(id: $d) { ... on Deputy { mandates { deputy { PERSONAL_FIELDS } } } } }",
    "station.deputies": "query($s: ID!) { node(id: $s) { ... on Station { deputies { nodes { PERSONAL_FIELDS } } } } }",
    "reception.deputies": "query($s: ID!) { node(id: $s) { ... on Station { receptions { nodes { deputies { PERSONAL_FIELDS } } } } } }",
    "group.members": "query($g: ID!) { node(id: $g) { ... on DeputyGroup { members { deputy { PERSONAL_FIELDS } } } } }",
    "committee.members": 'query { region(code: "520121") { congress { standingCommittee { members { deputy { PERSONAL_FIELDS } } } } } }',
    "attendance.deputy": "query($m: ID!) { node(id: $m) { ... on Meeting { attendances { nodes { deputy { PERSONAL_FIELDS } } } } } }",
    "contact.contactor": "query($d: ID!) { node(id: $d) { ... on Deputy { contacts { contactor { PERSONAL_FIELDS } deputy { PERSONAL_FIELDS } } } } }",
    "coverage.uncovered": "query($c: ID!) { reports { contactCoverage(congressId: $c) { uncovered(first: 100) { nodes { name PERSONAL_FIELDS } } } } }",
}


def personal_values(data: Any) -> list[Any]:
    """Every value of a personal field anywhere in a response."""
    found: list[Any] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("phone", "birthDate", "idNumber"):
                found.append(value)
            else:
                found += personal_values(value)
    elif isinstance(data, list):
        for item in data:
            found += personal_values(item)
    return found


@pytest.fixture
async def private_world(connection: AsyncConnection) -> dict[str, str]:
    """A deputy of 龙山区 (Jilin) reachable by every path, with a phone and ID number."""
    c = connection
    deputy = await insert_deputy(c, "隐私测试", "520121101", phone=PHONE)
    other = await insert_deputy(c, "隐私同事", "520121101", phone=OTHER_PHONE)
    await c.execute(
        text("UPDATE deputies SET id_number = '520121199001011234' WHERE id IN (:a, :b)"),
        {"a": deputy, "b": other},
    )
    for d in (deputy, other):
        await insert_mandate(c, d, "520121")
    station = await insert_row(c, "stations", name="隐私站", kind="HOME", region_code="520121101")
    await c.execute(
        text("INSERT INTO station_assignments VALUES (:s, :d, '2024-01-01')"),
        {"s": station, "d": deputy},
    )
    reception = await insert_row(
        c,
        "receptions",
        station_id=station,
        date=date(2024, 5, 1),
        visitors=1,
        opinions_collected=0,
        problems_resolved=0,
    )
    await c.execute(
        text("INSERT INTO reception_deputies VALUES (:r, :d)"), {"r": reception, "d": deputy}
    )
    congress = await congress_of(c, "520121")
    group = await insert_row(
        c,
        "deputy_groups",
        name="隐私组",
        kind="REGIONAL",
        congress_id=congress["id"],
        region_code="520121",
    )
    await c.execute(
        text("INSERT INTO group_memberships VALUES (:g, :d, 'MEMBER', '2024-01-01')"),
        {"g": group, "d": deputy},
    )
    committee = await committee_of(c, "520121")
    await insert_row(
        c,
        "committee_memberships",
        committee_id=committee,
        deputy_id=other,
        role="MEMBER",
        start_date=date(2022, 1, 1),
    )
    await insert_row(
        c,
        "contact_assignments",
        contactor_id=other,
        committee_id=committee,
        deputy_id=deputy,
        start_date=date(2024, 1, 1),
    )
    prefecture = await committee_of(c, "520100")
    meeting = await insert_row(
        c,
        "meetings",
        committee_id=prefecture,
        number=999,
        title="会",
        start_date=date(2024, 6, 1),
        end_date=date(2024, 6, 1),
    )
    mandate = await c.scalar(text("SELECT id FROM mandates WHERE deputy_id = :d"), {"d": deputy})
    await insert_row(
        c,
        "attendances",
        meeting_id=meeting,
        deputy_id=deputy,
        mandate_id=mandate,
        level="COUNTY",
        spoke=False,
    )
    return {
        "d": encode_id("Deputy", deputy),
        "s": encode_id("Station", station),
        "g": encode_id("DeputyGroup", group),
        "m": encode_id("Meeting", meeting),
        "c": encode_id("Congress", congress["id"]),
    }


ROLES = [
    ("anonymous", None, False),
    ("viewer", None, False),
    ("editor", "420000", False),  # an editor of another province
    ("editor", "520000", True),
    ("editor", "520121", True),
    ("admin", None, True),
]


@pytest.mark.parametrize(("role", "region", "sees"), ROLES)
@pytest.mark.parametrize("path", sorted(PATHS))
async def test_personal_data_on_every_path_under_every_role(
    client: GraphQLClient,
    private_world: dict[str, str],
    path: str,
    role: str,
    region: str | None,
    sees: bool,
) -> None:
    caller = client if role == "anonymous" else client.as_role(role, region)
    query = PATHS[path].replace("PERSONAL_FIELDS", PERSONAL)
    used = {k: v for k, v in private_world.items() if f"${k}" in query}
    values = personal_values(await caller.data(query, used))
    assert values, f"{path} reached no deputy"
    if sees:
        assert {PHONE, OTHER_PHONE} & set(values)
        assert "520121199001011234" in values
    else:
        assert set(values) == {None}


async def test_searching_by_phone_does_not_find_the_deputy(
    client: GraphQLClient, private_world: dict[str, str]
) -> None:
    admin = client.as_role("admin")
    data = await admin.data('{ deputies(filter: {search: "13912340000"}) { totalCount } }')
    assert data["deputies"]["totalCount"] == 0


async def test_csv_exports_carry_no_personal_data(http: Any, private_world: dict[str, str]) -> None:
    for path, params in (
        ("/reports/composition.csv", {"regionCode": "520121", "scope": "LOCALITY"}),
        ("/reports/contact-coverage.csv", {"congressId": private_world["c"]}),
    ):
        body = (await http.get(path, params=params)).text
        assert PHONE not in body and "520121199001011234" not in body


STATION = {"name": "站", "kind": "HOME", "regionCode": "520121101"}


@pytest.mark.parametrize(
    ("role", "region", "allowed"),
    [
        ("viewer", None, False),
        ("editor", "420000", False),
        ("editor", "520100", True),
        ("admin", None, True),
    ],
)
async def test_writes_by_role_and_region(
    client: GraphQLClient, connection: AsyncConnection, role: str, region: str | None, allowed: bool
) -> None:
    before = await table_counts(connection)
    body = await client.as_role(role, region).post(CREATE_STATION, {"input": STATION})
    if allowed:
        assert body["data"]["createStation"]["userErrors"] == []
        audit = (
            await connection.execute(
                text("SELECT actor, role FROM audit_log ORDER BY id DESC LIMIT 1")
            )
        ).one()
        assert (audit.actor, audit.role) == (f"test-{role}", role)
    else:
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await table_counts(connection) == before


MUTATIONS = [
    'createDeputy(input: {name: "x", gender: MALE, isGrassroots: false, localityCode: "520121", mandate: {congressId: "x", termNumber: 1, startDate: "2024-01-01"}})',
    'addMandate(input: {deputyId: "x", mandate: {congressId: "x", termNumber: 1, startDate: "2024-01-01"}})',
    'endMandate(input: {mandateId: "x", endDate: "2024-01-01", reason: OTHER})',
    'addCommitteeMember(input: {committeeId: "x", deputyId: "x", role: MEMBER, startDate: "2024-01-01"})',
    'createStation(input: {name: "x", kind: HOME, regionCode: "000000"})',
    'assignStationDeputies(input: {stationId: "x", deputyIds: []})',
    'createGroup(input: {name: "x", kind: REGIONAL, congressId: "x", regionCode: "520121"})',
    'addGroupMembers(input: {groupId: "x", members: []})',
    'assignContact(input: {contactorId: "x", committeeId: "x", deputyId: "x", startDate: "2024-01-01"})',
    'logContact(input: {assignmentId: "x", date: "2024-01-01", channel: PHONE, summary: "x"})',
    'createMeeting(input: {committeeId: "x", number: 1, title: "x", startDate: "2024-01-01", endDate: "2024-01-01"})',
    'recordAttendance(input: {meetingId: "x", attendees: []})',
    'recordReception(input: {stationId: "x", date: "2024-01-01", deputyIds: [], visitors: 0, opinionsCollected: 0, problemsResolved: 0})',
]


@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("role", ["anonymous", "viewer"])
async def test_every_mutation_is_forbidden_to_readers(
    client: GraphQLClient, connection: AsyncConnection, mutation: str, role: str
) -> None:
    caller = client if role == "anonymous" else client.as_role(role)
    before = await table_counts(connection)
    body = await caller.post(f"mutation {{ {mutation} {{ userErrors {{ code }} }} }}")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts(connection) == before


@pytest.mark.parametrize("mutation", MUTATIONS)
async def test_every_mutation_answers_admins_with_user_errors(
    admin: GraphQLClient, mutation: str
) -> None:
    body = await admin.post(f"mutation {{ {mutation} {{ userErrors {{ code }} }} }}")
    assert "errors" not in body
    assert next(iter(body["data"].values()))["userErrors"]


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Basic abc", "Bearer ", "token"],
)
async def test_bad_tokens_get_401(http: Any, header: str) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"]


async def test_expired_and_foreign_tokens_get_401(http: Any, settings: Any) -> None:
    expired = jwt.encode(
        {"sub": "a", "role": "admin", "exp": int(time.time()) - 10},
        settings.jwt_secret,
        algorithm="HS256",
    )
    foreign = jwt.encode(
        {"sub": "a", "role": "admin", "exp": int(time.time()) + 100},
        "another-secret-" * 3,
        algorithm="HS256",
    )
    for token, words in ((expired, "expired"), (foreign, "not valid")):
        response = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401 and words in response.json()["errors"][0]["message"]


async def test_a_revoked_token_is_refused(
    http: Any, settings: Any, connection: AsyncConnection
) -> None:
    from service.auth import issue_token, token_id

    token = issue_token(settings, "leaver", "editor", "220000")
    ok = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert ok.status_code == 200
    await connection.execute(
        text(
            "INSERT INTO audit_log (actor, role, action, entity, entity_id) "
            "VALUES ('test', 'admin', 'revokeToken', 'Token', :jti)"
        ),
        {"jti": token_id(settings, token)},
    )
    from service import auth

    auth._checked.clear()  # the 30-second trust window, as if it had passed
    refused = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    assert "revoked" in refused.json()["errors"][0]["message"]
