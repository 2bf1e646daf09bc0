"""What the duty-work generator reads back from the seeded registry, one province at a time:
the congresses with deputies, their terms, committees, leaders and groups, and the mandates
in force during the generated year (with the second way to be eligible: higher-level
deputies living in a congress's region).

A mandate counts as in force on a day with the stricter reading of its end date
(start <= day < end) and outside any suspension, as seed.checks reads it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import BindParameter, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import Integer

from seed.params import AS_OF, RANK, YEAR_START
from seed.writer import DeferredIndexes


@dataclass(slots=True, eq=False)
class Seat:
    """A mandate in force at some time during the year."""

    id: int
    deputy_id: int
    congress_id: int
    level: str
    start: date
    end: date | None
    suspended_from: date | None
    suspended_until: date | None
    # Codes from the nation down to the deputy's locality.
    locality: tuple[str, ...]

    def active_on(self, day: date) -> bool:
        if day < self.start or (self.end is not None and day >= self.end):
            return False
        suspended = self.suspended_from is not None and self.suspended_from <= day
        return not (suspended and (self.suspended_until is None or day <= self.suspended_until))


@dataclass(slots=True, eq=False)
class Group:
    id: int
    name: str
    region_code: str
    members: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Body:
    """A congress with what the generator needs of it."""

    id: int
    level: str
    name: str
    region_code: str
    region_name: str
    lineage: tuple[str, ...]
    parent_name: str | None
    # (term id, start, end) in order.
    terms: list[tuple[int, date, date | None]] = field(default_factory=list)
    standing_id: int | None = None
    specials: list[int] = field(default_factory=list)
    # (deputy, start, end) of the chair and vice-chairs of the standing committee.
    leaders: list[tuple[int, date, date | None]] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    # (code, name) of the regions right below, where activities may take place.
    children: list[tuple[str, str]] = field(default_factory=list)
    own: list[Seat] = field(default_factory=list)
    # Seats of higher levels held by deputies living in the region (eligible too).
    higher: list[Seat] = field(default_factory=list)

    @property
    def title(self) -> str:
        """'吉林省', '辽源市', or '全国' for the National People's Congress."""
        return "全国" if self.level == "NATIONAL" else self.name.removesuffix("人民代表大会")

    def term_on(self, day: date) -> int | None:
        for term_id, start, end in self.terms:
            if start <= day and (end is None or day <= end):
                return term_id
        return None


def _ids(name: str) -> BindParameter[Any]:
    return bindparam(name, type_=ARRAY(Integer))


CONGRESSES = """
    SELECT c.id, c.level::text, c.name, c.region_code, r.name, r.lineage, p.name
    FROM congresses c JOIN regions r ON r.code = c.region_code
    LEFT JOIN regions p ON p.code = r.parent_code
    WHERE {where}
      AND EXISTS (SELECT 1 FROM mandates m WHERE m.congress_id = c.id)
      AND NOT EXISTS (SELECT 1 FROM suggestion_categories k WHERE k.congress_id = c.id)
    ORDER BY c.region_code
"""
SEATS = """
    SELECT m.id, m.deputy_id, m.congress_id, m.level::text AS level, m.start_date, m.end_date,
           m.suspended_from, m.suspended_until, r.lineage
    FROM mandates m JOIN deputies d ON d.id = m.deputy_id
    JOIN regions r ON r.code = d.locality_code
    WHERE m.start_date <= :as_of AND (m.end_date IS NULL OR m.end_date > :year_start)
      AND {where}
"""


async def provinces(connection: AsyncConnection) -> list[str]:
    """Provinces with a congress that has deputies and no duty work yet, in code order."""
    rows = await connection.execute(text(CONGRESSES.format(where="c.level <> 'NATIONAL'")))
    return sorted({row[5][1] for row in rows})


