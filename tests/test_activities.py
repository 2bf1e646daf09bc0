"""Activities between sessions: recorded with eligible deputies only, listed, and counted
in person-times by level (Reports.activityParticipation) against independently built data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.activities import ActivityKind
from db.session import RequestDatabase
from resolvers import activities as figures
from resolvers.mutations import activities as writes
from resolvers.mutations.base import Invalid
from tests.conftest import GraphQLClient
from tests.duty import (
    ACTOR,
    GUIYANG,
    GUIZHOU,
    KAIYANG,
    LEVELS,
    RECORD_ACTIVITY,
    SHUANGLIU,
    XIUWEN,
    assert_refused,
    gid,
    guizhou,
    link,
)
from tests.factories import congress_of, insert_deputy, insert_mandate, insert_row
from tests.mutations import mutate

PARTICIPATION = """query($code: String!, $from: Date!, $to: Date!, $kinds: [ActivityKind!]) {
  reports { activityParticipation(regionCode: $code, from: $from, to: $to, kinds: $kinds) {
    level count } } }"""


def activity(congress: int, people: list[int], **changes: Any) -> dict[str, Any]:
    return {
        "kind": "INSPECTION",
        "title": "视察乡村振兴工作",
        "startDate": "2024-05-10",
        "endDate": "2024-05-11",
        "organizerCongressId": gid("Congress", congress),
        "regionCode": KAIYANG,
        "participantIds": [gid("Deputy", p) for p in people],
        **changes,
    }


def by_level(rows: list[dict[str, Any]]) -> list[int]:
    assert [r["level"] for r in rows] == LEVELS
    return [r["count"] for r in rows]


async def test_activities_are_recorded_listed_and_counted_by_level(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    county = (await congress_of(connection, KAIYANG))["id"]
    # The province's inspection: two of its deputies and a national deputy living there.
    done = await mutate(admin, RECORD_ACTIVITY, activity(g["congress"], [g["A"], g["C"], g["N"]]))
    inspection = done["activity"]
    assert by_level(inspection["participantCountByLevel"]) == [1, 2, 0, 0, 0]
    assert inspection["region"] == {"code": KAIYANG}
    # The county's training: its own deputy, and higher-level deputies living in the county.
    training = activity(
        county,
        [g["K"], g["C"], g["N"]],
        kind="TRAINING",
        title="履职学习班",
        startDate="2024-09-02",
        endDate="2024-09-04",
        regionCode=SHUANGLIU,
    )
    trained = (await mutate(admin, RECORD_ACTIVITY, training))["activity"]
    assert by_level(trained["participantCountByLevel"]) == [1, 1, 0, 1, 0]
    assert {p["id"] for p in trained["participants"]} == {gid("Deputy", g[k]) for k in "KCN"}

    q = """query($code: String, $kinds: [ActivityKind!], $from: Date, $to: Date) {
      activities(regionCode: $code, kinds: $kinds, from: $from, to: $to) {
        totalCount nodes { id kind } } }"""
    for args, found in (
        ({"code": KAIYANG}, [trained["id"], inspection["id"]]),
        ({"code": SHUANGLIU}, [trained["id"]]),
        ({"code": KAIYANG, "kinds": ["TRAINING"]}, [trained["id"]]),
        ({"code": KAIYANG, "from": "2024-05-11"}, [trained["id"]]),
        ({"code": KAIYANG, "to": "2024-05-10"}, [inspection["id"]]),
        ({"code": XIUWEN}, []),
    ):
        data = (await admin.data(q, args))["activities"]
        assert [n["id"] for n in data["nodes"]] == found, args
        assert data["totalCount"] == len(found)
    q = """query($id: ID!) { node(id: $id) { ... on Deputy { activities {
        nodes { id organizer { id } } } } } }"""
    nodes = (await admin.data(q, {"id": gid("Deputy", g["N"])}))["node"]["activities"]["nodes"]
    assert [n["id"] for n in nodes] == [trained["id"], inspection["id"]]
    assert nodes[0]["organizer"] == {"id": gid("Congress", county)}


async def test_group_activities_name_a_group_of_the_organiser(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    county = (await congress_of(connection, KAIYANG))["id"]
    group = await insert_row(
        connection,
        "deputy_groups",
        name="开阳县人大代表双流镇小组",
        kind="REGIONAL",
        congress_id=county,
        region_code=SHUANGLIU,
    )
    meeting = activity(county, [g["K"]], kind="GROUP_ACTIVITY", title="小组活动")
    await assert_refused(admin, connection, RECORD_ACTIVITY, meeting, "INVALID_VALUE", ["groupId"])
    elsewhere = activity(
        g["congress"], [g["A"]], kind="GROUP_ACTIVITY", groupId=gid("DeputyGroup", group)
    )
    await assert_refused(
        admin, connection, RECORD_ACTIVITY, elsewhere, "WRONG_CONGRESS", ["groupId"]
    )
    done = await mutate(admin, RECORD_ACTIVITY, {**meeting, "groupId": gid("DeputyGroup", group)})
    assert done["activity"]["group"] == {"id": gid("DeputyGroup", group)}


async def test_participants_are_eligible_deputies_and_refusals_change_nothing(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    hubei = await insert_deputy(connection, "湖北国代", "420502")
    await insert_mandate(connection, hubei, "100000")
    province, county = g["congress"], (await congress_of(connection, KAIYANG))["id"]
    cases: list[tuple[dict[str, Any], str, list[str] | None]] = [
        # A national deputy living in another province; a county deputy at a provincial activity.
        (activity(province, [g["A"], hubei]), "NOT_ELIGIBLE", ["participantIds", "1"]),
        (activity(province, [g["K"]]), "NOT_ELIGIBLE", ["participantIds", "0"]),
        # Suspended since 2024-03-01.
        (activity(province, [g["S"]]), "NOT_ELIGIBLE", ["participantIds", "0"]),
        (activity(province, [g["A"], g["A"]]), "DUPLICATE_PARTICIPANT", ["participantIds", "1"]),
        (activity(province, []), "INVALID_VALUE", ["participantIds"]),
        (activity(county, [g["K"]], regionCode=XIUWEN), "LOCALITY_OUTSIDE_REGION", ["regionCode"]),
        (activity(province, [g["A"]], endDate="2024-05-09"), "INVALID_VALUE", ["endDate"]),
        (
            activity(province, [g["A"]], startDate="2999-01-01", endDate="2999-01-02"),
            "INVALID_VALUE",
            ["startDate"],
        ),
        (activity(province, [g["A"]], title=" "), "INVALID_VALUE", ["title"]),
        (activity(province, [g["A"]], regionCode="999999"), "NOT_FOUND", ["regionCode"]),
    ]
    for input, code, field in cases:
        await assert_refused(admin, connection, RECORD_ACTIVITY, input, code, field)
    before = activity(province, [g["S"]], startDate="2024-02-01", endDate="2024-02-01")
    assert (await mutate(admin, RECORD_ACTIVITY, before))["activity"]["participants"]


async def test_an_editor_records_activities_of_their_region_only(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    body = await client.as_role("editor", "220000").post(
        RECORD_ACTIVITY, {"input": activity(g["congress"], [g["A"]])}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    done = await mutate(
        client.as_role("editor", GUIZHOU), RECORD_ACTIVITY, activity(g["congress"], [g["A"]])
    )
    assert done["activity"]["kind"] == "INSPECTION"


# ------------------------------------------------------------------------------ the report

# (kind, first day, region, participant levels): built straight into the tables.
BUILT = [
    ("INSPECTION", date(2024, 5, 10), KAIYANG, ["NATIONAL", "PROVINCIAL", "PROVINCIAL"]),
    (
        "TRAINING",
        date(2024, 9, 2),
        SHUANGLIU,
        ["NATIONAL", "PROVINCIAL", "COUNTY", "COUNTY", "TOWNSHIP"],
    ),
    ("SURVEY", date(2024, 11, 30), XIUWEN, ["PREFECTURAL", "COUNTY"]),
    ("INSPECTION", date(2023, 12, 31), KAIYANG, ["COUNTY"]),
    ("DUTY_REPORT", date(2025, 1, 1), SHUANGLIU, ["TOWNSHIP"]),
    # Outside Guizhou: never counted below.
    ("INSPECTION", date(2024, 6, 1), "420502", ["NATIONAL", "PROVINCIAL"]),
]


async def build(connection: AsyncConnection) -> None:
    organiser = (await congress_of(connection, GUIYANG))["id"]
    for n, (kind, day, region, levels) in enumerate(BUILT):
        activity_id = await insert_row(
            connection,
            "activities",
            kind=kind,
            title=f"活动{n}",
            start_date=day,
            end_date=day,
            organizer_congress_id=organiser,
            region_code=region,
        )
        for i, level in enumerate(levels):
            deputy = await insert_deputy(connection, f"参加者{n}{i}", SHUANGLIU)
            code = {
                "NATIONAL": "100000",
                "PROVINCIAL": GUIZHOU,
                "PREFECTURAL": GUIYANG,
                "COUNTY": KAIYANG,
                "TOWNSHIP": SHUANGLIU,
            }[level]
            mandate = await insert_mandate(connection, deputy, code)
            await link(
                connection,
                "activity_participants",
                activity_id=activity_id,
                deputy_id=deputy,
                mandate_id=mandate,
                level=level,
            )


CASES = [
    (GUIZHOU, date(2023, 1, 1), date(2025, 12, 31), None),
    (KAIYANG, date(2024, 1, 1), date(2024, 12, 31), None),
    (
        GUIYANG,
        date(2024, 1, 1),
        date(2024, 12, 31),
        {"INSPECTION", "SURVEY", "LAW_ENFORCEMENT_CHECK"},
    ),
    (SHUANGLIU, date(2024, 9, 2), date(2024, 9, 2), {"TRAINING"}),
    (XIUWEN, date(2024, 1, 1), date(2024, 11, 29), None),
]


def expected(code: str, start: date, end: date, kinds: set[str] | None) -> list[int]:
    """Person-times by level, counted in Python: the activity's region lies in the subtree."""
    inside = {
        GUIZHOU: {KAIYANG, SHUANGLIU, XIUWEN},
        GUIYANG: {KAIYANG, SHUANGLIU, XIUWEN},
        KAIYANG: {KAIYANG, SHUANGLIU},
        SHUANGLIU: {SHUANGLIU},
        XIUWEN: {XIUWEN},
    }[code]
    counts = dict.fromkeys(LEVELS, 0)
    for kind, day, region, levels in BUILT:
        if region in inside and start <= day <= end and (kinds is None or kind in kinds):
            for level in levels:
                counts[level] += 1
    return list(counts.values())


