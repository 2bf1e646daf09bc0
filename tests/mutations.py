"""GraphQL documents and small API-driving helpers shared by the mutation tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import GraphQLClient

ERRORS = "userErrors { field message code }"

CONGRESS = """
query($code: String!) { region(code: $code) { congress { id level
  currentTerm { number startDate } standingCommittee { id } } } }
"""
CREATE_DEPUTY = f"""
mutation($input: CreateDeputyInput!) {{ createDeputy(input: $input) {{
  deputy {{ id name activeLevels locality {{ code }} mandates {{ id level status }} }} {ERRORS} }} }}
"""
ADD_MANDATE = f"""
mutation($input: AddMandateInput!) {{ addMandate(input: $input) {{
  mandate {{ id level status }} {ERRORS} }} }}
"""
END_MANDATE = f"""
mutation($input: EndMandateInput!) {{ endMandate(input: $input) {{
  mandate {{ id status endDate endReason suspendedFrom }} {ERRORS} }} }}
"""
ADD_MEMBER = f"""
mutation($input: AddCommitteeMemberInput!) {{ addCommitteeMember(input: $input) {{
  membership {{ role deputy {{ id }} committee {{ id }} }} {ERRORS} }} }}
"""
CREATE_STATION = f"""
mutation($input: CreateStationInput!) {{ createStation(input: $input) {{
  station {{ id name kind starRating receptionDay region {{ code }} }} {ERRORS} }} }}
"""
ASSIGN_STATION = f"""
mutation($input: AssignStationDeputiesInput!) {{ assignStationDeputies(input: $input) {{
  station {{ id deputies {{ totalCount }} deputyCountByLevel {{ level count }} }} {ERRORS} }} }}
"""
CREATE_GROUP = f"""
mutation($input: CreateGroupInput!) {{ createGroup(input: $input) {{
  group {{ id name kind }} {ERRORS} }} }}
"""
ADD_GROUP_MEMBERS = f"""
mutation($input: AddGroupMembersInput!) {{ addGroupMembers(input: $input) {{
  group {{ id members {{ role deputy {{ id }} }} memberCountByLevel {{ level count }} }} {ERRORS} }} }}
"""
ASSIGN_CONTACT = f"""
mutation($input: AssignContactInput!) {{ assignContact(input: $input) {{
  assignment {{ id contactor {{ id }} deputy {{ id }} logs {{ date }} }} {ERRORS} }} }}
"""
LOG_CONTACT = f"""
mutation($input: LogContactInput!) {{ logContact(input: $input) {{
  assignment {{ id logs {{ date channel summary }} }} {ERRORS} }} }}
"""
CREATE_MEETING = f"""
mutation($input: CreateMeetingInput!) {{ createMeeting(input: $input) {{
  meeting {{ id number title topics }} {ERRORS} }} }}
"""
RECORD_ATTENDANCE = f"""
mutation($input: RecordAttendanceInput!) {{ recordAttendance(input: $input) {{
  meeting {{ id attendances {{ totalCount nodes {{ level spoke deputy {{ id }} }} }}
    attendanceByLevel {{ level count }} }} {ERRORS} }} }}
"""
RECORD_RECEPTION = f"""
mutation($input: RecordReceptionInput!) {{ recordReception(input: $input) {{
  reception {{ id date visitors deputies {{ id }} }} {ERRORS} }} }}
"""

TABLES = [
    "deputies",
    "mandates",
    "committee_memberships",
    "stations",
    "station_assignments",
    "receptions",
    "reception_deputies",
    "deputy_groups",
    "group_memberships",
    "contact_assignments",
    "contact_logs",
    "meetings",
    "attendances",
    "audit_log",
]


async def table_counts(conn: AsyncConnection, tables: list[str] = TABLES) -> dict[str, int]:
    """Row counts of every table a mutation may write: equal before and after = nothing written."""
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)
    return dict((await conn.execute(text(sql))).all())


async def congress(client: GraphQLClient, code: str) -> dict[str, Any]:
    data = await client.data(CONGRESS, {"code": code})
    return data["region"]["congress"]


async def mutate(client: GraphQLClient, document: str, input: dict[str, Any]) -> dict[str, Any]:
    """The payload of a mutation that must succeed."""
    data = await client.data(document, {"input": input})
    payload = next(iter(data.values()))
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def refused(
    client: GraphQLClient, document: str, input: dict[str, Any]
) -> list[dict[str, Any]]:
    """The userErrors of a mutation that must be refused (and return no object)."""
    data = await client.data(document, {"input": input})
    payload = next(iter(data.values()))
    assert payload["userErrors"], "expected the mutation to be refused"
    assert all(v is None for k, v in payload.items() if k != "userErrors")
    return payload["userErrors"]


async def new_deputy(
    client: GraphQLClient, name: str, locality: str, congress_code: str, **extra: Any
) -> dict[str, Any]:
    c = await congress(client, congress_code)
    payload = await mutate(
        client,
        CREATE_DEPUTY,
        {
            "name": name,
            "gender": extra.pop("gender", "FEMALE"),
            "isGrassroots": extra.pop("isGrassroots", True),
            "localityCode": locality,
            "birthYear": 1980,
            "mandate": {
                "congressId": c["id"],
                "termNumber": c["currentTerm"]["number"],
                "startDate": c["currentTerm"]["startDate"],
            },
            **extra,
        },
    )
    return payload["deputy"]


async def assert_refused(
    client: GraphQLClient,
    connection: AsyncConnection,
    document: str,
    input: dict[str, Any],
    code: str,
    field: list[str] | None = None,
    tables: list[str] = TABLES,
) -> list[dict[str, Any]]:
    """The write is refused with this code (at this field), and the database is unchanged."""
    before = await table_counts(connection, tables)
    errors = await refused(client, document, input)
    assert code in [e["code"] for e in errors], errors
    if field is not None:
        assert field in [e["field"] for e in errors], errors
    assert all(e["message"] for e in errors)
    assert await table_counts(connection, tables) == before, "a refused write changed the database"
    return errors
