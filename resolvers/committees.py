"""Congresses, their terms and committees."""

from __future__ import annotations

from db.columns import table_of
from db.committees import Committee as CommitteeRow
from db.committees import Congress as CongressRow
from db.committees import Term as TermRow
from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader

congresses = table_of(CongressRow)
terms = table_of(TermRow)
committees = table_of(CommitteeRow)


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