async def test_participation_report_against_hand_built_data(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    await build(connection)
    year = {"from": "2024-01-01", "to": "2024-12-31"}
    rows = (await admin.data(PARTICIPATION, {"code": GUIZHOU, **year}))["reports"]
    assert by_level(rows["activityParticipation"]) == [2, 3, 1, 3, 1]
    for code, start, end, kinds in CASES:
        variables = {
            "code": code,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "kinds": sorted(kinds) if kinds else None,
        }
        rows = (await admin.data(PARTICIPATION, variables))["reports"]["activityParticipation"]
        assert by_level(rows) == expected(code, start, end, kinds), variables
    missing = await admin.post(PARTICIPATION, {"code": "999999", **year})
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_participation_statement_directly(connection: AsyncConnection) -> None:
    await build(connection)
    db = RequestDatabase(connection=connection)
    for code, start, end, kinds in CASES:
        chosen = tuple(ActivityKind[k] for k in sorted(kinds)) if kinds else None
        pairs = await figures.participation(db, code, start, end, chosen)
        assert [level.name for level, _ in pairs] == LEVELS
        assert [n for _, n in pairs] == expected(code, start, end, kinds)


async def test_record_activity_directly(connection: AsyncConnection) -> None:
    """The write function itself: levels of the mandates taken, and a refusal."""
    g = await guizhou(connection)
    spec = writes.ActivitySpec(
        kind=ActivityKind.SURVEY,
        title="调研",
        start_date=date(2024, 5, 10),
        end_date=date(2024, 5, 10),
        organizer_congress_id=gid("Congress", g["congress"]),
        region_code=KAIYANG,
        participant_ids=(gid("Deputy", g["N"]), gid("Deputy", g["A"])),
    )
    key = await writes.record_activity(connection, ACTOR, spec)
    levels = dict(
        (
            await connection.execute(
                text(
                    "SELECT deputy_id, level::text FROM activity_participants WHERE activity_id = :a"
                ),
                {"a": key},
            )
        ).all()
    )
    assert levels == {g["N"]: "NATIONAL", g["A"]: "PROVINCIAL"}
    with pytest.raises(Invalid) as caught:
        await writes.record_activity(
            connection, ACTOR, replace(spec, participant_ids=(gid("Deputy", g["K"]),))
        )
    assert [p.code for p in caught.value.problems] == ["NOT_ELIGIBLE"]


async def test_participation_csv(http: Any, connection: AsyncConnection) -> None:
    await build(connection)
    params = {
        "regionCode": GUIZHOU,
        "from": "2024-01-01",
        "to": "2024-12-31",
        "kinds": "training,inspection",
    }
    response = await http.get("/reports/activity-participation.csv", params=params)
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines == [
        "level,person_times",
        "NATIONAL,2",
        "PROVINCIAL,3",
        "PREFECTURAL,0",
        "COUNTY,2",
        "TOWNSHIP,1",
    ]
    bad = await http.get(
        "/reports/activity-participation.csv", params={**params, "kinds": "picnic"}
    )
    assert bad.status_code == 400


# -------------------------------------------------------------------------- on the seed


def held(m: str, strict: bool) -> str:
    """Mandate `m` makes its deputy eligible for activity `a` of congress `c` on its first day
    (the end date itself counting only when not strict, as the generator reads it)."""
    until = f"a.start_date < {m}.end_date" if strict else f"a.start_date <= {m}.end_date"
    return f"""({m}.start_date <= a.start_date AND ({m}.end_date IS NULL OR {until})
        AND NOT ({m}.suspended_from IS NOT NULL AND {m}.suspended_from <= a.start_date
                 AND ({m}.suspended_until IS NULL OR a.start_date <= {m}.suspended_until))
        AND ({m}.congress_id = c.id OR ({m}.level < c.level AND EXISTS (
             SELECT 1 FROM deputies d JOIN regions l ON l.code = d.locality_code
             WHERE d.id = {m}.deputy_id AND c.region_code = ANY(l.lineage)))))"""


async def test_seeded_participants_are_eligible_at_their_highest_level(
    connection: AsyncConnection,
) -> None:
    broken = await connection.scalar(
        text(f"""
        SELECT count(*) FROM activity_participants p JOIN activities a ON a.id = p.activity_id
        JOIN congresses c ON c.id = a.organizer_congress_id JOIN mandates m ON m.id = p.mandate_id
        WHERE m.deputy_id <> p.deputy_id OR m.level <> p.level OR NOT {held("m", strict=False)}
           OR EXISTS (SELECT 1 FROM mandates h WHERE h.deputy_id = p.deputy_id
                      AND h.level < p.level AND {held("h", strict=True)})""")
    )
    assert broken == 0
    outside = await connection.scalar(
        text("""
        SELECT count(*) FROM activities a JOIN congresses c ON c.id = a.organizer_congress_id
        JOIN regions r ON r.code = a.region_code LEFT JOIN deputy_groups g ON g.id = a.group_id
        WHERE NOT (c.region_code = ANY(r.lineage)) OR g.congress_id <> c.id
           OR (a.kind = 'GROUP_ACTIVITY') <> (a.group_id IS NOT NULL)""")
    )
    assert outside == 0
    kinds = set(await connection.scalars(text("SELECT DISTINCT kind::text FROM activities")))
    assert kinds >= {"INSPECTION", "SURVEY", "TRAINING", "GROUP_ACTIVITY", "DUTY_REPORT"}


async def test_seeded_participation_matches_a_second_formulation(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    for code in ("220000", "220400", "420500"):
        found = dict(
            (
                await connection.execute(
                    text("""
            SELECT p.level::text, count(*) FROM activity_participants p
            JOIN activities a ON a.id = p.activity_id JOIN regions r ON r.code = a.region_code
            WHERE :code = ANY(r.lineage) AND a.start_date BETWEEN '2025-01-01' AND '2025-12-31'
            GROUP BY 1"""),
                    {"code": code},
                )
            ).all()
        )
        variables = {"code": code, "from": "2025-01-01", "to": "2025-12-31"}
        rows = (await admin.data(PARTICIPATION, variables))["reports"]["activityParticipation"]
        assert by_level(rows) == [found.get(level, 0) for level in LEVELS]
        assert sum(found.values()) > 0
