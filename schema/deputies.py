"""GraphQL types of deputies, their mandates and committee memberships, and the deputy list."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from core.permissions import can_see_personal, needs_region_check
from db.enums import CommitteeRole, Gender, Level, MandateEndReason, MandateStatus
from resolvers import changes
from resolvers import deputies as resolve
from schema.committees import Committee, Congress, Term
from schema.node import Node, decode_int_id
from schema.pagination import Connection, page_args_for, to_connection
from schema.regions import Region

if TYPE_CHECKING:
    from schema.activities import Activity
    from schema.attendance import Attendance
    from schema.contacts import ContactAssignment
    from schema.duty_records import DutyRecord
    from schema.groups import DeputyGroup
    from schema.stations import Station
    from schema.suggestions import Suggestion
    from schema.voters import VoterContact

StationRef = Annotated["Station", strawberry.lazy("schema.stations")]
GroupRef = Annotated["DeputyGroup", strawberry.lazy("schema.groups")]
ContactRef = Annotated["ContactAssignment", strawberry.lazy("schema.contacts")]
AttendanceRef = Annotated["Attendance", strawberry.lazy("schema.attendance")]
SuggestionRef = Annotated["Suggestion", strawberry.lazy("schema.suggestions")]
ActivityRef = Annotated["Activity", strawberry.lazy("schema.activities")]
DutyRecordRef = Annotated["DutyRecord", strawberry.lazy("schema.duty_records")]
VoterContactRef = Annotated["VoterContact", strawberry.lazy("schema.voters")]


@strawberry.enum
class DeputyOrderField(enum.Enum):
    NAME_PINYIN = "NAME_PINYIN"
    LEVEL = "LEVEL"
    BIRTH_YEAR = "BIRTH_YEAR"


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class DeputyOrder:
    field: DeputyOrderField
    direction: OrderDirection | None = OrderDirection.ASC


@strawberry.input
class DeputyFilter:
    levels: list[Level] | None = strawberry.field(
        default=None, description="Only mandates at these levels."
    )
    region_code: str | None = strawberry.field(
        default=None,
        description="Only mandates in congresses of this region and below (division code).",
    )
    locality_code: str | None = strawberry.field(
        default=None,
        description="Only deputies whose locality lies in this region or below, whatever the "
        "level of their mandates (a place's 五级代表).",
    )
    as_of: date | None = strawberry.field(
        default=None, description="Mandates as they stood on this date instead of today (history)."
    )
    congress_id: strawberry.ID | None = None
    status: MandateStatus | None = strawberry.field(default=None, description="Defaults to ACTIVE.")
    is_grassroots: bool | None = None
    gender: Gender | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Name, pinyin or pinyin initials: '李俊峰', 'li jun feng', 'lijunfeng', 'ljf'.",
    )
    station_id: strawberry.ID | None = None
    group_id: strawberry.ID | None = None


def _id_key(global_id: str | None, type_name: str) -> tuple[int | None, bool]:
    """(key, impossible): an ID of another type or a malformed one matches nothing."""
    if global_id is None:
        return None, False
    key = decode_int_id(global_id, type_name)
    return key, key is None


def deputy_spec(
    given: DeputyFilter | None, *, term_number: int | None = None
) -> resolve.DeputySpec:
    f = given or DeputyFilter()
    congress, bad_congress = _id_key(f.congress_id, "Congress")
    station, bad_station = _id_key(f.station_id, "Station")
    group, bad_group = _id_key(f.group_id, "DeputyGroup")
    return resolve.DeputySpec(
        levels=tuple(f.levels) if f.levels else None,
        region_code=f.region_code.strip() if f.region_code else None,
        locality_code=f.locality_code.strip() if f.locality_code else None,
        as_of=f.as_of,
        congress_id=congress,
        term_number=term_number,
        status=f.status or MandateStatus.ACTIVE,
        is_grassroots=f.is_grassroots,
        gender=f.gender,
        search=f.search if f.search and f.search.strip() else None,
        station_id=station,
        group_id=group,
        impossible=bad_congress or bad_station or bad_group,
    )


def deputy_order(order: DeputyOrder | None) -> resolve.DeputyOrder:
    if order is None:
        return resolve.DeputyOrder()
    return resolve.DeputyOrder(order.field.value, order.direction is OrderDirection.DESC)


@strawberry.type(
    description="A person who holds, or held, a deputy's mandate at one or more levels."
)
class Deputy(Node):
    name: str
    name_pinyin: str = strawberry.field(
        description="Toneless pinyin, space-separated syllables, e.g. 'li jun feng'."
    )
    gender: Gender
    ethnicity: str | None
    birth_year: int | None
    party: str | None
    occupation: str | None
    is_grassroots: bool = strawberry.field(
        description="基层代表: workers, farmers and professional technicians on the front line."
    )
    updated_at: datetime = strawberry.field(description="When the record last changed.")
    id_: strawberry.Private[int]
    locality_code: strawberry.Private[str]
    personal: strawberry.Private[dict[str, Any]]

    @classmethod
    def from_row(cls, row: Any) -> Deputy:
        return cls(
            node_key=row.id,
            id_=row.id,
            name=row.name,
            name_pinyin=row.name_pinyin,
            gender=row.gender,
            ethnicity=row.ethnicity,
            birth_year=row.birth_year,
            party=row.party,
            occupation=row.occupation,
            is_grassroots=row.is_grassroots,
            updated_at=row.updated_at,
            locality_code=row.locality_code,
            personal={"phone": row.phone, "birth_date": row.birth_date, "id_number": row.id_number},
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Deputy | None:
        row = await info.context.loader(resolve.DeputyByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    async def _personal(self, info: Info, name: str) -> Any:
        caller = info.context.caller
        lineage: list[str] = []
        if needs_region_check(caller):
            region = await Region.load(info, self.locality_code)
            lineage = region.lineage if region else []
        return self.personal[name] if can_see_personal(caller, lineage) else None

    @strawberry.field(
        description="Where the deputy lives or works: a county- or township-level region. Deputies "
        "of every level are stationed and grouped by it (就近入站)."
    )
    async def locality(self, info: Info) -> Region:
        region = await Region.load(info, self.locality_code)
        assert region is not None
        return region

    @strawberry.field(
        description="Personal contact: only for callers allowed to see personal data; null otherwise."
    )
    async def phone(self, info: Info) -> str | None:
        return await self._personal(info, "phone")

    @strawberry.field(description="Exact birth date: personal data, null for callers not allowed.")
    async def birth_date(self, info: Info) -> date | None:
        return await self._personal(info, "birth_date")

    @strawberry.field(
        description="Resident ID number: personal data, null for callers not allowed."
    )
    async def id_number(self, info: Info) -> str | None:
        return await self._personal(info, "id_number")

    async def _mandates(self, info: Info) -> list[Mandate]:
        rows = await info.context.loader(resolve.MandatesByDeputyLoader).load(self.id_)
        return [Mandate.from_row(r) for r in rows]

    @strawberry.field
    async def mandates(self, info: Info) -> list[Mandate]:
        return await self._mandates(info)

    @strawberry.field(
        description="Levels at which the person holds an active mandate, highest first."
    )
    async def active_levels(self, info: Info) -> list[Level]:
        active = {m.level for m in await self._mandates(info) if m.status is MandateStatus.ACTIVE}
        return [level for level in Level if level in active]

    @strawberry.field(description="Stations the deputy is assigned to.")
    async def stations(self, info: Info) -> list[StationRef]:
        from schema.stations import deputy_stations

        return await deputy_stations(info, self.id_)

    @strawberry.field(description="Groups the deputy belongs to.")
    async def groups(self, info: Info) -> list[GroupRef]:
        from schema.groups import deputy_groups

        return await deputy_groups(info, self.id_)

    @strawberry.field(description="Committee members assigned to keep in touch with this deputy.")
    async def contacts(self, info: Info) -> list[ContactRef]:
        from schema.contacts import deputy_contacts

        return await deputy_contacts(info, self.id_)

    @strawberry.field(
        description="Meetings attended as a non-voting attendee (列席), latest first."
    )
    async def attendances(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AttendanceRef]:
        from schema.attendance import deputy_attendances

        return await deputy_attendances(info, self.id_, first, after)

    @strawberry.field(description="Suggestions the deputy led or co-signed, the latest first.")
    async def suggestions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SuggestionRef]:
        from schema.suggestions import deputy_suggestions

        return await deputy_suggestions(info, self.id_, first, after)

    @strawberry.field(description="Activities between sessions taken part in, the latest first.")
    async def activities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ActivityRef]:
        from schema.activities import deputy_activities

        return await deputy_activities(info, self.id_, first, after)

    @strawberry.field(
        description="The duty record (履职档案) of one calendar year, counted from the registry."
    )
    async def duty_record(self, info: Info, year: int) -> DutyRecordRef:
        from schema.duty_records import duty_record

        return await duty_record(info, self.id_, year)

    @strawberry.field(
        description="How many voters the deputy keeps in touch with now (联系选民); the voters "
        "themselves are private."
    )
    async def voter_contact_count(self, info: Info) -> int:
        from schema.voters import deputy_voter_contact_count

        return await deputy_voter_contact_count(info, self.id_)

    @strawberry.field(
        description="The voters the deputy keeps in touch with, under pseudonyms: only those "
        "living in an editor's region (all for admins, none for anyone else)."
    )
    async def voter_contacts(self, info: Info) -> list[VoterContactRef]:
        from schema.voters import deputy_voter_contacts

        return await deputy_voter_contacts(info, self.id_)


@strawberry.type(description="A deputy's seat in one term of one congress.")
class Mandate(Node):
    level: Level
    electoral_unit: str | None = strawberry.field(
        description="选举单位 or 选区 that elected the deputy."
    )
    delegation: str | None = strawberry.field(
        description="代表团: the delegation the deputy sits in at sessions, for national and "
        "provincial congresses."
    )
    start_date: date
    end_date: date | None = strawberry.field(description="The last day of the mandate, once ended.")
    status: MandateStatus
    end_reason: MandateEndReason | None
    by_election: bool = strawberry.field(description="Elected at a by-election (补选).")
    suspended_from: date | None = strawberry.field(description="First day of a suspension.")
    suspended_until: date | None = strawberry.field(description="Last day of a suspension, if set.")
    version: int = strawberry.field(
        description="Grows with every change: pass it as `expectedVersion` so that a write "
        "based on what you read is refused (STALE_WRITE) if someone changed it since."
    )
    deputy_id: strawberry.Private[int]
    congress_id: strawberry.Private[int]
    term_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> Mandate:
        return cls(
            node_key=row.id,
            level=row.level,
            electoral_unit=row.electoral_unit,
            delegation=row.delegation,
            start_date=row.start_date,
            end_date=row.end_date,
            status=row.status,
            end_reason=row.end_reason,
            by_election=row.by_election,
            suspended_from=row.suspended_from,
            suspended_until=row.suspended_until,
            version=row.version,
            deputy_id=row.deputy_id,
            congress_id=row.congress_id,
            term_id=row.term_id,
        )

    @classmethod
    async def load(cls, info: Info, key: str | int) -> Mandate | None:
        row = await info.context.loader(resolve.MandateByIdLoader).load(int(key))
        return cls.from_row(row) if row else None

    @strawberry.field
    async def deputy(self, info: Info) -> Deputy:
        found = await Deputy.load(info, self.deputy_id)
        assert found is not None
        return found

    @strawberry.field
    async def congress(self, info: Info) -> Congress:
        found = await Congress.load(info, self.congress_id)
        assert found is not None
        return found

    @strawberry.field
    async def term(self, info: Info) -> Term:
        found = await Term.load(info, self.term_id)
        assert found is not None
        return found


@strawberry.type(description="常委会组成人员 and members of other committees.")
class CommitteeMembership:
    role: CommitteeRole
    start_date: date
    end_date: date | None
    committee_id: strawberry.Private[int]
    deputy_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: Any) -> CommitteeMembership:
        return cls(
            role=row.role,
            start_date=row.start_date,
            end_date=row.end_date,
            committee_id=row.committee_id,
            deputy_id=row.deputy_id,
        )

    @classmethod
    async def load(cls, info: Info, key: int) -> CommitteeMembership | None:
        row = await info.context.loader(resolve.MembershipByIdLoader).load(key)
        return cls.from_row(row) if row else None

    @strawberry.field
    async def committee(self, info: Info) -> Committee:
        found = await Committee.load(info, self.committee_id)
        assert found is not None
        return found

    @strawberry.field
    async def deputy(self, info: Info) -> Deputy:
        found = await Deputy.load(info, self.deputy_id)
        assert found is not None
        return found


async def committee_members(info: Info, committee_id: int) -> list[CommitteeMembership]:
    rows = await info.context.loader(resolve.MembershipsByCommitteeLoader).load(committee_id)
    return [CommitteeMembership.from_row(r) for r in rows]


async def region_deputies(
    info: Info,
    region_code: str,
    filter: DeputyFilter | None,
    order_by: DeputyOrder | None,
    first: int | None,
    after: str | None,
) -> Connection[Deputy]:
    key = (deputy_spec(filter), deputy_order(order_by))
    args = page_args_for(info, first, after)
    page = await info.context.loader(resolve.DeputiesByRegionLoader).load((region_code, key, args))
    return to_connection(page, Deputy.from_row)


async def congress_deputies(
    info: Info,
    congress_id: int,
    filter: DeputyFilter | None,
    order_by: DeputyOrder | None,
    term_number: int | None,
    first: int | None,
    after: str | None,
) -> Connection[Deputy]:
    # The congress itself is the loader's partition, so one statement serves every congress.
    spec = deputy_spec(filter, term_number=term_number or 0)
    args = page_args_for(info, first, after)
    loader = info.context.loader(resolve.DeputiesByCongressLoader)
    page = await loader.load((congress_id, (spec, deputy_order(order_by)), args))
    return to_connection(page, Deputy.from_row)


@strawberry.type
class DeputyQuery:
    @strawberry.field
    async def deputies(
        self,
        info: Info,
        filter: DeputyFilter | None = None,
        order_by: DeputyOrder | None = None,
        first: int | None = None,
        after: str | None = None,
        updated_since: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only deputies whose record, mandates, stations or groups changed at "
                "or after this time (a sync); then every mandate status unless the filter names "
                "one, so ended mandates show with their end date and reason."
            ),
        ] = None,
    ) -> Connection[Deputy]:
        page = await changes.search_deputies(
            info.context,
            deputy_spec(filter),
            deputy_order(order_by),
            page_args_for(info, first, after),
            updated_since,
            any_status=filter is None or filter.status is None,
        )
        return to_connection(page, Deputy.from_row)
