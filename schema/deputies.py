"""GraphQL types of deputies, their mandates and committee memberships, and the deputy list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from db.enums import CommitteeRole, Gender, Level, MandateEndReason, MandateStatus
from resolvers import changes
from resolvers import deputies as resolve
from resolvers.attendance import AttendancesByDeputyLoader
from resolvers.committees import CommitteeByIdLoader, CongressByIdLoader, TermByIdLoader
from resolvers.contacts import ContactsByDeputyLoader
from resolvers.groups import GroupsByDeputyLoader
from resolvers.regions import RegionByCodeLoader
from resolvers.relations import ActiveLevels, Listing, PageOf, ToMany, ToOne
from resolvers.stations import StationsByDeputyLoader
from schema.fields import RowObject, personal, relation
from schema.inputs import DeputyFilter, DeputyOrder, deputy_order, deputy_spec
from schema.node import Node
from schema.pagination import Connection
from schema.refs import (
    ActivityRef,
    AttendanceRef,
    CommitteeRef,
    CongressRef,
    ContactRef,
    DutyRecordRef,
    GroupRef,
    RegionRef,
    StationRef,
    SuggestionRef,
    TermRef,
    VoterContactRef,
)


@strawberry.type(
    description="A person who holds, or held, a deputy's mandate at one or more levels."
)
class Deputy(Node):
    key_loader = resolve.DeputyByIdLoader

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
    locality: RegionRef = relation(
        ToOne(RegionByCodeLoader, "locality_code"),
        description="Where the deputy lives or works: a county- or township-level region. "
        "Deputies of every level are stationed and grouped by it (就近入站).",
    )
    phone: str | None = personal(
        "locality_code",
        description="Personal contact: only for callers allowed to see personal data; null "
        "otherwise.",
    )
    birth_date: date | None = personal(
        "locality_code",
        description="Exact birth date: personal data, null for callers not allowed.",
    )
    id_number: str | None = personal(
        "locality_code",
        description="Resident ID number: personal data, null for callers not allowed.",
    )
    mandates: list[Mandate] = relation(ToMany(resolve.MandatesByDeputyLoader, "id"))
    active_levels: list[Level] = relation(
        ActiveLevels(),
        description="Levels at which the person holds an active mandate, highest first.",
    )
    stations: list[StationRef] = relation(
        ToMany(StationsByDeputyLoader, "id"), description="Stations the deputy is assigned to."
    )
    groups: list[GroupRef] = relation(
        ToMany(GroupsByDeputyLoader, "id"), description="Groups the deputy belongs to."
    )
    contacts: list[ContactRef] = relation(
        ToMany(ContactsByDeputyLoader, "id"),
        description="Committee members assigned to keep in touch with this deputy.",
    )
    attendances: Connection[AttendanceRef] = relation(
        PageOf(AttendancesByDeputyLoader, "id"),
        description="Meetings attended as a non-voting attendee (列席), latest first.",
    )

    @strawberry.field(description="Suggestions the deputy led or co-signed, the latest first.")
    async def suggestions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SuggestionRef]:
        from schema.suggestions import deputy_suggestions

        return await deputy_suggestions(info, self.row.id, first, after)

    @strawberry.field(description="Activities between sessions taken part in, the latest first.")
    async def activities(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[ActivityRef]:
        from schema.activities import deputy_activities

        return await deputy_activities(info, self.row.id, first, after)

    @strawberry.field(
        description="The duty record (履职档案) of one calendar year, counted from the registry."
    )
    async def duty_record(self, info: Info, year: int) -> DutyRecordRef:
        from schema.duty_records import duty_record

        return await duty_record(info, self.row.id, year)

    @strawberry.field(
        description="How many voters the deputy keeps in touch with now (联系选民); the voters "
        "themselves are private."
    )
    async def voter_contact_count(self, info: Info) -> int:
        from schema.voters import deputy_voter_contact_count

        return await deputy_voter_contact_count(info, self.row.id)

    @strawberry.field(
        description="The voters the deputy keeps in touch with, under pseudonyms: only those "
        "living in an editor's region (all for admins, none for anyone else)."
    )
    async def voter_contacts(self, info: Info) -> list[VoterContactRef]:
        from schema.voters import deputy_voter_contacts

        return await deputy_voter_contacts(info, self.row.id)


@strawberry.type(description="A deputy's seat in one term of one congress.")
class Mandate(Node):
    key_loader = resolve.MandateByIdLoader

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
    deputy: Deputy = relation(ToOne(resolve.DeputyByIdLoader, "deputy_id"))
    congress: CongressRef = relation(ToOne(CongressByIdLoader, "congress_id"))
    term: TermRef = relation(ToOne(TermByIdLoader, "term_id"))


@strawberry.type(description="常委会组成人员 and members of other committees.")
class CommitteeMembership(RowObject):
    key_loader = resolve.MembershipByIdLoader

    role: CommitteeRole
    start_date: date
    end_date: date | None
    row: strawberry.Private[Any]
    committee: CommitteeRef = relation(ToOne(CommitteeByIdLoader, "committee_id"))
    deputy: Deputy = relation(ToOne(resolve.DeputyByIdLoader, "deputy_id"))


def _deputies(
    filter: DeputyFilter | None = None,
    order_by: DeputyOrder | None = None,
    *,
    updated_since: Annotated[
        datetime | None,
        strawberry.argument(
            description="Only deputies whose record, mandates, stations or groups changed at "
            "or after this time (a sync); then every mandate status unless the filter names "
            "one, so ended mandates show with their end date and reason."
        ),
    ] = None,
) -> Any:
    spec = deputy_spec(filter)
    any_status = filter is None or filter.status is None
    query = changes.deputy_changes_query(spec, updated_since, any_status)
    return query, resolve.ordering(deputy_order(order_by), spec)


@strawberry.type
class DeputyQuery:
    deputies: Connection[Deputy] = relation(Listing(_deputies))
