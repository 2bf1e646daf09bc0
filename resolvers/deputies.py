"""Deputies and mandates: the filter every deputy list shares, orders, and loaders.

A filter becomes SQL in one place (`deputy_conditions`): conditions on the person, and one
EXISTS over mandates in which every mandate condition (levels, region, congress, term,
status or the date it stood on) must hold for the same mandate.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Column, ColumnElement, Select, and_, cast, func, literal, select, true
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql.expression import exists

from core.context import Context
from core.values import derived
from db.enums import Gender, Level, MandateStatus
from db.models import committee_memberships as memberships
from db.models import (
    congresses,
    deputies,
    mandates,
    regions,
    report_counts,
    station_assignments,
    terms,
)
from db.models import group_memberships as group_members
from db.pinyin import search_query
from db.rules import mandate_held, mandate_in_force, mandate_suspended
from resolvers.loaders import PageLoader, RowByKeyLoader, RowsByKeyLoader, linked
from resolvers.pagination import Ordering, Page, PageArgs, fetch_pages
from resolvers.regions import in_subtree, subtree_codes


@dataclass(frozen=True)
class DeputySpec:
    """A deputy filter in hashable form (loaders batch by it)."""

    levels: tuple[Level, ...] | None = None
    region_code: str | None = None
    locality_code: str | None = None
    as_of: date | None = None
    congress_id: int | None = None
    # For Congress.deputies: a term number, or 0 for the congress's current term.
    term_number: int | None = None
    status: MandateStatus = MandateStatus.ACTIVE
    is_grassroots: bool | None = None
    gender: Gender | None = None
    search: str | None = None
    station_id: int | None = None
    group_id: int | None = None
    # An ID that names nothing (a wrong type): the filter matches no one.
    impossible: bool = False


# The rules on mandates and dates are db.rules' (the mutations and the imports use them too).
in_force = mandate_held
suspended_on = mandate_suspended


def status_condition(m: Any, status: MandateStatus, as_of: date | None) -> ColumnElement[bool]:
    """Mandates with this status, today (as stored) or as they stood on `as_of`."""
    if as_of is None:
        return m.c.status == status
    if status is MandateStatus.TERMINATED:
        return and_(m.c.end_date.is_not(None), m.c.end_date < as_of)
    if status is MandateStatus.SUSPENDED:
        return and_(mandate_held(m, as_of), mandate_suspended(m, as_of))
    return mandate_in_force(m, as_of)


def congresses_within(region_code: str) -> Select[Any]:
    """Ids of the congresses of the region and of every region below it."""
    return select(congresses.c.id).where(congresses.c.region_code.in_(subtree_codes(region_code)))


def mandate_conditions(spec: DeputySpec, m: Any = mandates) -> list[ColumnElement[bool]]:
    conditions = [status_condition(m, spec.status, spec.as_of)]
    if spec.levels:
        conditions.append(m.c.level.in_(spec.levels))
    if spec.congress_id is not None:
        conditions.append(m.c.congress_id == spec.congress_id)
    if spec.region_code is not None:
        conditions.append(m.c.congress_id.in_(congresses_within(spec.region_code)))
    if spec.term_number is not None:
        term = select(terms.c.id).where(terms.c.congress_id == m.c.congress_id)
        if spec.term_number:
            term = term.where(terms.c.number == spec.term_number)
        else:
            term = term.where(terms.c.end_date.is_(None))
        conditions.append(m.c.term_id.in_(term))
    return conditions


def deputy_conditions(spec: DeputySpec) -> list[ColumnElement[bool]]:
    d = deputies
    if spec.impossible:
        return [literal(False)]
    conditions: list[ColumnElement[bool]] = [
        exists().where(mandates.c.deputy_id == d.c.id, *mandate_conditions(spec))
    ]
    if spec.is_grassroots is not None:
        conditions.append(d.c.is_grassroots.is_(spec.is_grassroots))
    if spec.gender is not None:
        conditions.append(d.c.gender == spec.gender)
    if spec.locality_code is not None:
        conditions.append(d.c.locality_code.in_(subtree_codes(spec.locality_code)))
    if spec.search is not None:
        query = derived(search_query, spec.search)  # a plan replays it per request
        conditions.append(
            d.c.search_vector.op("@@")(cast(query, TSQUERY)) if query else literal(False)
        )
    if spec.station_id is not None:
        conditions.append(
            exists().where(
                station_assignments.c.deputy_id == d.c.id,
                station_assignments.c.station_id == spec.station_id,
            )
        )
    if spec.group_id is not None:
        conditions.append(
            exists().where(
                group_members.c.deputy_id == d.c.id, group_members.c.group_id == spec.group_id
            )
        )
    return conditions


@dataclass(frozen=True)
class DeputyOrder:
    field: str = "NAME_PINYIN"
    descending: bool = False


def ordering(order: DeputyOrder, spec: DeputySpec) -> Ordering:
    d = deputies
    if order.field == "BIRTH_YEAR":
        keys: tuple[ColumnElement[Any], ...] = (func.coalesce(d.c.birth_year, 0), d.c.id)
    elif order.field == "LEVEL":
        # The highest level among the mandates the filter matched.
        top = (
            select(func.min(mandates.c.level))
            .where(mandates.c.deputy_id == d.c.id, *mandate_conditions(spec))
            .scalar_subquery()
        )
        keys = (top, d.c.name_pinyin, d.c.id)
    else:
        keys = (d.c.name_pinyin, d.c.id)
    return Ordering(f"deputy:{order.field}", keys, order.descending)


def deputy_query(spec: DeputySpec) -> Select[Any]:
    return select(deputies).where(*deputy_conditions(spec))


async def search_deputies(
    context: Context, spec: DeputySpec, order: DeputyOrder, args: PageArgs
) -> Page:
    pages = await fetch_pages(context.db, deputy_query(spec), ordering(order, spec), args)
    return pages[None]


BY_NAME = Ordering("deputy:NAME_PINYIN", (deputies.c.name_pinyin, deputies.c.id))


def deputies_linked(deputy: Column[Any], key: Column[Any]) -> Select[Any]:
    """Deputies by name, each with the `key` of the link row whose `deputy` names them."""
    return linked(deputies, deputy, key).order_by(*BY_NAME.keys)


class DeputyByIdLoader(RowByKeyLoader, key=deputies.c.id): ...


class MandateByIdLoader(RowByKeyLoader, key=mandates.c.id): ...


class MandatesByDeputyLoader(
    RowsByKeyLoader,
    key=mandates.c.deputy_id,
    order_by=(mandates.c.level, mandates.c.start_date, mandates.c.id),
): ...


class MembershipByIdLoader(RowByKeyLoader, key=memberships.c.id): ...


class MembershipsByCommitteeLoader(
    RowsByKeyLoader,
    key=memberships.c.committee_id,
    order_by=(memberships.c.role, memberships.c.start_date, memberships.c.id),
): ...


_parent_region = regions.alias()
_parent_congress = congresses.alias()


class DeputiesByRegionLoader(PageLoader[tuple[DeputySpec, DeputyOrder]]):
    """Region.deputies: mandates in the congresses of each region's subtree.

    The subtree's mandate holders are found once per parent region (a LATERAL join), not
    once per deputy, so the GIN lookup of the subtree runs a single time.
    """

    partition = _parent_region.c.code

    def source(self, extra: tuple[DeputySpec, DeputyOrder]) -> Select[Any]:
        spec, _ = extra
        holders = (
            select(mandates.c.deputy_id)
            .join(congresses, congresses.c.id == mandates.c.congress_id)
            .join(regions, regions.c.code == congresses.c.region_code)
            .where(in_subtree(regions.c.lineage, _parent_region.c.code), *mandate_conditions(spec))
            .distinct()
            .lateral("holders")
        )
        joined = _parent_region.join(holders, true()).join(
            deputies, deputies.c.id == holders.c.deputy_id
        )
        return select(deputies).select_from(joined).where(*deputy_conditions(spec))

    def page_ordering(self, extra: tuple[DeputySpec, DeputyOrder]) -> Ordering:
        spec, order = extra
        return ordering(order, spec)

    def counts(self, extra: tuple[DeputySpec, DeputyOrder]) -> Select[Any] | None:
        """Today's deputies of all levels, or of one, are totals kept per region
        (db/reports.py); other filters count the deputies themselves."""
        spec, _ = extra
        levels = spec.levels or (None,)
        if len(levels) != 1 or replace(spec, levels=None) != DeputySpec():
            return None
        rc = report_counts
        level = rc.c.level.is_(None) if levels[0] is None else rc.c.level == levels[0]
        return select(rc.c.region_code.label("_p"), rc.c.deputies.label("n")).where(
            rc.c.scope == "CONGRESSES", level
        )


class DeputiesByCongressLoader(PageLoader[tuple[DeputySpec, DeputyOrder]]):
    """Congress.deputies: mandates in each congress (its current term unless a number is given)."""

    partition = _parent_congress.c.id

    def source(self, extra: tuple[DeputySpec, DeputyOrder]) -> Select[Any]:
        spec, _ = extra
        in_congress = exists().where(
            mandates.c.deputy_id == deputies.c.id,
            mandates.c.congress_id == _parent_congress.c.id,
            *mandate_conditions(spec),
        )
        return (
            deputy_query(spec)
            .select_from(deputies.join(_parent_congress, true()))
            .where(in_congress)
        )

    def page_ordering(self, extra: tuple[DeputySpec, DeputyOrder]) -> Ordering:
        spec, order = extra
        return ordering(order, spec)
