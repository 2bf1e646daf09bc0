"""In-memory deputies and mandates, the rows waiting to be written, and id counters."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

from seed.world import Congress, Region, Term

T = TypeVar("T")

# Column lists of every table the generator writes, in COPY order (parents first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "deputies": (
        "id",
        "name",
        "name_pinyin",
        "search_vector",
        "gender",
        "ethnicity",
        "birth_year",
        "birth_date",
        "phone",
        "id_number",
        "party",
        "occupation",
        "is_grassroots",
        "locality_code",
    ),
    "mandates": (
        "id",
        "deputy_id",
        "congress_id",
        "term_id",
        "level",
        "electoral_unit",
        "delegation",
        "start_date",
        "end_date",
        "status",
        "end_reason",
        "by_election",
        "suspended_from",
        "suspended_until",
    ),
    "committee_memberships": ("committee_id", "deputy_id", "role", "start_date", "end_date"),
    "contact_assignments": (
        "id",
        "contactor_id",
        "committee_id",
        "deputy_id",
        "start_date",
        "end_date",
    ),
    "contact_logs": ("assignment_id", "date", "channel", "summary"),
    "meetings": ("id", "committee_id", "number", "title", "start_date", "end_date", "topics"),
    "attendances": ("meeting_id", "deputy_id", "mandate_id", "level", "spoke"),
    "stations": (
        "id",
        "name",
        "kind",
        "region_code",
        "address",
        "star_rating",
        "reception_day",
    ),
    "station_assignments": ("station_id", "deputy_id", "assigned_on"),
    "receptions": (
        "id",
        "station_id",
        "date",
        "visitors",
        "opinions_collected",
        "problems_resolved",
    ),
    "reception_deputies": ("reception_id", "deputy_id"),
    "deputy_groups": (
        "id",
        "name",
        "kind",
        "congress_id",
        "region_code",
        "committee_id",
        "theme",
    ),
    "group_memberships": ("group_id", "deputy_id", "role", "joined_on"),
    # Duty work (seed.suggestions), after the registry it refers to.
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
# The duty-work tables (written after the registry's, in their own phase).
DUTY_TABLES = (
    "suggestion_categories",
    "suggestions",
    "suggestion_cosigners",
    "suggestion_handlers",
    "key_supervisions",
    "activities",
    "activity_participants",
    "voter_contacts",
)
# Tables whose ids the generator assigns (children refer to them); the others take their
# ids from the column default.
ID_TABLES = tuple(t for t, cols in COLUMNS.items() if cols[0] == "id")


class Mandate:
    """A seat of one deputy in one term of one congress."""

    __slots__ = ("congress", "deputy", "end", "id", "level", "start", "suspended", "term")

    def __init__(
        self,
        mandate_id: int,
        deputy: Deputy,
        congress: Congress,
        term: Term,
        start: date,
        end: date | None,
        suspended: date | None,
    ) -> None:
        self.id = mandate_id
        self.deputy = deputy
        self.congress = congress
        self.term = term
        self.level = congress.level
        self.start = start
        self.end = end
        self.suspended = suspended

    def active_on(self, day: date) -> bool:
        """In force and not suspended on this day (the end date itself no longer counts)."""
        return (
            self.start <= day
            and (self.end is None or day < self.end)
            and (self.suspended is None or day < self.suspended)
        )

    @property
    def current(self) -> bool:
        return self.term is self.congress.term


class Deputy:
    """A person; `mandates` lists every seat generated for them, at any level."""

    __slots__ = ("born", "id", "locality", "mandates")

    def __init__(self, deputy_id: int, locality: Region, born: date) -> None:
        self.id = deputy_id
        self.locality = locality
        self.born = born
        self.mandates: list[Mandate] = []

    def active_on(self, day: date) -> bool:
        return any(m.active_on(day) for m in self.mandates)

    def first_current_start(self) -> date | None:
        """When their earliest seat of a current term began (None if all have ended)."""
        starts = [m.start for m in self.mandates if m.current and m.end is None]
        return min(starts) if starts else None


@dataclass
class Batch:
    """Rows generated for one part of the country, written together."""

    label: str
    # A row's values are of its table's columns, whatever their types: COPY takes them as they are.
    rows: dict[str, list[tuple[Any, ...]]] = field(
        default_factory=lambda: {table: [] for table in COLUMNS}
    )
    # The people created in this batch (for stations, which gather them by locality).
    deputies: list[Deputy] = field(default_factory=list)

    def add(self, table: str, row: tuple[object, ...]) -> None:
        self.rows[table].append(row)

    def size(self) -> int:
        return sum(len(r) for r in self.rows.values())


class Ids:
    """Hands out ids per table, continuing after what the database already holds."""

    def __init__(self, start_after: dict[str, int]) -> None:
        self.last = dict(start_after)

    def next(self, table: str) -> int:
        self.last[table] += 1
        return self.last[table]


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """rng.choice without its overhead (this runs millions of times)."""
    return items[int(rng.random() * len(items))]


def between(rng: random.Random, low: int, high: int) -> int:
    """rng.randint without its overhead: low to high inclusive."""
    return low + int(rng.random() * (high - low + 1))


def day_between(rng: random.Random, low: date, high: date) -> date:
    """A day from low to high inclusive (low when the range is empty)."""
    span = (high - low).days
    return low + timedelta(days=int(rng.random() * (span + 1))) if span > 0 else low


def rng_for(seed: int, purpose: str, code: str) -> random.Random:
    """A generator of its own for each (purpose, region), so output never depends on the
    order in which regions are visited."""
    return random.Random(f"{seed}:{purpose}:{code}")


Progress = Callable[[str, int], None]
