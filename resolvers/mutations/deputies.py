"""Creating deputies and giving, suspending or ending their mandates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.codes import Code
from db.enums import Gender, Level, MandateEndReason, MandateStatus
from db.pinyin import name_pinyin, search_vector
from resolvers.mutations.base import Actor
from resolvers.mutations.tables import deputies, mandates, regions, terms
from resolvers.mutations.write import Write

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
    w: Write,
    path: tuple[str, ...],
    spec: MandateSpec,
    locality: Row[Any] | None,
    deputy_id: int | None,
) -> tuple[Row[Any], Row[Any]] | None:
    """The congress and term of a new mandate, once every rule for it holds."""
    congress = await w.find((*path, "congressId"), spec.congress_id, "Congress")
    if congress is None:
        return None
    term = (
        await w.conn.execute(
            select(terms).where(
                terms.c.congress_id == congress.id, terms.c.number == spec.term_number
            )
        )
    ).first()
    if term is None:
        w.add(
            (*path, "termNumber"),
            f"{congress.name} has no term number {spec.term_number}.",
            Code.NOT_FOUND,
        )
        return None
    w.refuse(
        spec.start_date < term.start_date or (term.end_date and spec.start_date > term.end_date),
        (*path, "startDate"),
        f"The start date {spec.start_date} lies outside term {term.number} "
        f"({term.start_date} to {term.end_date or 'now'}).",
    )
    if locality is not None and congress.level is not Level.NATIONAL:
        w.refuse(
            congress.region_code not in locality.lineage,
            (*path, "congressId"),
            f"A deputy living in {locality.name} cannot sit in {congress.name}: the locality "
            "lies outside the congress's region.",
            Code.LOCALITY_OUTSIDE_REGION,
        )
    if deputy_id is not None:
        held = await w.conn.scalar(
            select(mandates.c.id).where(
                mandates.c.deputy_id == deputy_id,
                mandates.c.term_id == term.id,
                mandates.c.status != MandateStatus.TERMINATED,
            )
        )
        w.refuse(
            held is not None,
            (*path, "congressId"),
            f"The deputy already holds a mandate in term {term.number} of {congress.name}.",
            Code.MANDATE_OVERLAP,
        )
    return congress, term


async def _insert_mandate(
    w: Write, action: str, deputy_id: int, spec: MandateSpec, congress: Row[Any], term: Row[Any]
) -> int:
    found = {"congress_id": congress.id, "term_id": term.id, "level": congress.level}
    return await w.create(
        action, "Mandate", mandates, spec, deputy_id=deputy_id, status=MandateStatus.ACTIVE, **found
    )


def _check_person(w: Write, spec: DeputySpec) -> None:
    w.refuse(
        not spec.name.strip() or len(spec.name.strip()) > 40,
        "name",
        "A name has 1 to 40 characters.",
    )
    this_year = date.today().year
    w.refuse(
        spec.birth_year is not None and not 1900 <= spec.birth_year <= this_year - 18,
        "birthYear",
        f"A birth year lies between 1900 and {this_year - 18}.",
    )
    w.refuse(
        spec.phone is not None and not PHONE.match(spec.phone),
        "phone",
        "A phone number has 7 to 20 digits.",
    )


async def create_deputy(conn: AsyncConnection, actor: Actor, spec: DeputySpec) -> int:
    w = Write(conn, actor)
    _check_person(w, spec)
    locality = await w.region("localityCode", spec.locality_code)
    if locality is not None:
        w.refuse(
            locality.level not in (Level.COUNTY, Level.TOWNSHIP),
            "localityCode",
            f"A locality is a county- or township-level region; {locality.name} is "
            f"{locality.level.name.lower()}.",
        )
    checked = await _check_mandate(w, ("mandate",), spec.mandate, locality, None)
    w.check()
    assert checked is not None and locality is not None
    name = spec.name.strip()
    key = await w.create(
        "createDeputy",
        "Deputy",
        deputies,
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
    await _insert_mandate(w, "createDeputy", key, spec.mandate, *checked)
    return key


async def add_mandate(
    conn: AsyncConnection, actor: Actor, deputy_id: str, mandate: MandateSpec
) -> int:
    w = Write(conn, actor)
    deputy = await w.find("deputyId", deputy_id, "Deputy", lock=True)
    locality = await w.one(regions, code=deputy.locality_code) if deputy is not None else None
    checked = await _check_mandate(
        w, ("mandate",), mandate, locality, deputy.id if deputy else None
    )
    w.check()
    assert deputy is not None and checked is not None
    return await _insert_mandate(w, "addMandate", deputy.id, mandate, *checked)


async def end_mandate(
    conn: AsyncConnection,
    actor: Actor,
    mandate_id: str,
    end_date: date,
    reason: MandateEndReason,
    status: MandateStatus | None = None,
    expected_version: int | None = None,
) -> int:
    status = status or MandateStatus.TERMINATED
    w = Write(conn, actor)
    mandate = await w.find("mandateId", mandate_id, "Mandate", lock=True)
    # Checked on the locked row: a concurrent change has either committed or waits for us.
    if mandate is not None and expected_version is not None:
        w.refuse(
            mandate.version != expected_version,
            "expectedVersion",
            f"The mandate was changed since you read it (version {expected_version}, now "
            f"{mandate.version}): read it again and decide on what it says now.",
            Code.STALE_WRITE,
        )
    w.refuse(status is MandateStatus.ACTIVE, "status", "A mandate ends as SUSPENDED or TERMINATED.")
    if mandate is not None:
        if mandate.status is MandateStatus.TERMINATED:
            w.add(("mandateId",), "The mandate has already ended.", Code.ALREADY_ENDED)
        elif status is MandateStatus.SUSPENDED and mandate.status is MandateStatus.SUSPENDED:
            w.add(("mandateId",), "The mandate is already suspended.", Code.ALREADY_SUSPENDED)
        w.refuse(
            end_date < mandate.start_date,
            "endDate",
            f"The end date {end_date} is before the mandate began ({mandate.start_date}).",
        )
        w.refuse(
            mandate.suspended_from
            and status is MandateStatus.TERMINATED
            and end_date < mandate.suspended_from,
            "endDate",
            "The end date is before the suspension began.",
        )
    w.check()
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
    await w.audit("endMandate", "Mandate", mandate.id, before=mandate, after=after)
    return int(mandate.id)
