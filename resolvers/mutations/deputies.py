"""Creating deputies and giving, suspending or ending their mandates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.columns import table_of
from db.committees import Congress as CongressRow
from db.committees import Term as TermRow
from db.deputies import Deputy as DeputyRow
from db.deputies import Mandate as MandateRow
from db.enums import Gender, Level, MandateEndReason, MandateStatus
from db.pinyin import name_pinyin, search_vector
from resolvers.mutations import lookups
from resolvers.mutations.base import Actor, Problems, audit

deputies = table_of(DeputyRow)
mandates = table_of(MandateRow)
congresses = table_of(CongressRow)
terms = table_of(TermRow)

PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,19}$")


@dataclass(frozen=True)
class MandateSpec:
    congress_id: str
    term_number: int
    start_date: date
    electoral_unit: str | None = None
    delegation: str | None = None
    by_election: bool = False


@dataclass(frozen=True)
class DeputySpec:
    name: str
    gender: Gender
    is_grassroots: bool
    locality_code: str
    mandate: MandateSpec
    ethnicity: str | None = None
    birth_year: int | None = None
    party: str | None = None
    occupation: str | None = None
    phone: str | None = None


async def _check_mandate(
    conn: AsyncConnection,
    problems: Problems,
    path: tuple[str, ...],
    spec: MandateSpec,
    locality: Row[Any] | None,
    deputy_id: int | None,
) -> tuple[Row[Any], Row[Any]] | None:
    """The congress and term of a new mandate, once every rule for it holds."""
    congress = await lookups.by_id(
        conn, problems, (*path, "congressId"), spec.congress_id, "Congress", congresses
    )
    if congress is None:
        return None
    term = (
        await conn.execute(
            select(terms).where(
                terms.c.congress_id == congress.id, terms.c.number == spec.term_number
            )
        )
    ).first()
    if term is None:
        problems.add(
            (*path, "termNumber"),
            f"{congress.name} has no term number {spec.term_number}.",
            Code.NOT_FOUND,
        )
        return None
    if spec.start_date < term.start_date or (term.end_date and spec.start_date > term.end_date):
        problems.add(
            (*path, "startDate"),
            f"The start date {spec.start_date} lies outside term {term.number} "
            f"({term.start_date} to {term.end_date or 'now'}).",
            Code.INVALID_VALUE,
        )
    if locality is not None and congress.level is not Level.NATIONAL:
        inside = congress.region_code in locality.lineage
        if not inside:
            problems.add(
                (*path, "congressId"),
                f"A deputy living in {locality.name} cannot sit in {congress.name}: the locality "
                "lies outside the congress's region.",
                Code.LOCALITY_OUTSIDE_REGION,
            )
    if deputy_id is not None:
        held = await conn.scalar(
            select(mandates.c.id).where(
                and_(
                    mandates.c.deputy_id == deputy_id,
                    mandates.c.term_id == term.id,
                    mandates.c.status != MandateStatus.TERMINATED,
                )
            )
        )
        if held is not None:
            problems.add(
                (*path, "congressId"),
                f"The deputy already holds a mandate in term {term.number} of {congress.name}.",
                Code.MANDATE_OVERLAP,
            )
    return congress, term


async def _insert_mandate(
    conn: AsyncConnection, deputy_id: int, spec: MandateSpec, congress: Row[Any], term: Row[Any]
) -> Row[Any]:
    return (
        await conn.execute(
            insert(mandates)
            .values(
                deputy_id=deputy_id,
                congress_id=congress.id,
                term_id=term.id,
                level=congress.level,
                electoral_unit=spec.electoral_unit,
                delegation=spec.delegation,
                start_date=spec.start_date,
                status=MandateStatus.ACTIVE,
                by_election=spec.by_election,
            )
            .returning(*mandates.c)
        )
    ).one()


def _check_person(problems: Problems, spec: DeputySpec) -> None:
    if not spec.name.strip() or len(spec.name.strip()) > 40:
        problems.add(("name",), "A name has 1 to 40 characters.", Code.INVALID_VALUE)
    this_year = date.today().year
    if spec.birth_year is not None and not 1900 <= spec.birth_year <= this_year - 18:
        problems.add(
            ("birthYear",),
            f"A birth year lies between 1900 and {this_year - 18}.",
            Code.INVALID_VALUE,
        )
    if spec.phone is not None and not PHONE.match(spec.phone):
        problems.add(("phone",), "A phone number has 7 to 20 digits.", Code.INVALID_VALUE)


async def create_deputy(conn: AsyncConnection, actor: Actor, spec: DeputySpec) -> int:
    problems = Problems()
    _check_person(problems, spec)
    locality = await lookups.region(conn, problems, ("localityCode",), spec.locality_code)
    if locality is not None and locality.level not in (Level.COUNTY, Level.TOWNSHIP):
        problems.add(
            ("localityCode",),
            f"A locality is a county- or township-level region; {locality.name} is "
            f"{locality.level.name.lower()}.",
            Code.INVALID_VALUE,
        )
    checked = await _check_mandate(conn, problems, ("mandate",), spec.mandate, locality, None)
    problems.check()
    assert checked is not None and locality is not None
    name = spec.name.strip()
    deputy = (
        await conn.execute(
            insert(deputies)
            .values(
                name=name,
                name_pinyin=name_pinyin(name),
                search_vector=search_vector(name),
                gender=spec.gender,
                ethnicity=spec.ethnicity,
                birth_year=spec.birth_year,
                party=spec.party,
                occupation=spec.occupation,
                is_grassroots=spec.is_grassroots,
                locality_code=locality.code,
                phone=spec.phone,
            )
            .returning(*deputies.c)
        )
    ).one()
    mandate = await _insert_mandate(conn, deputy.id, spec.mandate, *checked)
    await audit(conn, actor, "createDeputy", "Deputy", deputy.id, after=deputy)
    await audit(conn, actor, "createDeputy", "Mandate", mandate.id, after=mandate)
    return int(deputy.id)


async def add_mandate(
    conn: AsyncConnection, actor: Actor, deputy_id: str, spec: MandateSpec
) -> int:
    problems = Problems()
    deputy = await lookups.by_id(
        conn, problems, ("deputyId",), deputy_id, "Deputy", deputies, lock=True
    )
    locality = None
    if deputy is not None:
        locality = (
            await conn.execute(
                select(lookups.regions).where(lookups.regions.c.code == deputy.locality_code)
            )
        ).one()
    checked = await _check_mandate(
        conn, problems, ("mandate",), spec, locality, deputy.id if deputy else None
    )
    problems.check()
    assert deputy is not None and checked is not None
    mandate = await _insert_mandate(conn, deputy.id, spec, *checked)
    await audit(conn, actor, "addMandate", "Mandate", mandate.id, after=mandate)
    return int(mandate.id)


async def end_mandate(
    conn: AsyncConnection,
    actor: Actor,
    mandate_id: str,
    end_date: date,
    reason: MandateEndReason,
    status: MandateStatus,
    expected_version: int | None = None,
) -> int:
    problems = Problems()
    mandate = await lookups.by_id(
        conn, problems, ("mandateId",), mandate_id, "Mandate", mandates, lock=True
    )
    # Checked on the locked row: a concurrent change has either committed or waits for us.
    if mandate is not None and expected_version is not None and mandate.version != expected_version:
        problems.add(
            ("expectedVersion",),
            f"The mandate was changed since you read it (version {expected_version}, now "
            f"{mandate.version}): read it again and decide on what it says now.",
            Code.STALE_WRITE,
        )
    if status is MandateStatus.ACTIVE:
        problems.add(("status",), "A mandate ends as SUSPENDED or TERMINATED.", Code.INVALID_VALUE)
    if mandate is not None:
        if mandate.status is MandateStatus.TERMINATED:
            problems.add(("mandateId",), "The mandate has already ended.", Code.ALREADY_ENDED)
        elif status is MandateStatus.SUSPENDED and mandate.status is MandateStatus.SUSPENDED:
            problems.add(
                ("mandateId",), "The mandate is already suspended.", Code.ALREADY_SUSPENDED
            )
        if end_date < mandate.start_date:
            problems.add(
                ("endDate",),
                f"The end date {end_date} is before the mandate began ({mandate.start_date}).",
                Code.INVALID_VALUE,
            )
        if (
            mandate.suspended_from
            and status is MandateStatus.TERMINATED
            and end_date < mandate.suspended_from
        ):
            problems.add(
                ("endDate",), "The end date is before the suspension began.", Code.INVALID_VALUE
            )
    problems.check()
    assert mandate is not None
    values: dict[str, Any] = {
        "status": status,
        "version": mandate.version + 1,
        "updated_at": func.now(),
    }
    if status is MandateStatus.SUSPENDED:
        values["suspended_from"] = end_date
    else:
        values |= {"end_date": end_date, "end_reason": reason}
    after = (
        await conn.execute(
            update(mandates)
            .where(mandates.c.id == mandate.id)
            .values(**values)
            .returning(*mandates.c)
        )
    ).one()
    await audit(conn, actor, "endMandate", "Mandate", mandate.id, before=mandate, after=after)
    return int(mandate.id)
