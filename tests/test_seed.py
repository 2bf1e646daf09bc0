"""The generated data keeps every rule of DESIGN.md, like data written through the API."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from seed.checks import check_rules


async def test_seeded_data_breaks_no_rule(connection: AsyncConnection) -> None:
    violations = await check_rules(connection, full_scale=False)
    assert len(violations) > 20, "the rule checks should cover every rule"
    assert {rule: n for rule, n in violations.items() if n} == {}


async def test_small_seed_fills_all_five_levels_and_every_table(
    connection: AsyncConnection,
) -> None:
    levels = dict(
        (
            await connection.execute(
                text(
                    "SELECT level::text, count(*) FROM mandates WHERE status = 'ACTIVE' GROUP BY 1"
                )
            )
        ).all()
    )
    assert set(levels) == {"NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP"}
    for table in (
        "stations",
        "receptions",
        "deputy_groups",
        "contact_assignments",
        "attendances",
        "committee_memberships",
    ):
        assert await connection.scalar(text(f"SELECT count(*) FROM {table}")) > 0, table
