"""Fixed voter contacts (联系选民) for the deputies of the congresses of a few prefectures:
eight to twelve voters each, living in a division the deputy represents, under random
pseudonyms. (At national scale that would be 28 million rows, so a sample.)"""

from __future__ import annotations

import random
from datetime import timedelta

from seed.model import between, pick
from seed.params import AS_OF
from seed.roster import Body, DutyBatch
from seed.scales import SMALL_PREFECTURES
from seed.texts import PLACE_WORDS

VOTER_REGIONS = SMALL_PREFECTURES
VOTERS = (8, 12)
ENDED = 0.05
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _pseudonym(batch: DutyBatch, rng: random.Random) -> str:
    while True:
        bits = rng.getrandbits(60)
        drawn = "V" + "".join(ALPHABET[(bits >> shift) & 31] for shift in range(0, 60, 5))
        if drawn not in batch.pseudonyms:
            batch.pseudonyms.add(drawn)
            return drawn


def keep_voters(batch: DutyBatch, rng: random.Random, body: Body, seen: set[int]) -> None:
    """Each deputy of the congress (once, at the first congress met) gets their voters."""
    if not any(code in body.lineage for code in VOTER_REGIONS) or not body.terms:
        return
    for seat in body.own:
        if seat.deputy_id in seen:
            continue
        since = max(seat.start, body.terms[-1][1]) + timedelta(days=between(rng, 5, 60))
        if since > AS_OF or not seat.active_on(since):
            continue
        seen.add(seat.deputy_id)
        # Voters live where the deputy does, when that is inside the congress's region.
        inside = body.region_code in seat.locality
        for _ in range(between(rng, *VOTERS)):
            if body.level == "TOWNSHIP":
                code = body.region_code
            elif inside and rng.random() < 0.7:
                code = seat.locality[-1]
            else:
                code = pick(rng, body.children)[0] if body.children else body.region_code
            community = f"{pick(rng, PLACE_WORDS)}{'社区' if rng.random() < 0.5 else '村'}"
            until = since + timedelta(days=between(rng, 30, 400)) if rng.random() < ENDED else None
            if until is not None and until > AS_OF:
                until = None
            row = (
                batch.next("voter_contacts"),
                seat.deputy_id,
                _pseudonym(batch, rng),
                code,
                community,
                since,
                until,
            )
            batch.add("voter_contacts", row)
