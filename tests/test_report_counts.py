"""The running totals behind the reports stay equal to a full recount after every kind of
write, and under-40 is right to the day in the boundary year."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.conftest import GraphQLClient
from tests.factories import insert_deputy, insert_mandate
from tests.test_reports import COMPOSITION, by_level

TOTALS = """
SELECT scope, region_code, level::text, birth_year, deputies, female, grassroots, minority,
       in_station
FROM report_counts WHERE deputies <> 0 OR in_station <> 0
"""


async def totals(connection: AsyncConnection) -> set[tuple]:
    return {tuple(row) for row in await connection.execute(text(TOTALS))}


async def recounted(connection: AsyncConnection) -> set[tuple]:
    """The totals a full rebuild gives, without keeping the rebuild."""
    savepoint = await connection.begin_nested()
    await connection.execute(text("SELECT registry_rebuild_report_counts()"))
    rows = await totals(connection)
    await savepoint.rollback()
    return rows


async def seeded_deputies(connection: AsyncConnection, code: str, n: int) -> list[int]:
    rows = await connection.execute(
        text(
            "SELECT DISTINCT m.deputy_id FROM mandates m JOIN congresses c ON c.id = m.congress_id "
            "WHERE c.region_code = :code AND m.status = 'ACTIVE' ORDER BY 1 LIMIT :n"
        ),
        {"code": code, "n": n},
    )
    return [r[0] for r in rows]


async def test_every_kind_of_write_keeps_the_totals_equal_to_a_recount(
    connection: AsyncConnection,
) -> None:
    c = connection
    assert await totals(c) == await recounted(c)
    before = await totals(c)

    # New deputies with mandates at two levels, one of them later deleted.
    fresh = await insert_deputy(c, "新代表", "220402100", gender="FEMALE", birth_year=1992)
    await insert_mandate(c, fresh, "220402")
    doomed = await insert_mandate(c, fresh, "220402100")
    # A bulk suspension and a bulk termination in one province (one statement each).
    county = await seeded_deputies(c, "220422", 30)
    await c.execute(
        text(
            "UPDATE mandates SET status = 'SUSPENDED', suspended_from = start_date + 10 "
            "WHERE deputy_id = ANY(:ids) AND status = 'ACTIVE'"
        ),
        {"ids": county[:15]},
    )
    await c.execute(
        text(
            "UPDATE mandates SET status = 'TERMINATED', end_date = start_date + 20, "
            "end_reason = 'RESIGNED' WHERE deputy_id = ANY(:ids) AND status = 'ACTIVE'"
        ),
        {"ids": county[15:]},
    )
    # Updates that change nothing counted, and one that moves a mandate to another person.
    await c.execute(
        text("UPDATE mandates SET version = version + 1 WHERE deputy_id = ANY(:ids)"),
        {"ids": county},
    )
    others = await seeded_deputies(c, "220400", 40)
    await c.execute(
        text("UPDATE mandates SET deputy_id = :to WHERE id = :id"), {"to": others[0], "id": doomed}
    )
    # Deputies who move, change their recorded details, or both.
    await c.execute(
        text(
            "UPDATE deputies SET gender = CASE gender WHEN 'MALE' THEN CAST('FEMALE' AS gender) "
            "ELSE CAST('MALE' AS gender) END, is_grassroots = NOT is_grassroots, "
            "ethnicity = '蒙古族', birth_year = 1999, birth_date = NULL "
            "WHERE id = ANY(:ids)"
        ),
        {"ids": others[1:10]},
    )
    await c.execute(
        text("UPDATE deputies SET locality_code = '220102' WHERE id = ANY(:ids)"),
        {"ids": others[10:20]},
    )
    await c.execute(
        text("UPDATE deputies SET updated_at = now() WHERE id = ANY(:ids)"), {"ids": others}
    )
    # Station assignments given and taken away.
    station = (await c.execute(text("SELECT min(id) FROM stations"))).scalar_one()
    await c.execute(
        text(
            "INSERT INTO station_assignments SELECT :s, d, current_date FROM unnest(CAST(:ids AS int[])) d "
            "ON CONFLICT DO NOTHING"
        ),
        {"s": station, "ids": [*others[20:30], fresh]},
    )
    await c.execute(
        text("DELETE FROM station_assignments WHERE deputy_id = ANY(:ids)"), {"ids": others[25:40]}
    )
    await c.execute(text("DELETE FROM mandates WHERE id = :id"), {"id": doomed})

    after = await totals(c)
    assert after != before
    assert after == await recounted(c)


async def test_under_40_is_decided_by_the_day_in_the_boundary_year(
    client: GraphQLClient, connection: AsyncConnection
) -> None:
    """Two deputies born in the year 40 years ago, one a day after this date's anniversary
    (under 40) and one on it (40 today), plus one born the year after. To the day for a
    caller who may see birth dates (an admin); by the year for others (issue 17, point 2)."""
    c = connection
    cutoff = (
        await c.execute(text("SELECT CAST(current_date - interval '40 years' AS date)"))
    ).scalar_one()
    births = [cutoff + timedelta(days=1), cutoff, date(cutoff.year + 1, 1, 1)]
    code = "520122"  # 息烽县, left empty by the seed
    for i, born in enumerate(births):
        deputy = await insert_deputy(c, f"边界{i}", "520122100", birth_year=born.year)
        await c.execute(
            text("UPDATE deputies SET birth_date = :born WHERE id = :id"),
            {"born": born, "id": deputy},
        )
        await insert_mandate(c, deputy, code)
    variables = {"code": code, "scope": "CONGRESSES"}
    rows = (await client.as_role("admin").data(COMPOSITION, variables))["reports"]["composition"]
    assert by_level(rows, "deputies") == [0, 0, 0, 3, 0]
    assert by_level(rows, "under40") == [0, 0, 0, 2, 0]
    anonymous = (await client.data(COMPOSITION, variables))["reports"]["composition"]
    assert by_level(anonymous, "under40") == [0, 0, 0, 1, 0]


# Every deputy once per region above each place they count in: no shortcut.
SPREAD_OUT = """
WITH places AS (
    SELECT 'CONGRESSES' AS scope, m.deputy_id, l.level, c.region_code AS code
    FROM mandates m JOIN congresses c ON c.id = m.congress_id
    CROSS JOIN LATERAL (VALUES (m.level), (NULL::level)) AS l(level)
    WHERE m.status = 'ACTIVE'
    UNION
    SELECT 'LOCALITY', m.deputy_id, m.level, d.locality_code
    FROM mandates m JOIN deputies d ON d.id = m.deputy_id WHERE m.status = 'ACTIVE'
),
counted AS (
    SELECT DISTINCT p.scope, a.code, p.level, p.deputy_id
    FROM places p JOIN regions r ON r.code = p.code CROSS JOIN unnest(r.lineage) AS a(code)
)
SELECT c.scope, c.code, c.level::text,
       CASE WHEN d.birth_year > 1980 THEN d.birth_year ELSE 0 END, count(*),
       count(*) FILTER (WHERE d.gender = 'FEMALE'), count(*) FILTER (WHERE d.is_grassroots),
       count(*) FILTER (WHERE d.ethnicity <> '汉族'),
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM station_assignments s
                                      WHERE s.deputy_id = d.id))
FROM counted c JOIN deputies d ON d.id = c.deputy_id
GROUP BY 1, 2, 3, 4
"""


async def test_the_full_recount_spreads_every_deputy_over_every_ancestor(
    connection: AsyncConnection,
) -> None:
    """The rebuild (which counts single-place deputies at their region first) against
    spreading each deputy over every ancestor, with deputies in two congresses of one
    level and a deputy moved away added to the seed."""
    c = connection
    twice = await insert_deputy(c, "两地代表", "220422100")
    await insert_mandate(c, twice, "220422100")
    await insert_mandate(c, twice, "220402100")
    await insert_mandate(c, twice, "220400")
    expected = {tuple(r) for r in await c.execute(text(SPREAD_OUT))}
    assert expected
    assert await recounted(c) == expected
