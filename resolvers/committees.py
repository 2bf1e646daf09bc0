"""Congresses, their terms and committees."""

from __future__ import annotations

from sqlalchemy import select

from db.columns import table_of
from db.committees import Committee as CommitteeRow
from db.committees import Congress as CongressRow
from db.committees import Term as TermRow
from resolvers.loaders import RowByKeyLoader, RowsByKeyLoader

congresses = table_of(CongressRow)
terms = table_of(TermRow)
committees = table_of(CommitteeRow)


class CongressByIdLoader(RowByKeyLoader):
    query = select(congresses)
    key = congresses.c.id


class CongressByRegionLoader(RowByKeyLoader):
    query = select(congresses)
    key = congresses.c.region_code


class TermByIdLoader(RowByKeyLoader):
    query = select(terms)
    key = terms.c.id


class TermsByCongressLoader(RowsByKeyLoader):
    query = select(terms).order_by(terms.c.number)
    key = terms.c.congress_id


class CommitteeByIdLoader(RowByKeyLoader):
    query = select(committees)
    key = committees.c.id


class CommitteesByCongressLoader(RowsByKeyLoader):
    query = select(committees).order_by(committees.c.id)
    key = committees.c.congress_id
