"""Small helpers that build test data with plain SQL inside the test's transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from db.pinyin import name_pinyin, search_vector


async def congress_of(conn: AsyncConnection, region_code: str) -> dict[str, Any]:
    """The congress of a region with its current term."""
    row = (
        await conn.execute(
            text(
                "SELECT c.id, c.level::text AS level, t.id AS term_id, t.start_date "
                "FROM congresses c JOIN terms t ON t.congress_id = c.id AND t.end_date IS NULL "
                "WHERE c.region_code = :code"
            ),
            {"code": region_code},
        )
    ).one()
    return dict(row._mapping)


async def insert_deputy(
    conn: AsyncConnection,
    name: str,
    locality: str,
    *,
    gender: str = "MALE",
    birth_year: int = 1975,
    grassroots: bool = False,
    phone: str | None = "13800000000",
) -> int:
    return (
        await conn.execute(
            text(
                "INSERT INTO deputies (name, name_pinyin, search_vector, gender, birth_year, "
                "birth_date, is_grassroots, locality_code, phone, ethnicity) "
                "VALUES (:name, :pinyin, CAST(:vector AS tsvector), CAST(:gender AS gender), :year, "
                ":birth, :grassroots, :locality, :phone, '汉族') RETURNING id"
            ),
            {
                "name": name,
                "pinyin": name_pinyin(name),
                "vector": search_vector(name),
                "gender": gender,
                "year": birth_year,
                "birth": date(birth_year, 5, 17),
                "grassroots": grassroots,
                "locality": locality,
                "phone": phone,
            },
        )
    ).scalar_one()


async def insert_mandate(
    conn: AsyncConnection,
    deputy_id: int,
    region_code: str,
    *,
    start: date | None = None,
    end: date | None = None,
    status: str = "ACTIVE",
    suspended_from: date | None = None,
) -> int:
    congress = await congress_of(conn, region_code)
    return (
        await conn.execute(
            text(
                "INSERT INTO mandates (deputy_id, congress_id, term_id, level, start_date, end_date, "
                "status, end_reason, by_election, suspended_from) VALUES (:deputy, :congress, :term, "
                "CAST(:level AS level), :start, :end, CAST(:status AS mandate_status), "
                "CAST(:reason AS mandate_end_reason), false, :suspended) RETURNING id"
            ),
            {
                "deputy": deputy_id,
                "congress": congress["id"],
                "term": congress["term_id"],
                "level": congress["level"],
                "start": start or congress["start_date"],
                "end": end,
                "status": status,
                "reason": "RESIGNED" if status == "TERMINATED" else None,
                "suspended": suspended_from,
            },
        )
    ).scalar_one()


async def insert_row(conn: AsyncConnection, table: str, **values: Any) -> int:
    """Insert one row into a table by column values and return its id."""
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id"
    return (await conn.execute(text(sql), values)).scalar_one()


async def committee_of(conn: AsyncConnection, region_code: str) -> int:
    """The standing committee of a region's congress."""
    return (
        await conn.execute(
            text(
                "SELECT k.id FROM committees k JOIN congresses c ON c.id = k.congress_id "
                "WHERE c.region_code = :code AND k.kind = 'STANDING_COMMITTEE'"
            ),
            {"code": region_code},
        )
    ).scalar_one()
