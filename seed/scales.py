"""What each scale fills: which congresses get deputies, where stations are, how many seats."""

from __future__ import annotations

from dataclasses import dataclass

from seed.params import PROVINCE_POPULATION
from seed.world import Congress, Region

DEMO_PROVINCES = ("220000", "370000", "420000", "520000")
SMALL_PROVINCES = ("220000", "420000")
SMALL_PREFECTURES = ("220400", "420500")


@dataclass(frozen=True)
class ScalePlan:
    name: str
    # Multiplies seats, committee sizes and stations (1.0 is the legal, national size).
    factor: float
    # Provinces whose delegation to the National People's Congress is generated.
    delegations: frozenset[str]
    # Regions whose whole subtree is filled: every congress, and the liaison stations.
    subtrees: frozenset[str]
    # Congresses filled on their own (without the congresses below them).
    singles: frozenset[str]

    def fills(self, congress: Congress) -> bool:
        if congress.level == "NATIONAL":
            return bool(self.delegations)
        return congress.region.code in self.singles or self.covers(congress.region)

    def covers(self, region: Region) -> bool:
        """Inside a fully generated subtree (so it has stations and local deputies)."""
        return any(r.code in self.subtrees for r in region.ancestors())

    @property
    def provinces(self) -> list[str]:
        """Provinces with any congress filled below the national level, in code order."""
        codes = {code[:2] + "0000" for code in self.subtrees | self.singles}
        return sorted(codes)


def parse_scale(scale: str) -> ScalePlan:
    """'small', 'demo', 'national', or a positive fraction of national such as '0.1'."""
    everywhere = frozenset(PROVINCE_POPULATION)
    if scale == "small":
        return ScalePlan(
            "small",
            1.0,
            frozenset(SMALL_PROVINCES),
            frozenset(SMALL_PREFECTURES),
            frozenset(SMALL_PROVINCES),
        )
    if scale == "demo":
        return ScalePlan("demo", 1.0, everywhere, frozenset(DEMO_PROVINCES), frozenset())
    if scale == "national":
        return ScalePlan("national", 1.0, everywhere, everywhere, frozenset())
    try:
        factor = float(scale)
    except ValueError:
        factor = 0.0
    if not 0.0 < factor <= 10.0:
        raise ValueError(
            f"unknown scale {scale!r}: use small, demo, national or a fraction such as 0.1"
        )
    return ScalePlan(scale, factor, everywhere, everywhere, frozenset())
