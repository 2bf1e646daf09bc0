"""State shared by the generation steps: the world, the scale, ids, and who sits where."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from seed.model import Batch, Deputy, Ids, Mandate, Progress
from seed.people import make_person
from seed.scales import ScalePlan
from seed.world import Congress, Region, Term, World


def _no_progress(label: str, advance: int) -> None:
    return None


@dataclass
class Context:
    world: World
    plan: ScalePlan
    seed: int
    ids: Ids
    # Deputies of a higher congress who will also sit in the congress of this region code.
    pending: dict[str, list[Deputy]] = field(default_factory=dict)
    # National deputies by the province they live in (kept for the provinces' own steps).
    national: dict[str, list[Deputy]] = field(default_factory=dict)
    # National mandates by the province their deputy lives in (for the provinces' duty work).
    national_by_residence: dict[str, list[Mandate]] = field(default_factory=dict)
    # Voter pseudonyms handed out so far (the column is unique).
    pseudonyms: set[str] = field(default_factory=set)
    tick: Progress = _no_progress

    def person(
        self,
        batch: Batch,
        rng: random.Random,
        level: str,
        congress_region: Region,
        locality: Region,
    ) -> Deputy:
        """A new person living in `locality`, written to the batch."""
        row, born = make_person(rng, level, congress_region, locality)
        deputy = Deputy(self.ids.next("deputies"), locality, born)
        batch.add("deputies", (deputy.id, *row))
        batch.deputies.append(deputy)
        return deputy

    def mandate(
        self,
        batch: Batch,
        deputy: Deputy,
        congress: Congress,
        term: Term,
        start: date,
        *,
        unit: str | None,
        delegation: str | None,
        end: date | None = None,
        reason: str | None = None,
        by_election: bool = False,
        suspended: date | None = None,
    ) -> Mandate:
        """A seat for `deputy`, written to the batch; status follows from the dates."""
        mandate = Mandate(self.ids.next("mandates"), deputy, congress, term, start, end, suspended)
        status = "TERMINATED" if end is not None else "SUSPENDED" if suspended else "ACTIVE"
        batch.add(
            "mandates",
            (
                mandate.id,
                deputy.id,
                congress.id,
                term.id,
                congress.level,
                unit,
                delegation,
                start,
                end,
                status,
                reason,
                by_election,
                suspended,
                None,
            ),
        )
        deputy.mandates.append(mandate)
        return mandate