async def load_bodies(connection: AsyncConnection, province: str | None) -> list[Body]:
    """The congresses of one province (or the national congress when None), filled in."""
    if province is None:
        where, params = "c.level = 'NATIONAL'", {}
    else:
        where, params = "r.lineage @> ARRAY[CAST(:province AS varchar)]", {"province": province}
    bodies = [
        Body(cid, level, name, code, region_name, tuple(lineage), parent)
        for cid, level, name, code, region_name, lineage, parent in await connection.execute(
            text(CONGRESSES.format(where=where)), params
        )
    ]
    if not bodies:
        return []
    by_id = {b.id: b for b in bodies}
    ids = {"ids": list(by_id)}
    await _committees(connection, by_id, ids)
    await _groups(connection, by_id, ids)
    children = text(
        "SELECT parent_code, code, name FROM regions WHERE parent_code = ANY(:codes) ORDER BY code"
    )
    by_code = {b.region_code: b for b in bodies}
    for parent, code, name in await connection.execute(children, {"codes": list(by_code)}):
        by_code[parent].children.append((code, name))
    await _seats(connection, bodies, province)
    return bodies


async def _committees(
    connection: AsyncConnection, by_id: dict[int, Body], ids: dict[str, list[int]]
) -> None:
    terms = text(
        "SELECT congress_id, id, start_date, end_date FROM terms WHERE congress_id = ANY(:ids) "
        "ORDER BY congress_id, number"
    ).bindparams(_ids("ids"))
    for congress_id, term_id, start, end in await connection.execute(terms, ids):
        by_id[congress_id].terms.append((term_id, start, end))
    committees = text(
        "SELECT congress_id, id, kind::text FROM committees WHERE congress_id = ANY(:ids) ORDER BY id"
    ).bindparams(_ids("ids"))
    for congress_id, committee_id, kind in await connection.execute(committees, ids):
        body = by_id[congress_id]
        if kind == "STANDING_COMMITTEE":
            body.standing_id = committee_id
        elif kind == "SPECIAL_COMMITTEE":
            body.specials.append(committee_id)
    leaders = text(
        """SELECT k.congress_id, cm.deputy_id, cm.start_date, cm.end_date
           FROM committee_memberships cm JOIN committees k ON k.id = cm.committee_id
           WHERE k.congress_id = ANY(:ids) AND k.kind = 'STANDING_COMMITTEE'
             AND cm.role IN ('CHAIR', 'VICE_CHAIR')
           ORDER BY k.congress_id, cm.id"""
    ).bindparams(_ids("ids"))
    for congress_id, deputy_id, start, end in await connection.execute(leaders, ids):
        by_id[congress_id].leaders.append((deputy_id, start, end))


async def _groups(
    connection: AsyncConnection, by_id: dict[int, Body], ids: dict[str, list[int]]
) -> None:
    groups = text(
        "SELECT congress_id, id, name, region_code FROM deputy_groups "
        "WHERE congress_id = ANY(:ids) ORDER BY id"
    ).bindparams(_ids("ids"))
    found: dict[int, Group] = {}
    for congress_id, group_id, name, region_code in await connection.execute(groups, ids):
        group = found[group_id] = Group(group_id, name, region_code)
        by_id[congress_id].groups.append(group)
    if found:
        members = text(
            "SELECT group_id, deputy_id FROM group_memberships WHERE group_id = ANY(:ids) "
            "ORDER BY group_id, deputy_id"
        ).bindparams(_ids("ids"))
        for group_id, deputy_id in await connection.execute(members, {"ids": list(found)}):
            found[group_id].members.append(deputy_id)


