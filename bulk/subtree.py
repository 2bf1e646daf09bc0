"""What an export of a region's subtree reads, and how it masks personal data.

Which deputies: those living in the subtree (its 五级代表) and those holding a mandate in a
congress of the subtree, each with all of their mandates, so both ways of counting (by
congress and by locality) come out the same after the file is imported elsewhere.
Personal data (ID number, exact birth date, phone) is in the file only where the caller's
personal scope (core.permissions.personal_scope, as SQL by db.rules) admits the person's
locality, exactly as in queries.
"""

from __future__ import annotations

from typing import Any

from core.context import Caller
from core.permissions import personal_scope
from db.rules import masked_sql

SUBTREE = "SELECT code FROM regions WHERE lineage @> ARRAY[CAST(:code AS varchar)]"
PEOPLE = f"""
    SELECT d.id FROM deputies d WHERE d.locality_code IN ({SUBTREE})
    UNION
    SELECT m.deputy_id FROM mandates m JOIN congresses c ON c.id = m.congress_id
    WHERE c.region_code IN ({SUBTREE})"""
# The deputy of a link row `x`, and the locality whose lineage the masking reads.
PEOPLE_JOIN = "JOIN deputies d ON d.id = x.deputy_id JOIN regions loc ON loc.code = d.locality_code"
SCOPE_PARAM = "editor"


def personal(caller: Caller, value: str, lineage: str = "loc.lineage") -> str:
    """A personal column as the caller may see it: NULL outside its personal scope."""
    return masked_sql(personal_scope(caller), lineage, value, SCOPE_PARAM)


def person_ref(caller: Caller) -> str:
    """The natural key of a link row's deputy, in the import's columns."""
    return (
        f"{personal(caller, 'd.id_number')} AS id_number, d.name, "
        f"{personal(caller, 'd.birth_date')} AS birth_date, d.locality_code"
    )


def params(code: str, caller: Caller) -> dict[str, Any]:
    """The subtree's code, and the root of the caller's personal scope when it has one."""
    found: dict[str, Any] = {"code": code}
    root = personal_scope(caller).root
    if root is not None:
        found[SCOPE_PARAM] = root
    return found
