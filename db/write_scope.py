"""The write scope and personal-data rule of one caller as a table that set-based SQL reads.

The mutations decide per write with `core.permissions.can_write_in` (and reads mask with
`can_see_personal`) on a region's lineage. A bulk import decides for thousands of rows in a
few statements, so it evaluates those same two functions once for every region and keeps
the answers in the temporary table `import_scope`; its SQL then asks `writable(code)` and
`visible(code)` of a region code. No second statement of the rule exists: the functions are
the rule, this table is their value for one caller (see service.imports.load_scope).
"""

from __future__ import annotations

SCOPE_TABLE = "import_scope"

SCOPE_DDL = f"""CREATE TEMP TABLE {SCOPE_TABLE} (
    code varchar PRIMARY KEY, writable boolean NOT NULL, visible boolean NOT NULL
) ON COMMIT DROP"""

# Every region with its lineage, for the caller's rule to be evaluated on.
REGION_LINEAGES = "SELECT code, lineage FROM regions"


def writable(code: str) -> str:
    """SQL: whether the caller may write in the region with this code (the mutations'
    `can_write_in`); false for an unknown code."""
    return f"coalesce((SELECT z.writable FROM {SCOPE_TABLE} z WHERE z.code = {code}), false)"


def visible(code: str) -> str:
    """SQL: whether the caller may see the personal data of people living in the region with
    this code (`can_see_personal`), and so may have them matched and named by an import."""
    return f"coalesce((SELECT z.visible FROM {SCOPE_TABLE} z WHERE z.code = {code}), false)"
