"""The change feed (issue 9): `updatedSince` on the deputies, stations and groups lists, with
removals visible as ended mandates, and the stamps kept by the database's triggers.

Each test runs in one transaction, so `now()` is the same for every write in it: the time
the test starts is a sync point after everything the seed wrote, and every change the test
makes carries exactly that stamp.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.context import Context
from core.settings import Settings
from db.session import RequestDatabase
from resolvers import changes
from resolvers.deputies import DeputyOrder, DeputySpec
from resolvers.ids import encode_id
from resolvers.pagination import PageArgs
from schema import build_schema
from tests.conftest import GraphQLClient
from tests.mutations import ASSIGN_STATION, END_MANDATE, mutate

INTEGRATED = "updatedSince" in build_schema()._schema.query_type.fields["deputies"].args  # type: ignore[union-attr]
needs_api = pytest.mark.skipif(
    not INTEGRATED, reason="the updatedSince arguments are not wired into the schema yet"
)

FEED = """
query($since: DateTime!, $after: String, $status: MandateStatus) {
  deputies(updatedSince: $since, first: 2, after: $after, filter: {status: $status}) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id name updatedAt mandates { id status endDate endReason } } }
  stations(updatedSince: $since) { totalCount nodes { id updatedAt deputies { nodes { id } } } }
  groups(updatedSince: $since) { totalCount nodes { id updatedAt members { deputy { id } } } }
}
"""


async def sync_point(conn: AsyncConnection) -> datetime:
    return (await conn.execute(text("SELECT now()"))).scalar_one()


async def one(conn: AsyncConnection, sql: str) -> Any:
    return (await conn.execute(text(sql))).one()


async def make_changes(admin: GraphQLClient, conn: AsyncConnection) -> dict[str, int]:
    """A mandate ended (the deputy's only one), a deputy stationed, a group member added by
    hand-written SQL, and a phone number changed: through the API and around it."""
    ended = await one(
        conn,
        """SELECT m.id, m.deputy_id FROM mandates m WHERE m.status = 'ACTIVE'
           AND (SELECT count(*) FROM mandates x WHERE x.deputy_id = m.deputy_id) = 1
           ORDER BY m.id LIMIT 1""",
    )
    await mutate(
        admin,
        END_MANDATE,
        {
            "mandateId": encode_id("Mandate", ended.id),
            "endDate": "2024-06-30",
            "reason": "RESIGNED",
        },
    )
    station = await one(
        conn,
        """SELECT s.id AS station, d.id AS deputy FROM stations s
           JOIN regions r ON r.code = s.region_code
           JOIN regions area ON area.lineage @> ARRAY[CASE WHEN r.level = 'TOWNSHIP'
                                                           THEN r.parent_code ELSE r.code END]
           JOIN deputies d ON d.locality_code = area.code
           WHERE EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = d.id AND m.status = 'ACTIVE')
             AND NOT EXISTS (SELECT 1 FROM station_assignments a
                             WHERE a.station_id = s.id AND a.deputy_id = d.id)
             AND d.id <> :ended
           ORDER BY s.id, d.id LIMIT 1""".replace(":ended", str(ended.deputy_id)),
    )
    await mutate(
        admin,
        ASSIGN_STATION,
        {
            "stationId": encode_id("Station", station.station),
            "deputyIds": [encode_id("Deputy", station.deputy)],
        },
    )
    member = await one(
        conn,
        f"""SELECT g.id AS grp, d.id AS deputy FROM deputy_groups g CROSS JOIN deputies d
            WHERE NOT EXISTS (SELECT 1 FROM group_memberships x WHERE x.group_id = g.id AND x.deputy_id = d.id)
              AND EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = d.id AND m.status = 'ACTIVE')
              AND d.id NOT IN ({ended.deputy_id}, {station.deputy})
            ORDER BY g.id, d.id LIMIT 1""",
    )
    await conn.execute(
        text("INSERT INTO group_memberships VALUES (:g, :d, 'MEMBER', '2024-07-01')"),
        {"g": member.grp, "d": member.deputy},
    )
    phoned = await one(
        conn,
        f"""SELECT id FROM deputies d WHERE id NOT IN ({ended.deputy_id}, {station.deputy}, {member.deputy})
              AND EXISTS (SELECT 1 FROM mandates m WHERE m.deputy_id = d.id AND m.status = 'ACTIVE')
            ORDER BY id DESC LIMIT 1""",
    )
    await conn.execute(
        text("UPDATE deputies SET phone = '13912345678' WHERE id = :id"), {"id": phoned.id}
    )
    # An UPDATE that changes nothing is no change.
    await conn.execute(text("UPDATE deputies SET phone = phone WHERE id = 1"))
    return {
        "ended": ended.deputy_id,
        "mandate": ended.id,
        "stationed": station.deputy,
        "station": station.station,
        "member": member.deputy,
        "group": member.grp,
        "phoned": phoned.id,
    }


async def test_the_database_keeps_the_stamps(
    admin: GraphQLClient, connection: AsyncConnection, settings: Settings
) -> None:
    since = await sync_point(connection)
    context = Context(settings, RequestDatabase(connection=connection))
    args = PageArgs(first=100, after=None, with_count=True)
    assert (
        await changes.search_deputies(context, DeputySpec(), DeputyOrder(), args, since, True)
    ).total == 0
    made = await make_changes(admin, connection)
    page = await changes.search_deputies(context, DeputySpec(), DeputyOrder(), args, since, True)
    assert {r.id for r in page.rows} == {
        made["ended"],
        made["stationed"],
        made["member"],
        made["phoned"],
    }
    # Without updatedSince's "every status", a deputy whose only mandate ended drops out.
    page = await changes.search_deputies(context, DeputySpec(), DeputyOrder(), args, since, False)
    assert made["ended"] not in {r.id for r in page.rows}
    stations = await changes.search_stations(context, None, None, None, args, since)
    assert [r.id for r in stations.rows] == [made["station"]]
    groups = await changes.search_groups(context, None, None, args, since)
    assert [r.id for r in groups.rows] == [made["group"]]
    # Nothing changed since a later point.
    later = since.replace(year=since.year + 1)
    assert (await changes.search_stations(context, None, None, None, args, later)).total == 0


@needs_api
async def test_incremental_sync_sees_changes_and_removals(
    admin: GraphQLClient, connection: AsyncConnection
) -> None:
    since = (await sync_point(connection)).isoformat()
    first = await admin.data(FEED, {"since": since})
    assert [first[k]["totalCount"] for k in ("deputies", "stations", "groups")] == [0, 0, 0]
    made = await make_changes(admin, connection)

    # The client pages through what changed, two at a time.
    seen: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        data = await admin.data(FEED, {"since": since, "after": after})
        seen.update({n["id"]: n for n in data["deputies"]["nodes"]})
        if not data["deputies"]["pageInfo"]["hasNextPage"]:
            break
        after = data["deputies"]["pageInfo"]["endCursor"]
    assert data["deputies"]["totalCount"] == 4
    expected = {encode_id("Deputy", made[k]) for k in ("ended", "stationed", "member", "phoned")}
    assert set(seen) == expected
    # The removal: the mandate stays, ended, with its date and reason.
    (mandate,) = seen[encode_id("Deputy", made["ended"])]["mandates"]
    assert mandate == {
        "id": encode_id("Mandate", made["mandate"]),
        "status": "TERMINATED",
        "endDate": "2024-06-30",
        "endReason": "RESIGNED",
    }
    (station,) = data["stations"]["nodes"]
    assert station["id"] == encode_id("Station", made["station"])
    assert encode_id("Deputy", made["stationed"]) in {d["id"] for d in station["deputies"]["nodes"]}
    (group,) = data["groups"]["nodes"]
    assert group["id"] == encode_id("DeputyGroup", made["group"])
    assert {"deputy": {"id": encode_id("Deputy", made["member"])}} in group["members"]
    assert all(n["updatedAt"] >= since for n in [*seen.values(), station, group])

    # A status the client names is honoured: only deputies with an active mandate.
    active = await admin.data(FEED, {"since": since, "status": "ACTIVE"})
    assert active["deputies"]["totalCount"] == 3
