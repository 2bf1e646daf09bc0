"""What the duty-work generator sees of one province (or the nation): the congresses with
deputies, their terms, committees, leaders and groups, and the mandates in force during the
generated year (with the second way to be eligible: higher-level deputies living in a
congress's region). Built from what the seats and work phases generated, in the order the
database would list it (ids ascending), so the output depends on nothing else.

A mandate counts as in force on a day with the stricter reading of its end date
(start <= day < end) and outside any suspension, as seed.checks reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from seed.model import Batch, Ids, Mandate
from seed.params import AS_OF, RANK, YEAR_START
from seed.world import Congress, Region


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


@dataclass
class DutyBatch:
    """Where duty-work rows go: the batch being generated, with ids continuing the seed's."""

    batch: Batch
    ids: Ids
    # Pseudonyms drawn so far: a repeat is drawn again (the column is unique).
    pseudonyms: set[str]

    def next(self, table: str) -> int:
        return self.ids.next(table)

    def add(self, table: str, row: tuple[object, ...]) -> None:
        self.batch.add(table, row)


@dataclass
class Staffing:
    """What a work batch decided that duty work needs: the standing committee's chair and
    vice-chairs and the groups, by congress id."""

    leaders: dict[int, list[tuple[int, date, date | None]]] = field(default_factory=dict)
    groups: dict[int, list[Group]] = field(default_factory=dict)


def staffing_of(batch: Batch, congresses: Iterable[Congress]) -> Staffing:
    """Read back from a work batch's rows (in the order they are written, i.e. by id)."""
    by_standing = {c.standing_id: c.id for c in congresses if c.standing_id is not None}
    found = Staffing()
    for committee_id, deputy_id, role, start, end in batch.rows["committee_memberships"]:
        congress_id = by_standing.get(committee_id)
        if congress_id is not None and role in ("CHAIR", "VICE_CHAIR"):
            found.leaders.setdefault(congress_id, []).append((deputy_id, start, end))
    groups: dict[int, Group] = {}
    for group_id, name, _kind, congress_id, region_code, *_ in batch.rows["deputy_groups"]:
        group = groups[group_id] = Group(group_id, name, region_code)
        found.groups.setdefault(congress_id, []).append(group)
    for group_id, deputy_id, *_ in batch.rows["group_memberships"]:
        groups[group_id].members.append(deputy_id)
    for group in groups.values():
        group.members.sort()
    for listed in found.groups.values():
        listed.sort(key=lambda g: g.id)
    return found


def _lineage(region: Region) -> tuple[str, ...]:
    return tuple(r.code for r in reversed(region.ancestors()))


def in_year(mandate: Mandate) -> bool:
    """In force at some time during the generated year."""
    return mandate.start <= AS_OF and (mandate.end is None or mandate.end > YEAR_START)


def _seat(mandate: Mandate) -> Seat:
    return Seat(
        mandate.id,
        mandate.deputy.id,
        mandate.congress.id,
        mandate.level,
        mandate.start,
        mandate.end,
        mandate.suspended,
        None,
        _lineage(mandate.deputy.locality),
    )


def bodies_of(
    congresses: list[Congress],
    mandates: dict[int, list[Mandate]],
    residents: list[Mandate],
    staffing: Staffing,
) -> list[Body]:
    """The bodies of these congresses (those with deputies), in region code order; `residents`
    are higher seats (national ones, for a province) held by people living below them."""
    bodies: list[Body] = []
    for congress in sorted(congresses, key=lambda c: c.region.code):
        if not mandates.get(congress.id):
            continue
        region = congress.region
        body = Body(
            congress.id,
            congress.level,
            congress.name,
            region.code,
            region.name,
            _lineage(region),
            region.parent.name if region.parent is not None else None,
        )
        body.terms = [(t.id, t.start, t.end) for t in congress.terms]
        body.standing_id = congress.standing_id
        body.specials = [committee_id for committee_id, _ in congress.specials]
        body.leaders = list(staffing.leaders.get(congress.id, []))
        body.groups = list(staffing.groups.get(congress.id, []))
        body.children = [(child.code, child.name) for child in region.children]
        bodies.append(body)
    by_id = {b.id: b for b in bodies}
    by_region = {b.region_code: b for b in bodies}
    held = [m for b in bodies for m in mandates[b.id] if in_year(m)]
    held += [m for m in residents if in_year(m)]
    for seat in map(_seat, sorted(held, key=lambda m: m.id)):
        own_body = by_id.get(seat.congress_id)
        if own_body is not None:
            own_body.own.append(seat)
        # Every congress of a lower level whose region holds the deputy's locality.
        rank = RANK[seat.level]
        for code in seat.locality:
            lower = by_region.get(code)
            if lower is not None and RANK[lower.level] > rank:
                lower.higher.append(seat)
    return bodies
