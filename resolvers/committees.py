"""Congresses, their terms and committees."""

from __future__ import annotations

from db.models import committees, congresses, terms
from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader


class CongressByIdLoader(RowByKeyLoader, key=congresses.c.id): ...


class CongressByRegionLoader(RowByKeyLoader, key=congresses.c.region_code): ...


class TermByIdLoader(RowByKeyLoader, key=terms.c.id): ...


class TermsByCongressLoader(
    RowsByKeyLoader, key=terms.c.congress_id, order_by=(terms.c.number,)
): ...


class CommitteeByIdLoader(RowByKeyLoader, key=committees.c.id): ...


class CommitteesByCongressLoader(
    RowsByKeyLoader, key=committees.c.congress_id, order_by=(committees.c.id,)
): ...
