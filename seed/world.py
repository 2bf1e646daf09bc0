"""The reference data the generator works on: regions, congresses, terms and committees.

Loaded with a few set-based queries at the start, then kept in memory as a linked tree
with a deterministic pseudo-population on every region (used for seat counts, stations
and where deputies live).
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from seed.params import COUNTY_SELF_LOCALITY, PROVINCE_POPULATION, PROVINCE_SHORT


@dataclass(slots=True, eq=False)
class Term:
    id: int
    number: int
    start: date
    end: date | None


@dataclass(slots=True, eq=False, repr=False)
class Region:
    code: str
    parent: Region | None
    level: str
    kind: str
    name: str
    # Codes from the root down, each followed by "/" (built here, used to order regions).
    path: str
    children: list[Region] = field(default_factory=list)
    congress: Congress | None = None
    population: float = 0.0
    # County-level units below a prefecture or province, with cumulative populations,
    # for picking where a higher-level deputy lives (built on first use).
    units: tuple[list[Region], list[float]] | None = None
    chain: tuple[Region, ...] | None = None

    def __repr__(self) -> str:
        # The default would walk parents and children: the whole tree.
        return f"Region({self.code} {self.name})"

    def ancestors(self) -> tuple[Region, ...]:
        """This region and those above it, nearest first (the nation last)."""
        if self.chain is None:
            above = self.parent.ancestors() if self.parent is not None else ()
            self.chain = (self, *above)
        return self.chain

    def province(self) -> Region:
        chain = self.ancestors()
        return chain[-2] if len(chain) > 1 else chain[-1]

    def short_name(self) -> str:
        return short_name(self)


@dataclass(slots=True, eq=False, repr=False)
class Congress:
    id: int
    region: Region
    level: str
    name: str
    term: Term
    previous: Term | None
    standing_id: int | None = None
    # Every term, in number order (the current one last).
    terms: list[Term] = field(default_factory=list)
    # (committee id, name without the congress's name) of each special committee.
    specials: list[tuple[int, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Congress({self.id} {self.name})"

    @property
    def title(self) -> str:
        """The name without '人民代表大会': '吉林省', or '全国' for the national congress."""
        return "全国" if self.level == "NATIONAL" else self.name.removesuffix("人民代表大会")


ETHNIC_PREFIXES = (
    "朝鲜",
    "土家",
    "苗",
    "布依",
    "侗",
    "彝",
    "藏",
    "傣",
    "景颇",
    "白",
    "哈尼",
    "壮",
    "傈僳",
    "回",
    "蒙古",
    "哈萨克",
    "柯尔克孜",
    "羌",
)


def short_name(region: Region) -> str:
    """'长春' for 长春市, '延边' for 延边朝鲜族自治州, '大兴安岭' for 大兴安岭地区."""
    name = region.name
    if region.level == "PROVINCIAL":
        return PROVINCE_SHORT.get(region.code, name)
    if region.level != "PREFECTURAL":
        return name
    if name.endswith("自治州"):
        cut = min((i for p in ETHNIC_PREFIXES if (i := name.find(p)) > 0), default=len(name) - 3)
        return name[:cut]
    for suffix in ("地区", "市", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name.removesuffix(suffix)
    return name


@dataclass(slots=True, repr=False)
class World:
    regions: dict[str, Region]
    root: Region
    congresses: list[Congress]

    def region(self, code: str) -> Region:
        return self.regions[code]


async def load_world(connection: AsyncConnection, seed: int) -> World:
    """Regions, congresses with their current and previous terms, and committees."""
    # Only code and parent are read (not the table's subtree column), and the tree and its
    # paths are built here.
    rows = (
        await connection.execute(
            text("SELECT code, parent_code, level::text, kind, name FROM regions ORDER BY code")
        )
    ).all()
    regions = {
        code: Region(code, None, level, kind, name, "") for code, _, level, kind, name in rows
    }
    for code, parent_code, *_ in rows:
        if parent_code:
            region = regions[code]
            region.parent = regions[parent_code]
            region.parent.children.append(region)
    root = next(r for r in regions.values() if r.parent is None)
    _set_paths(root, "")

    terms: dict[int, list[Term]] = {}
    for term_id, congress_id, number, start, end in await connection.execute(
        text("SELECT id, congress_id, number, start_date, end_date FROM terms ORDER BY number")
    ):
        terms.setdefault(congress_id, []).append(Term(term_id, number, start, end))

    congresses: dict[int, Congress] = {}
    for congress_id, region_code, level, name in await connection.execute(
        text("SELECT id, region_code, level::text, name FROM congresses ORDER BY id")
    ):
        own = terms.get(congress_id, [])
        current = [t for t in own if t.end is None]
        if not current:
            continue
        earlier = [t for t in own if t.end is not None and t.number < current[-1].number]
        region = regions[region_code]
        congress = Congress(
            congress_id, region, level, name, current[-1], earlier[-1] if earlier else None
        )
        congress.terms = own
        region.congress = congress
        congresses[congress_id] = congress

    for committee_id, congress_id, kind, name in await connection.execute(
        text("SELECT id, congress_id, kind::text, name FROM committees ORDER BY id")
    ):
        owner = congresses.get(congress_id)
        if owner is None:
            continue
        if kind == "STANDING_COMMITTEE":
            owner.standing_id = committee_id
        elif kind == "SPECIAL_COMMITTEE":
            owner.specials.append((committee_id, name.removeprefix(owner.name)))

    assign_populations(root, seed)
    return World(regions, root, list(congresses.values()))


def _set_paths(region: Region, above: str) -> None:
    region.path = above + region.code + "/"
    for child in region.children:
        _set_paths(child, region.path)


# Typical residents of a township-level division by kind (lowest, highest).
TOWNSHIP_PEOPLE = {
    "SUBDISTRICT": (25_000, 110_000),
    "TOWN": (15_000, 70_000),
    "OTHER_TOWNSHIP": (3_000, 30_000),
}
DEFAULT_TOWNSHIP_PEOPLE = (5_000, 26_000)
# A county-level unit with no township-level divisions under it.
LEAF_COUNTY_PEOPLE = (60_000, 400_000)


def assign_populations(root: Region, seed: int) -> None:
    """Give every region a population: real province totals split by plausible weights.

    Township-level weights come from their kind (sub-districts are larger than townships)
    times a per-county factor; county and prefecture populations are the sums of their
    parts, so the parts add up to the real province figure.
    """
    for province in root.children:
        millions = PROVINCE_POPULATION.get(province.code)
        if millions is None:
            continue
        leaves: list[Region] = []
        for county in county_units(province):
            rng = random.Random(f"{seed}:population:{county.code}")
            factor = rng.uniform(0.6, 1.5)
            towns = [c for c in county.children if c.level == "TOWNSHIP"]
            if county.level == "TOWNSHIP" or not towns:
                low, high = (
                    LEAF_COUNTY_PEOPLE
                    if county.level == "COUNTY"
                    else TOWNSHIP_PEOPLE.get(county.kind, DEFAULT_TOWNSHIP_PEOPLE)
                )
                county.population = rng.uniform(low, high) * factor
                leaves.append(county)
                continue
            for town in towns:
                low, high = TOWNSHIP_PEOPLE.get(town.kind, DEFAULT_TOWNSHIP_PEOPLE)
                town.population = rng.uniform(low, high) * factor
                leaves.append(town)
        total = sum(r.population for r in leaves)
        ratio = millions * 1_000_000 / total if total else 0.0
        for leaf in leaves:
            leaf.population *= ratio
            for above in leaf.ancestors()[1:]:
                if above is root:
                    break
                above.population += leaf.population


def county_units(region: Region) -> list[Region]:
    """County-level regions below, plus townships hanging directly under a prefecture."""
    found: list[Region] = []
    for child in region.children:
        if child.level == "COUNTY" or (child.level == "TOWNSHIP" and region.level != "COUNTY"):
            found.append(child)
        elif child.level in ("PREFECTURAL", "PROVINCIAL"):
            found.extend(county_units(child))
    return found


def _weighted(rng: random.Random, items: list[Region], cumulative: list[float]) -> Region:
    return items[min(bisect(cumulative, rng.random() * cumulative[-1]), len(items) - 1)]


def pick_locality(rng: random.Random, region: Region, level: str) -> Region:
    """Where a deputy of a congress in `region` lives: a county- or township-level region.

    Weighted by population; a county-level pick is the county itself with a level-dependent
    chance (officials and higher-level deputies often live in the county seat).
    """
    if region.level == "TOWNSHIP":
        return region
    if region.level in ("NATIONAL", "PROVINCIAL", "PREFECTURAL"):
        if region.units is None:
            units = county_units(region)
            region.units = (units, list(accumulate(max(u.population, 1.0) for u in units)))
        units, cumulative = region.units
        if not units:
            return region
        region = _weighted(rng, units, cumulative)
        if region.level == "TOWNSHIP":
            return region
    towns = [c for c in region.children if c.level == "TOWNSHIP"]
    if not towns or rng.random() < COUNTY_SELF_LOCALITY.get(level, 0.15):
        return region
    if region.units is None:
        region.units = (towns, list(accumulate(max(t.population, 1.0) for t in towns)))
    return _weighted(rng, *region.units)


def child_on_path(top: Region, below: Region) -> Region | None:
    """The child of `top` on the way down to `below` (None when `below` is `top`)."""
    chain = below.ancestors()
    for i, region in enumerate(chain):
        if region is top:
            return chain[i - 1] if i > 0 else None
    return None


def electing_congress(top: Region, below: Region) -> Congress | None:
    """The first congress under `top` on the way down to `below`: the one that elected a
    deputy of `top`'s congress who lives in `below` (indirect election)."""
    chain = below.ancestors()
    for i, region in enumerate(chain):
        if region is top:
            for lower in reversed(chain[:i]):
                if lower.congress is not None:
                    return lower.congress
            return None
    return None
