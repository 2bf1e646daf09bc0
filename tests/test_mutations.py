"""A realistic story driven through the API alone, then read back nested from the region down."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import GraphQLClient
from tests.mutations import (
    ADD_GROUP_MEMBERS,
    ADD_MEMBER,
    ASSIGN_CONTACT,
    ASSIGN_STATION,
    CREATE_GROUP,
    CREATE_MEETING,
    CREATE_STATION,
    LOG_CONTACT,
    RECORD_ATTENDANCE,
    RECORD_RECEPTION,
    congress,
    mutate,
    new_deputy,
    table_counts,
)

READ_BACK = """
query($code: String!) { region(code: $code) {
  stations(first: 100) { nodes { name deputyCountByLevel { level count }
    deputies(first: 10) { totalCount nodes { name } }
    receptions(from: "2024-01-01", to: "2024-12-31") { totalCount nodes { visitors deputies { name } } } } }
  congress {
    groups(first: 100) { nodes { name members { role deputy { name } } memberCountByLevel { level count } } }
    standingCommittee { members { role deputy { name } }
      meetings(first: 100) { nodes { title topics attendanceByLevel { level count }
        attendances { totalCount nodes { level spoke deputy { name
          contacts { contactor { name } logs { channel summary } } } } } } } } } } }
"""


async def test_story_through_the_api(roomy: GraphQLClient, connection: AsyncConnection) -> None:
    admin = roomy.as_role("admin")
    before = await table_counts(connection)
    # Deputies at three levels, all living in 龙山区 (220402) of 辽源市, Jilin.
    provincial = await new_deputy(admin, "省代表甲", "220402100", "220000", gender="MALE")
    prefectural = await new_deputy(admin, "市代表乙", "220402", "220400")
    county = await new_deputy(admin, "区代表丙", "220402100", "220402")
    member = await new_deputy(admin, "常委丁", "220402", "220402", gender="MALE")
    assert provincial["activeLevels"] == ["PROVINCIAL"]

    district = await congress(admin, "220402")
    committee_id = district["standingCommittee"]["id"]
    start = district["currentTerm"]["startDate"]
    await mutate(
        admin,
        ADD_MEMBER,
        {
            "committeeId": committee_id,
            "deputyId": member["id"],
            "role": "MEMBER",
            "startDate": start,
        },
    )

    station = (
        await mutate(
            admin,
            CREATE_STATION,
            {
                "name": "寿山镇人大代表联络站",
                "kind": "STATION",
                "regionCode": "220402100",
                "starRating": 4,
                "receptionDay": 15,
            },
        )
    )["station"]
    everyone = [provincial["id"], prefectural["id"], county["id"]]
    assigned = await mutate(
        admin, ASSIGN_STATION, {"stationId": station["id"], "deputyIds": everyone}
    )
    counts = {c["level"]: c["count"] for c in assigned["station"]["deputyCountByLevel"]}
    assert counts == {"NATIONAL": 0, "PROVINCIAL": 1, "PREFECTURAL": 1, "COUNTY": 1, "TOWNSHIP": 0}

    group = (
        await mutate(
            admin,
            CREATE_GROUP,
            {
                "name": "龙山区五级代表小组",
                "kind": "REGIONAL",
                "congressId": district["id"],
                "regionCode": "220402",
            },
        )
    )["group"]
    roles = ["LEADER", "DEPUTY_LEADER", "MEMBER"]
    members = [{"deputyId": d, "role": r} for d, r in zip(everyone, roles, strict=True)]
    grouped = await mutate(admin, ADD_GROUP_MEMBERS, {"groupId": group["id"], "members": members})
    assert len(grouped["group"]["members"]) == 3

    assignment = (
        await mutate(
            admin,
            ASSIGN_CONTACT,
            {
                "contactorId": member["id"],
                "committeeId": committee_id,
                "deputyId": provincial["id"],
                "startDate": "2024-01-02",
            },
        )
    )["assignment"]
    logged = await mutate(
        admin,
        LOG_CONTACT,
        {
            "assignmentId": assignment["id"],
            "date": "2024-03-08",
            "channel": "VISIT",
            "summary": "走访听取意见",
        },
    )
    assert logged["assignment"]["logs"] == [
        {"date": "2024-03-08", "channel": "VISIT", "summary": "走访听取意见"}
    ]

    meeting = (
        await mutate(
            admin,
            CREATE_MEETING,
            {
                "committeeId": committee_id,
                "number": 901,
                "title": "第九百零一次会议",
                "startDate": "2024-06-15",
                "endDate": "2024-06-16",
                "topics": ["审议预算执行情况"],
            },
        )
    )["meeting"]
    attended = await mutate(
        admin,
        RECORD_ATTENDANCE,
        {
            "meetingId": meeting["id"],
            "attendees": [
                {"deputyId": provincial["id"], "spoke": True},
                {"deputyId": prefectural["id"]},
            ],
        },
    )
    by_level = {c["level"]: c["count"] for c in attended["meeting"]["attendanceByLevel"]}
    assert by_level == {
        "NATIONAL": 0,
        "PROVINCIAL": 1,
        "PREFECTURAL": 1,
        "COUNTY": 0,
        "TOWNSHIP": 0,
    }

    await mutate(
        admin,
        RECORD_RECEPTION,
        {
            "stationId": station["id"],
            "date": "2024-07-15",
            "deputyIds": everyone[:2],
            "visitors": 23,
            "opinionsCollected": 9,
            "problemsResolved": 4,
        },
    )

    region = (await admin.data(READ_BACK, {"code": "220402"}))["region"]
    ours = next(s for s in region["stations"]["nodes"] if s["name"] == "寿山镇人大代表联络站")
    assert ours["deputies"]["totalCount"] == 3
    assert ours["receptions"]["nodes"] == [
        {"visitors": 23, "deputies": [{"name": "省代表甲"}, {"name": "市代表乙"}]}
    ]
    (ours_group,) = [
        g for g in region["congress"]["groups"]["nodes"] if g["name"] == "龙山区五级代表小组"
    ]
    assert {m["deputy"]["name"]: m["role"] for m in ours_group["members"]} == {
        "省代表甲": "LEADER",
        "市代表乙": "DEPUTY_LEADER",
        "区代表丙": "MEMBER",
    }
    committee = region["congress"]["standingCommittee"]
    assert {"role": "MEMBER", "deputy": {"name": "常委丁"}} in committee["members"]
    (read_meeting,) = [
        m for m in committee["meetings"]["nodes"] if m["title"] == "第九百零一次会议"
    ]
    attendees = {a["deputy"]["name"]: a for a in read_meeting["attendances"]["nodes"]}
    assert attendees["省代表甲"]["level"] == "PROVINCIAL" and attendees["省代表甲"]["spoke"]
    assert attendees["省代表甲"]["deputy"]["contacts"] == [
        {"contactor": {"name": "常委丁"}, "logs": [{"channel": "VISIT", "summary": "走访听取意见"}]}
    ]

    after = await table_counts(connection)
    grown = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    assert grown == {
        "deputies": 4,
        "mandates": 4,
        "committee_memberships": 1,
        "stations": 1,
        "station_assignments": 3,
        "receptions": 1,
        "reception_deputies": 2,
        "deputy_groups": 1,
        "group_memberships": 3,
        "contact_assignments": 1,
        "contact_logs": 1,
        "meetings": 1,
        "attendances": 2,
        "audit_log": 4 * 2 + 10,
    }
