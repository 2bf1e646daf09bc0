"""Who may see what and write where: the one statement of each rule.

A rule gives the caller a `RegionScope`: everywhere, nowhere, or one region's subtree.
Python asks the scope of a region's lineage (`admits`); SQL asks it of a lineage column
through `db.rules`, which reads the same scope, so no surface states the rule again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.context import Caller


@dataclass(frozen=True)
class RegionScope:
    """The regions a rule lets the caller into."""

    everywhere: bool = False
    root: str | None = None  # the subtree's top region, when not everywhere

    def admits(self, lineage: Sequence[str]) -> bool:
        """Whether the region with this lineage (nation first, itself last) is inside."""
        return self.everywhere or (self.root is not None and self.root in lineage)

    @property
    def nowhere(self) -> bool:
        return not self.everywhere and self.root is None


NOWHERE = RegionScope()
EVERYWHERE = RegionScope(everywhere=True)


def _admin_all_editor_own(caller: Caller) -> RegionScope:
    if caller.role == "admin":
        return EVERYWHERE
    if caller.role == "editor" and caller.region_code:
        return RegionScope(root=caller.region_code)
    return NOWHERE


def personal_scope(caller: Caller) -> RegionScope:
    """Whose personal data (phone, ID number, exact birth date, a sender's contact) the caller
    may see, by where the person lives: admins all, editors their region's subtree, others
    nobody."""
    return _admin_all_editor_own(caller)


def write_scope(caller: Caller) -> RegionScope:
    """Where the caller may write: admins everywhere, editors in their region's subtree."""
    return _admin_all_editor_own(caller)


def can_see_personal(caller: Caller, lineage: Sequence[str]) -> bool:
    return personal_scope(caller).admits(lineage)


def needs_region_check(caller: Caller) -> bool:
    """Whether deciding on personal data needs the record's region at all."""
    scope = personal_scope(caller)
    return not scope.everywhere and not scope.nowhere


def can_write(caller: Caller) -> bool:
    return not write_scope(caller).nowhere


def can_write_in(caller: Caller, lineage: Sequence[str]) -> bool:
    return write_scope(caller).admits(lineage)