async def _seats(connection: AsyncConnection, bodies: list[Body], province: str | None) -> None:
    """Own seats of each congress, and higher seats of deputies living in its region.

    Read through the driver directly: hundreds of thousands of rows in a large province,
    where SQLAlchemy's per-row work would cost more than the query."""
    by_id = {b.id: b for b in bodies}
    seats = SEATS.replace(":as_of", "$1").replace(":year_start", "$2")
    args: list[Any] = [AS_OF, YEAR_START]
    if province is None:
        statement = seats.format(where="m.level = 'NATIONAL'") + " ORDER BY 1"
    else:
        # The province's congresses, and national seats of people living in the province
        # (two index scans: an OR of the two would read every mandate for each province).
        own = seats.format(where="m.congress_id = ANY($3::integer[])")
        national = seats.format(
            where="m.level = 'NATIONAL' AND r.lineage @> ARRAY[CAST($4 AS varchar)]"
        )
        statement = f"{own} UNION ALL {national} ORDER BY 1"
        args += [list(by_id), province]
    by_region = {b.region_code: b for b in bodies}
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    for sid, deputy, congress, level, start, end, s_from, s_until, lineage in await driver.fetch(
        statement, *args
    ):
        seat = Seat(sid, deputy, congress, level, start, end, s_from, s_until, tuple(lineage))
        own_body = by_id.get(congress)
        if own_body is not None:
            own_body.own.append(seat)
        # Every congress of a lower level whose region holds the deputy's locality.
        rank = RANK[level]
        for code in seat.locality:
            body = by_region.get(code)
            if body is not None and RANK[body.level] > rank:
                body.higher.append(seat)


# Column lists of the tables the duty-work generator writes, in COPY order (parents first).
DUTY_COLUMNS: dict[str, tuple[str, ...]] = {
    "suggestion_categories": ("id", "congress_id", "parent_id", "code", "name"),
    "suggestions": (
        "id",
        "congress_id",
        "term_id",
        "number",
        "title",
        "category_id",
        "submitted_on",
        "during_session",
        "lead_id",
        "satisfaction",
        "rated_on",
    ),
    "suggestion_cosigners": ("suggestion_id", "deputy_id"),
    "suggestion_handlers": (
        "suggestion_id",
        "unit",
        "role",
        "assigned_on",
        "reply_due",
        "replied_on",
        "outcome",
    ),
    "key_supervisions": ("suggestion_id", "committee_id", "leader_id", "since"),
    "activities": (
        "id",
        "kind",
        "title",
        "start_date",
        "end_date",
        "organizer_congress_id",
        "group_id",
        "region_code",
    ),
    "activity_participants": ("activity_id", "deputy_id", "mandate_id", "level"),
    "voter_contacts": (
        "id",
        "deputy_id",
        "pseudonym",
        "community_code",
        "community",
        "since",
        "until",
    ),
}
# Tables whose ids the generator assigns (children refer to them).
DUTY_ID_TABLES = ("suggestion_categories", "suggestions", "activities", "voter_contacts")


@dataclass
class DutyBatch:
    """Rows waiting to be copied, and the last id handed out per table."""

    last: dict[str, int]
    rows: dict[str, list[tuple[object, ...]]] = field(
        default_factory=lambda: {table: [] for table in DUTY_COLUMNS}
    )
    # Pseudonyms drawn so far: a repeat is drawn again (the column is unique).
    pseudonyms: set[str] = field(default_factory=set)

    def next(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]

    def add(self, table: str, row: tuple[object, ...]) -> None:
        self.rows[table].append(row)


FOREIGN_KEYS = """
    SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE c.contype = 'f' AND t.relname = ANY(:tables) AND t.relnamespace = 'public'::regnamespace
    ORDER BY 1, 2
"""


@asynccontextmanager
async def keys_checked_after(connection: AsyncConnection) -> AsyncIterator[None]:
    """Into empty duty tables, load without their foreign keys and add them back at the end
    (one join per key instead of a check per row). The same transaction: rows that broke a
    key would roll the whole seed back."""
    filled = await connection.scalar(
        text(
            "SELECT EXISTS (SELECT 1 FROM suggestion_categories) OR EXISTS (SELECT 1 FROM activities)"
        )
    )
    keys = (
        []
        if filled
        else list(await connection.execute(text(FOREIGN_KEYS), {"tables": list(DUTY_COLUMNS)}))
    )
    for table, name, _ in keys:
        await connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    # Secondary indexes too (not those behind a constraint): one sort each at the end
    # instead of an insertion per row.
    indexes = DeferredIndexes(list(DUTY_COLUMNS), foreign_keys=False)
    if not filled:
        await indexes.drop(connection)
    yield
    await indexes.restore(connection, None, lambda name: None)
    for table, name, definition in keys:
        await connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))
