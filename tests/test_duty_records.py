"""Deputy.dutyRecord: every figure of a deputy's year counted from the facts, checked against
hand-built data and, on the seed, against the raw rows counted in Python."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.context import Context
from db.session import RequestDatabase
from resolvers.duty_records import DutyRecordLoader
from tests.conftest import GraphQLClient
from tests.duty import GUIZHOU, SHUANGLIU, gid, guizhou, link
from tests.factories import committee_of, insert_row

FIGURES = (
    "meetingsAttended receptions contactsLogged activities trainings suggestionsLed "
    "suggestionsCosigned"
)
RECORD = f"""query($id: ID!, $year: Int!) {{ node(id: $id) {{ ... on Deputy {{
  dutyRecord(year: $year) {{ year {FIGURES} }} }} }} }}"""


async def _meeting(conn: AsyncConnection, committee: int, number: int, day: date) -> int:
    return await insert_row(
        conn,
        "meetings",
        committee_id=committee,
        number=number,
        title="会议",
        start_date=day,
        end_date=day,
    )


async def build(conn: AsyncConnection, g: dict[str, Any]) -> None:
    """Deputy A's deeds in 2023, 2024 and 2025 (B shares some of them)."""
    a, b = g["A"], g["B"]
    mandate = (
        await conn.execute(text("SELECT id FROM mandates WHERE deputy_id = :d"), {"d": a})
    ).scalar_one()
    committee = await committee_of(conn, "520100")
    for number, day in (
        (801, date(2024, 1, 3)),
        (802, date(2024, 12, 31)),
        (800, date(2023, 12, 31)),
    ):
        meeting = await _meeting(conn, committee, number, day)
        await insert_row(
            conn,
            "attendances",
            meeting_id=meeting,
            deputy_id=a,
            mandate_id=mandate,
            level="PROVINCIAL",
            spoke=False,
        )
    station = await insert_row(
        conn, "stations", name="联络站", kind="STATION", region_code=SHUANGLIU
    )
    for day in (date(2024, 3, 15), date(2024, 4, 15), date(2024, 5, 15), date(2025, 1, 15)):
        reception = await insert_row(
            conn,
            "receptions",
            station_id=station,
            date=day,
            visitors=5,
            opinions_collected=1,
            problems_resolved=0,
        )
        await link(conn, "reception_deputies", reception_id=reception, deputy_id=a)
    standing = g["standing"]
    # A is kept in touch with by V (two logs in 2024), and keeps in touch with B as a member.
    kept = await insert_row(
        conn,
        "contact_assignments",
        contactor_id=g["V"],
        committee_id=standing,
        deputy_id=a,
        start_date=date(2023, 6, 1),
    )
    keeps = await insert_row(
        conn,
        "contact_assignments",
        contactor_id=a,
        committee_id=standing,
        deputy_id=b,
        start_date=date(2023, 6, 1),
    )
    for assignment, day in (
        (kept, date(2024, 2, 1)),
        (kept, date(2024, 8, 1)),
        (keeps, date(2024, 9, 9)),
        (keeps, date(2023, 9, 9)),
    ):
        await insert_row(
            conn,
            "contact_logs",
            assignment_id=assignment,
            date=day,
            channel="PHONE",
            summary="电话联系",
        )
    for kind, day in (
        ("INSPECTION", date(2024, 5, 10)),
        ("SURVEY", date(2024, 12, 31)),
        ("TRAINING", date(2024, 9, 2)),
        ("TRAINING", date(2025, 3, 1)),
        ("INSPECTION", date(2023, 12, 30)),
    ):
        activity = await insert_row(
            conn,
            "activities",
            kind=kind,
            title="活动",
            start_date=day,
            end_date=day,
            organizer_congress_id=g["congress"],
            region_code=GUIZHOU,
        )
        await link(
            conn,
            "activity_participants",
            activity_id=activity,
            deputy_id=a,
            mandate_id=mandate,
            level="PROVINCIAL",
        )
    for n, (lead, cosigner, day) in enumerate(
        (
            (a, b, date(2024, 1, 20)),
            (a, None, date(2024, 6, 1)),
            (a, b, date(2023, 1, 20)),
            (b, a, date(2024, 2, 2)),
            (b, a, date(2025, 1, 20)),
        )
    ):
        suggestion = await insert_row(
            conn,
            "suggestions",
            congress_id=g["congress"],
            term_id=g["term"],
            number=f"{n + 1:04d}",
            title="建议",
            category_id=g["categories"]["01.01"],
            submitted_on=day,
            during_session=True,
            lead_id=lead,
        )
        if cosigner is not None:
            await link(conn, "suggestion_cosigners", suggestion_id=suggestion, deputy_id=cosigner)


