"""Every rule of the data: the refusal, its code and field, and a database left unchanged."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.ids import encode_id
from tests.conftest import GraphQLClient
from tests.mutations import (
    ADD_GROUP_MEMBERS,
    ADD_MANDATE,
    ADD_MEMBER,
    ASSIGN_CONTACT,
    ASSIGN_STATION,
    CREATE_DEPUTY,
    CREATE_GROUP,
    CREATE_MEETING,
    CREATE_STATION,
    END_MANDATE,
    LOG_CONTACT,
    RECORD_ATTENDANCE,
    RECORD_RECEPTION,
    assert_refused,
    congress,
    mutate,
    new_deputy,
    table_counts,
)

MEETING_DAY = "2024-06-20"


async def jilin_meeting(admin: GraphQLClient) -> tuple[str, str]:
    """A meeting of the Jilin provincial standing committee, and the committee's ID."""
    jilin = await congress(admin, "220000")
    committee = jilin["standingCommittee"]["id"]
    meeting = await mutate(
        admin,
        CREATE_MEETING,
        {
            "committeeId": committee,
            "number": 777,
            "title": "测试会议",
            "startDate": MEETING_DAY,
            "endDate": MEETING_DAY,
        },
    )
    return meeting["meeting"]["id"], committee


async def test_national_deputy_attends_where_they_live_only(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    meeting, _ = await jilin_meeting(admin)
    in_jilin = await new_deputy(admin, "全国代表吉林", "220402100", "100000")
    in_hubei = await new_deputy(admin, "全国代表湖北", "420502", "100000")
    await assert_refused(
        admin,
        connection,
        RECORD_ATTENDANCE,
        {"meetingId": meeting, "attendees": [{"deputyId": in_hubei["id"]}]},
        "NOT_ELIGIBLE",
        ["attendees", "0", "deputyId"],
    )
    done = await mutate(
        admin,
        RECORD_ATTENDANCE,
        {"meetingId": meeting, "attendees": [{"deputyId": in_jilin["id"]}]},
    )
    assert done["meeting"]["attendances"]["nodes"][0]["level"] == "NATIONAL"


async def test_county_deputy_may_not_attend_a_provincial_meeting(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    meeting, _ = await jilin_meeting(admin)
    county = await new_deputy(admin, "县代表", "220402100", "220402")
    await assert_refused(
        admin,
        connection,
        RECORD_ATTENDANCE,
        {"meetingId": meeting, "attendees": [{"deputyId": county["id"]}]},
        "NOT_ELIGIBLE",
    )


async def test_a_member_is_not_an_attendee_of_their_committee(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    meeting, committee = await jilin_meeting(admin)
    member = await new_deputy(admin, "省常委", "220402100", "220000")
    start = (await congress(admin, "220000"))["currentTerm"]["startDate"]
    await mutate(
        admin,
        ADD_MEMBER,
        {"committeeId": committee, "deputyId": member["id"], "role": "MEMBER", "startDate": start},
    )
    await assert_refused(
        admin,
        connection,
        RECORD_ATTENDANCE,
        {"meetingId": meeting, "attendees": [{"deputyId": member["id"]}]},
        "COMMITTEE_MEMBER",
    )


async def test_attendance_at_most_once(admin: GraphQLClient, connection: AsyncConnection) -> None:
    meeting, _ = await jilin_meeting(admin)
    deputy = await new_deputy(admin, "省代表重复", "220402100", "220000")
    twice = {
        "meetingId": meeting,
        "attendees": [{"deputyId": deputy["id"]}, {"deputyId": deputy["id"]}],
    }
    await assert_refused(admin, connection, RECORD_ATTENDANCE, twice, "DUPLICATE_ATTENDANCE")
    once = {"meetingId": meeting, "attendees": [{"deputyId": deputy["id"]}]}
    await mutate(admin, RECORD_ATTENDANCE, once)
    await assert_refused(admin, connection, RECORD_ATTENDANCE, once, "DUPLICATE_ATTENDANCE")


async def test_one_bad_attendee_of_fifty_writes_nothing(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    meeting, _ = await jilin_meeting(admin)
    jilin = await admin.data(
        """{ region(code: "220000") { congress {
             standingCommittee { members { deputy { id } } }
             deputies(first: 100, filter: {asOf: "2024-06-20"}) { nodes { id } } } } }"""
    )
    members = {
        m["deputy"]["id"] for m in jilin["region"]["congress"]["standingCommittee"]["members"]
    }
    provincial = [n["id"] for n in jilin["region"]["congress"]["deputies"]["nodes"]]
    attendees = [{"deputyId": d} for d in provincial if d not in members][:49]
    assert len(attendees) == 49
    outsider = await new_deputy(admin, "外省代表", "420502", "420000")
    attendees.insert(17, {"deputyId": outsider["id"]})
    errors = await assert_refused(
        admin,
        connection,
        RECORD_ATTENDANCE,
        {"meetingId": meeting, "attendees": attendees},
        "NOT_ELIGIBLE",
    )
    assert [e["field"] for e in errors] == [["attendees", "17", "deputyId"]]


async def test_suspended_deputy_neither_attends_nor_gets_contacts_inside_the_suspension(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    meeting, committee = await jilin_meeting(admin)
    deputy = await new_deputy(admin, "暂停代表", "220402100", "220000")
    mandate = deputy["mandates"][0]["id"]
    await mutate(
        admin,
        END_MANDATE,
        {"mandateId": mandate, "endDate": "2024-05-01", "reason": "OTHER", "status": "SUSPENDED"},
    )
    await assert_refused(
        admin,
        connection,
        RECORD_ATTENDANCE,
        {"meetingId": meeting, "attendees": [{"deputyId": deputy["id"]}]},
        "NOT_ELIGIBLE",
    )
    member = await new_deputy(admin, "联系常委", "220402100", "220000")
    start = (await congress(admin, "220000"))["currentTerm"]["startDate"]
    await mutate(
        admin,
        ADD_MEMBER,
        {"committeeId": committee, "deputyId": member["id"], "role": "MEMBER", "startDate": start},
    )
    contact = {"contactorId": member["id"], "committeeId": committee, "deputyId": deputy["id"]}
    await assert_refused(
        admin, connection, ASSIGN_CONTACT, {**contact, "startDate": "2024-06-01"}, "NOT_ELIGIBLE"
    )
    # Before the suspension the same assignment is fine.
    await mutate(admin, ASSIGN_CONTACT, {**contact, "startDate": "2024-04-01"})


async def test_contactor_must_be_a_current_member(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    _, committee = await jilin_meeting(admin)
    not_member = await new_deputy(admin, "非常委", "220402100", "220000")
    deputy = await new_deputy(admin, "被联系代表", "220402100", "220000")
    await assert_refused(
        admin,
        connection,
        ASSIGN_CONTACT,
        {
            "contactorId": not_member["id"],
            "committeeId": committee,
            "deputyId": deputy["id"],
            "startDate": "2024-03-01",
        },
        "NOT_A_MEMBER",
        ["contactorId"],
    )


async def test_one_active_mandate_per_term(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    deputy = await new_deputy(admin, "双重代表", "220402100", "220402")
    district = await congress(admin, "220402")
    again = {
        "deputyId": deputy["id"],
        "mandate": {
            "congressId": district["id"],
            "termNumber": district["currentTerm"]["number"],
            "startDate": district["currentTerm"]["startDate"],
        },
    }
    await assert_refused(admin, connection, ADD_MANDATE, again, "MANDATE_OVERLAP")
    # A mandate at another level in the same years is fine: deputies sit at several levels.
    town = await congress(admin, "220402100")
    other = {
        **again,
        "mandate": {
            **again["mandate"],
            "congressId": town["id"],
            "termNumber": town["currentTerm"]["number"],
            "startDate": town["currentTerm"]["startDate"],
        },
    }
    added = await mutate(admin, ADD_MANDATE, other)
    assert added["mandate"]["level"] == "TOWNSHIP"


async def test_ending_a_mandate_keeps_its_history(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    deputy = await new_deputy(admin, "辞职代表", "220402100", "220402")
    mandate = deputy["mandates"][0]["id"]
    ended = await mutate(
        admin, END_MANDATE, {"mandateId": mandate, "endDate": "2024-02-29", "reason": "RESIGNED"}
    )
    assert ended["mandate"] == {
        "id": mandate,
        "status": "TERMINATED",
        "endDate": "2024-02-29",
        "endReason": "RESIGNED",
        "suspendedFrom": None,
    }
    await assert_refused(
        admin,
        connection,
        END_MANDATE,
        {"mandateId": mandate, "endDate": "2024-03-01", "reason": "OTHER"},
        "ALREADY_ENDED",
    )
    await assert_refused(
        admin,
        connection,
        END_MANDATE,
        {"mandateId": mandate, "endDate": "2001-01-01", "reason": "OTHER"},
        "INVALID_VALUE",
    )


async def test_township_congress_has_no_standing_committee(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    town = await congress(admin, "220402100")
    assert town["standingCommittee"] is None
    await assert_refused(
        admin,
        connection,
        CREATE_GROUP,
        {
            "name": "镇代表小组",
            "kind": "REGIONAL",
            "congressId": town["id"],
            "regionCode": "220402100",
        },
        "NO_STANDING_COMMITTEE",
    )


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"starRating": 6}, "INVALID_VALUE", ["starRating"]),
        ({"starRating": 0}, "INVALID_VALUE", ["starRating"]),
        ({"receptionDay": 32}, "INVALID_VALUE", ["receptionDay"]),
        ({"regionCode": "999999"}, "NOT_FOUND", ["regionCode"]),
        ({"name": "  "}, "INVALID_VALUE", ["name"]),
    ],
)
async def test_station_values(
    admin: GraphQLClient, connection: AsyncConnection, change: dict, code: str, field: list[str]
) -> None:
    good = {"name": "联络站", "kind": "HOME", "regionCode": "220402100"}
    await assert_refused(admin, connection, CREATE_STATION, {**good, **change}, code, field)


async def test_reception_counts_are_whole_numbers(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    station = await mutate(
        admin, CREATE_STATION, {"name": "站", "kind": "HOME", "regionCode": "220402100"}
    )
    await assert_refused(
        admin,
        connection,
        RECORD_RECEPTION,
        {
            "stationId": station["station"]["id"],
            "date": "2024-01-05",
            "deputyIds": [],
            "visitors": -1,
            "opinionsCollected": 0,
            "problemsResolved": 0,
        },
        "INVALID_VALUE",
        ["visitors"],
    )


async def test_meeting_dates_in_order(admin: GraphQLClient, connection: AsyncConnection) -> None:
    committee = (await congress(admin, "220402"))["standingCommittee"]["id"]
    bad = {
        "committeeId": committee,
        "number": 5,
        "title": "会议",
        "startDate": "2024-05-02",
        "endDate": "2024-05-01",
    }
    await assert_refused(admin, connection, CREATE_MEETING, bad, "INVALID_VALUE", ["endDate"])


@pytest.mark.parametrize(
    "bad_id", [encode_id("Region", "220400"), encode_id("Deputy", 999999999), "garbage", ""]
)
async def test_unknown_or_wrong_type_ids_are_not_found(
    admin: GraphQLClient, connection: AsyncConnection, bad_id: str
) -> None:
    station = await mutate(
        admin, CREATE_STATION, {"name": "站", "kind": "HOME", "regionCode": "220402100"}
    )
    await assert_refused(
        admin,
        connection,
        ASSIGN_STATION,
        {"stationId": station["station"]["id"], "deputyIds": [bad_id]},
        "NOT_FOUND",
        ["deputyIds", "0"],
    )
    await assert_refused(
        admin,
        connection,
        LOG_CONTACT,
        {"assignmentId": bad_id, "date": "2024-01-01", "channel": "PHONE", "summary": "x"},
        "NOT_FOUND",
    )


async def test_group_members_must_be_eligible(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    district = await congress(admin, "220402")
    group = await mutate(
        admin,
        CREATE_GROUP,
        {
            "name": "专业小组",
            "kind": "PROFESSIONAL",
            "congressId": district["id"],
            "regionCode": "220402",
        },
    )
    provincial = await new_deputy(admin, "省代表专业", "220402100", "220000")
    # A professional group takes deputies of its own congress only.
    await assert_refused(
        admin,
        connection,
        ADD_GROUP_MEMBERS,
        {
            "groupId": group["group"]["id"],
            "members": [{"deputyId": provincial["id"], "role": "MEMBER"}],
        },
        "NOT_ELIGIBLE",
    )


async def test_locality_must_be_county_or_township(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    district = await congress(admin, "220402")
    await assert_refused(
        admin,
        connection,
        CREATE_DEPUTY,
        {
            "name": "某人",
            "gender": "MALE",
            "isGrassroots": False,
            "localityCode": "220400",
            "mandate": {
                "congressId": district["id"],
                "termNumber": district["currentTerm"]["number"],
                "startDate": district["currentTerm"]["startDate"],
            },
        },
        "INVALID_VALUE",
        ["localityCode"],
    )


async def test_anonymous_writes_are_forbidden(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    before = await table_counts(connection)
    body = await client.post(
        CREATE_STATION, {"input": {"name": "站", "kind": "HOME", "regionCode": "220402100"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await table_counts(connection) == before
