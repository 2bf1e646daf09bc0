"""Who may see what: the one place that decides on personal data and writes."""

from __future__ import annotations

from collections.abc import Sequence

from service.context import Caller


def can_see_personal(caller: Caller, lineage: Sequence[str]) -> bool:
    """Personal data (phone, ID numbers, exact birth date) of someone whose locality has
    this lineage: admins see all, editors see their region's subtree, others nothing."""
    if caller.role == "admin":
        return True
    return (
        caller.role == "editor" and caller.region_code is not None and caller.region_code in lineage
    )


def needs_region_check(caller: Caller) -> bool:
    """Whether deciding on personal data needs the record's region at all."""
    return caller.role == "editor"


def can_write(caller: Caller) -> bool:
    return caller.role in ("editor", "admin")


def can_write_in(caller: Caller, lineage: Sequence[str]) -> bool:
    """Whether the caller may write in the region with this lineage."""
    if caller.role == "admin":
        return True
    return (
        caller.role == "editor" and caller.region_code is not None and caller.region_code in lineage
    )