EXPECTED = {
    2024: {
        "meetingsAttended": 2,
        "receptions": 3,
        "contactsLogged": 3,
        "activities": 2,
        "trainings": 1,
        "suggestionsLed": 2,
        "suggestionsCosigned": 1,
    },
    2023: {
        "meetingsAttended": 1,
        "receptions": 0,
        "contactsLogged": 1,
        "activities": 1,
        "trainings": 0,
        "suggestionsLed": 1,
        "suggestionsCosigned": 0,
    },
    2025: {
        "meetingsAttended": 0,
        "receptions": 1,
        "contactsLogged": 0,
        "activities": 0,
        "trainings": 1,
        "suggestionsLed": 0,
        "suggestionsCosigned": 1,
    },
}


async def test_duty_record_against_hand_built_data(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    g = await guizhou(connection)
    await build(connection, g)
    for year, figures in EXPECTED.items():
        data = await client.data(RECORD, {"id": gid("Deputy", g["A"]), "year": year})
        assert data["node"]["dutyRecord"] == {"year": year, **figures}
    nothing = await client.data(RECORD, {"id": gid("Deputy", g["K"]), "year": 2024})
    assert set(nothing["node"]["dutyRecord"].values()) == {2024, 0}
    wrong = await client.post(RECORD, {"id": gid("Deputy", g["A"]), "year": 20240})
    assert wrong["errors"][0]["extensions"]["code"] == "INVALID_VALUE"


async def test_duty_record_statement_directly(settings: Any, connection: AsyncConnection) -> None:
    """The loader's one statement, for several deputies and years in one batch."""
    g = await guizhou(connection)
    await build(connection, g)
    context = Context(settings, RequestDatabase(connection=connection))
    loader = context.loader(DutyRecordLoader)
    found = await loader.load_many([(g["A"], 2024), (g["A"], 2023), (g["B"], 2024)])
    assert [f.suggestions_led for f in found] == [2, 1, 1]
    assert (found[0].meetings_attended, found[0].contacts_logged, found[0].trainings) == (2, 3, 1)
    # B: one contact log as the deputy kept in touch with, one suggestion co-signed.
    assert (found[2].contacts_logged, found[2].suggestions_cosigned) == (1, 1)


SEEDED = {
    "meetingsAttended": """SELECT a.deputy_id, m.start_date FROM attendances a
                           JOIN meetings m ON m.id = a.meeting_id""",
    "receptions": """SELECT rd.deputy_id, r.date FROM reception_deputies rd
                     JOIN receptions r ON r.id = rd.reception_id""",
    "contactsLogged": """SELECT ca.deputy_id, l.date FROM contact_logs l
                         JOIN contact_assignments ca ON ca.id = l.assignment_id
                         UNION ALL
                         SELECT ca.contactor_id, l.date FROM contact_logs l
                         JOIN contact_assignments ca ON ca.id = l.assignment_id""",
    "activities": """SELECT p.deputy_id, a.start_date FROM activity_participants p
                     JOIN activities a ON a.id = p.activity_id WHERE a.kind <> 'TRAINING'""",
    "trainings": """SELECT p.deputy_id, a.start_date FROM activity_participants p
                    JOIN activities a ON a.id = p.activity_id WHERE a.kind = 'TRAINING'""",
    "suggestionsLed": "SELECT lead_id, submitted_on FROM suggestions",
    "suggestionsCosigned": """SELECT c.deputy_id, s.submitted_on FROM suggestion_cosigners c
                              JOIN suggestions s ON s.id = c.suggestion_id""",
}


async def test_seeded_duty_records_match_the_rows_counted_in_python(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    # Deputies with something of every kind in 2025, and a few with little.
    busy = list(
        await connection.scalars(
            text("""
        SELECT p.deputy_id FROM activity_participants p
        WHERE EXISTS (SELECT 1 FROM suggestions s WHERE s.lead_id = p.deputy_id)
          AND EXISTS (SELECT 1 FROM reception_deputies r WHERE r.deputy_id = p.deputy_id)
        GROUP BY 1 ORDER BY 1 LIMIT 40""")
        )
    )
    quiet = list(
        await connection.scalars(text("SELECT id FROM deputies ORDER BY id DESC LIMIT 10"))
    )
    deputies = busy + quiet
    assert len(busy) >= 20
    counted: dict[str, dict[int, int]] = {}
    for field, sql in SEEDED.items():
        rows = await connection.execute(text(sql))
        per: dict[int, int] = {}
        for deputy, day in rows:
            if day.year == 2025:
                per[deputy] = per.get(deputy, 0) + 1
        counted[field] = per
    q = f"""query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Deputy {{
        dutyRecord(year: 2025) {{ {FIGURES} }} }} }} }}"""
    data, statements = await client.count_statements(
        q, {"ids": [gid("Deputy", d) for d in deputies]}
    )
    for deputy, node in zip(deputies, data["nodes"], strict=True):
        assert node["dutyRecord"] == {f: counted[f].get(deputy, 0) for f in SEEDED}, deputy
    # One statement for the deputies, one for all fifty records.
    assert statements <= 3
