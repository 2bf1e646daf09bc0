"""Documents and data builders shared by the suggestion, activity, duty-record and voter tests.

Hand-built data lives in Guizhou (520000), which the `small` seed leaves empty, so every
figure has a known answer.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from resolvers.ids import encode_id
from resolvers.mutations.base import Actor
from tests import mutations
from tests.factories import committee_of, congress_of, insert_deputy, insert_mandate, insert_row
from tests.mutations import TABLES

GUIZHOU, GUIYANG, KAIYANG, SHUANGLIU, XIUWEN = "520000", "520100", "520121", "520121101", "520123"
LEVELS = ["NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP"]
ACTOR = Actor(subject="test", role="admin")

ERRORS = "userErrors { field message code }"
SUGGESTION = """id number title status submittedOn duringSession satisfaction ratedOn
  congress { id } term { number } category { id code parent { code } }
  lead { id } cosigners { id }
  handlers { unit role assignedOn replyDue repliedOn outcome overdue }
  keySupervision { since committee { id } leader { id } }"""
SUBMIT = f"""mutation($input: SubmitSuggestionInput!) {{ submitSuggestion(input: $input) {{
  suggestion {{ {SUGGESTION} }} {ERRORS} }} }}"""
ASSIGN = f"""mutation($input: AssignSuggestionInput!) {{ assignSuggestion(input: $input) {{
  suggestion {{ {SUGGESTION} }} {ERRORS} }} }}"""
REPLY = f"""mutation($input: ReplySuggestionInput!) {{ replySuggestion(input: $input) {{
  suggestion {{ {SUGGESTION} }} {ERRORS} }} }}"""
SUPERVISE = f"""mutation($input: SuperviseSuggestionInput!) {{ superviseSuggestion(input: $input) {{
  suggestion {{ {SUGGESTION} }} {ERRORS} }} }}"""
RATE = f"""mutation($input: RateSuggestionInput!) {{ rateSuggestion(input: $input) {{
  suggestion {{ {SUGGESTION} }} {ERRORS} }} }}"""
CREATE_CATEGORY = f"""mutation($input: CreateSuggestionCategoryInput!) {{
  createSuggestionCategory(input: $input) {{ category {{ id code name parent {{ id }} }} {ERRORS} }} }}"""
RECORD_ACTIVITY = f"""mutation($input: RecordActivityInput!) {{ recordActivity(input: $input) {{
  activity {{ id kind title startDate endDate organizer {{ id }} group {{ id }} region {{ code }}
    participants {{ id }} participantCountByLevel {{ level count }} }} {ERRORS} }} }}"""
ADD_VOTER = f"""mutation($input: AddVoterContactInput!) {{ addVoterContact(input: $input) {{
  voterContact {{ id pseudonym community since until communityRegion {{ code }} }} {ERRORS} }} }}"""
END_VOTER = f"""mutation($input: EndVoterContactInput!) {{ endVoterContact(input: $input) {{
  voterContact {{ id until }} {ERRORS} }} }}"""

DUTY_TABLES = [
    "suggestion_categories",
    "suggestions",
    "suggestion_cosigners",
    "suggestion_handlers",
    "key_supervisions",
    "activities",
    "activity_participants",
    "voter_contacts",
]


async def table_counts(conn: AsyncConnection) -> dict[str, int]:
    """Row counts of every table a write may touch: equal before and after = nothing written."""
    return await mutations.table_counts(conn, TABLES + DUTY_TABLES)


async def assert_refused(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """As tests.mutations.assert_refused, over the duty-work tables too."""
    return await mutations.assert_refused(*args, tables=TABLES + DUTY_TABLES, **kwargs)


async def link(conn: AsyncConnection, table: str, **values: Any) -> None:
    """Insert one row into a table without an id column."""
    columns = ", ".join(values)
    params = ", ".join(f":{k}" for k in values)
    await conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), values)


async def classification(conn: AsyncConnection, congress_id: int) -> dict[str, int]:
    """A small two-level scheme: 01 经济 (01.01, 01.02), 02 教育 (02.01), 03 其他 (no subs)."""
    ids: dict[str, int] = {}
    for code, name in (
        ("01", "经济发展"),
        ("01.01", "产业发展"),
        ("01.02", "营商环境"),
        ("02", "教育"),
        ("02.01", "基础教育"),
        ("03", "其他"),
    ):
        parent = ids.get(code.split(".")[0]) if "." in code else None
        ids[code] = await insert_row(
            conn,
            "suggestion_categories",
            congress_id=congress_id,
            parent_id=parent,
            code=code,
            name=name,
        )
    return ids


async def guizhou(conn: AsyncConnection) -> dict[str, Any]:
    """The Guizhou provincial congress with deputies, a vice-chair and a classification.

    A, B, C: provincial deputies (C living in Kaiyang county); N: a national deputy living in
    Kaiyang; K: a Kaiyang county deputy; S: a provincial deputy suspended since 2024-03-01;
    V: a provincial deputy who is vice-chair of the standing committee.
    """
    province = await congress_of(conn, GUIZHOU)
    ids: dict[str, Any] = {"congress": province["id"], "term": province["term_id"]}
    people = {
        "A": ("省代甲", "520102", GUIZHOU),
        "B": ("省代乙", "520103", GUIZHOU),
        "C": ("省代丙", SHUANGLIU, GUIZHOU),
        "N": ("国代丁", SHUANGLIU, "100000"),
        "K": ("县代戊", SHUANGLIU, KAIYANG),
        "S": ("省代己", "520102", GUIZHOU),
        "V": ("副主任庚", "520102", GUIZHOU),
    }
    for key, (name, locality, congress_code) in people.items():
        ids[key] = await insert_deputy(conn, name, locality)
        suspended = date(2024, 3, 1) if key == "S" else None
        status = "SUSPENDED" if suspended else "ACTIVE"
        await insert_mandate(conn, ids[key], congress_code, status=status, suspended_from=suspended)
    standing = await committee_of(conn, GUIZHOU)
    ids["standing"] = standing
    await insert_row(
        conn,
        "committee_memberships",
        committee_id=standing,
        deputy_id=ids["V"],
        role="VICE_CHAIR",
        start_date=date(2023, 1, 5),
    )
    ids["special"] = (
        await conn.execute(
            text(
                "SELECT id FROM committees WHERE congress_id = :c AND kind = 'SPECIAL_COMMITTEE' "
                "ORDER BY id LIMIT 1"
            ),
            {"c": province["id"]},
        )
    ).scalar_one()
    ids["categories"] = await classification(conn, province["id"])
    return ids


def gid(type_name: str, key: object) -> str:
    return encode_id(type_name, key)
