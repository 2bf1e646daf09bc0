"""The write scope and personal-data scope of one caller as a table that set-based SQL reads.

The mutations decide per write with `core.permissions.write_scope` (and reads mask with
`personal_scope`) on a region's lineage. A bulk import decides for thousands of rows in a
few statements, so `load_scope` turns both scopes into SQL once (db.rules) and keeps, for
every region either admits, the answers in the temporary table `import_scope`; its SQL then
asks `writable(code)` and `visible(code)` of a region code. No second statement of the rule
exists: the scopes are the rule, this table is their value for one caller.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.context import Caller
from core.permissions import personal_scope, write_scope
from db.rules import scope_admits_sql

SCOPE_TABLE = "import_scope"


async def load_scope(conn: AsyncConnection, caller: Caller) -> None:
    """Fill import_scope (dropped at commit) for this caller."""
    writes, sees = write_scope(caller), personal_scope(caller)
    writable_sql = scope_admits_sql(writes, "lineage", "write_root")
    visible_sql = scope_admits_sql(sees, "lineage", "personal_root")
    await conn.execute(text(f"DROP TABLE IF EXISTS {SCOPE_TABLE}"))
    await conn.execute(
        text(
            f"""CREATE TEMP TABLE {SCOPE_TABLE} ON COMMIT DROP AS
            SELECT code, {writable_sql} AS writable, {visible_sql} AS visible FROM regions
            WHERE ({writable_sql}) OR ({visible_sql})"""
        ),
        {"write_root": writes.root, "personal_root": sees.root},
    )
    await conn.execute(text(f"ALTER TABLE {SCOPE_TABLE} ADD PRIMARY KEY (code)"))
    await conn.execute(text(f"ANALYZE {SCOPE_TABLE}"))


def writable(code: str) -> str:
    """SQL: whether the caller may write in the region with this code (the mutations'
    `write_scope`); false for an unknown code."""
    return f"coalesce((SELECT z.writable FROM {SCOPE_TABLE} z WHERE z.code = {code}), false)"


def visible(code: str) -> str:
    """SQL: whether the caller may see the personal data of people living in the region with
    this code (`personal_scope`), and so may have them matched and named by an import."""
    return f"coalesce((SELECT z.visible FROM {SCOPE_TABLE} z WHERE z.code = {code}), false)"
