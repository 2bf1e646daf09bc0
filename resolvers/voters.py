"""Deputies' voter contacts: the records (for editors of the voters' region) and counts."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from sqlalchemy import func, or_, select

from db.models import regions, voter_contacts
from resolvers.loaders import Loader, RowByKeyLoader, RowsByKeyLoader

# Each record with the lineage of the voter's region, which decides who may see it.
WITH_LINEAGE = select(voter_contacts, regions.c.lineage.label("community_lineage")).join(
    regions, regions.c.code == voter_contacts.c.community_code
)


class VoterContactByIdLoader(RowByKeyLoader):
    query = WITH_LINEAGE
    key = voter_contacts.c.id


class VoterContactsByDeputyLoader(RowsByKeyLoader):
    """Current contacts first, then by when they began."""

    query = WITH_LINEAGE.order_by(
        voter_contacts.c.until.is_not(None), voter_contacts.c.since, voter_contacts.c.id
    )
    key = voter_contacts.c.deputy_id


class VoterContactCountLoader(Loader):
    """How many voters each deputy keeps in touch with now: the only public figure."""

    async def batch_load_fn(self, keys: Sequence[Hashable]) -> list[int]:
        v = voter_contacts
        query = (
            select(v.c.deputy_id, func.count().label("n"))
            .where(
                v.c.deputy_id.in_(keys),
                or_(v.c.until.is_(None), v.c.until >= func.current_date()),
            )
            .group_by(v.c.deputy_id)
        )
        counts: dict[Hashable, int] = {
            row.deputy_id: row.n for row in await self.context.db.execute(query)
        }
        return [counts.get(k, 0) for k in keys]
