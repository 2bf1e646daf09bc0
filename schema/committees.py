"""GraphQL types of congresses, terms and committees."""

from __future__ import annotations

from datetime import date

import strawberry

from db.enums import CommitteeKind, Level
from resolvers import committees as resolve
from resolvers.attendance import MeetingsByCommitteeLoader
from resolvers.deputies import DeputiesByCongressLoader, MembershipsByCommitteeLoader
from resolvers.groups import GroupsByCongressLoader
from resolvers.regions import RegionByCodeLoader
from resolvers.relations import PageOf, ToMany, ToOne
from schema.fields import relation
from schema.inputs import deputies_of_congress
from schema.node import Node
from schema.pagination import Connection
from schema.refs import DeputyRef, GroupRef, MeetingRef, MembershipRef, RegionRef


@strawberry.type(description="A people's congress (人民代表大会) of one region.")
class Congress(Node):
    key_loader = resolve.CongressByIdLoader

    name: str
    level: Level
    region: RegionRef = relation(ToOne(RegionByCodeLoader, "region_code"))
    terms: list[Term] = relation(ToMany(resolve.TermsByCongressLoader, "id"))
    current_term: Term | None = relation(
        ToMany(resolve.TermsByCongressLoader, "id", latest=True),
        description="The term in progress: the latest one, open-ended.",
    )
    standing_committee: Committee | None = relation(
        ToMany(
            resolve.CommitteesByCongressLoader,
            "id",
            only=("kind", CommitteeKind.STANDING_COMMITTEE),
            latest=True,
        ),
        description="The standing committee (常务委员会); null for a township congress, which "
        "has none.",
    )
    committees: list[Committee] = relation(
        ToMany(resolve.CommitteesByCongressLoader, "id"),
        description="Standing committee, special committees (专门委员会) and working bodies "
        "(工作委员会).",
    )
    deputies: Connection[DeputyRef] = relation(
        PageOf(DeputiesByCongressLoader, "id", deputies_of_congress),
        description="Deputies holding a mandate in this congress (current term unless "
        "termNumber is given).",
    )
    groups: Connection[GroupRef] = relation(PageOf(GroupsByCongressLoader, "id"))


@strawberry.type(description="A term (届) of a congress, e.g. the 14th.")
class Term(Node):
    key_loader = resolve.TermByIdLoader

    number: int
    start_date: date
    end_date: date | None
    congress: Congress = relation(ToOne(resolve.CongressByIdLoader, "congress_id"))


@strawberry.type
class Committee(Node):
    key_loader = resolve.CommitteeByIdLoader

    name: str
    kind: CommitteeKind
    congress: Congress = relation(ToOne(resolve.CongressByIdLoader, "congress_id"))
    members: list[MembershipRef] = relation(ToMany(MembershipsByCommitteeLoader, "id"))
    meetings: Connection[MeetingRef] = relation(PageOf(MeetingsByCommitteeLoader, "id"))
