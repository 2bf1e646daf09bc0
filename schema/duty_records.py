"""DutyRecord: a deputy's year (履职档案), every figure counted from the registry."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from core.codes import Code
from resolvers.duty_records import DutyRecordLoader
from schema.counts import shown


@strawberry.type(
    description="A deputy's duty record for one year (履职档案), every figure counted from the "
    "registry."
)
class DutyRecord:
    year: int
    meetings_attended: int = strawberry.field(
        description="Committee meetings attended as a non-voting attendee (列席)."
    )
    receptions: int = strawberry.field(description="Reception days at stations (进站接待).")
    contacts_logged: int = strawberry.field(
        description="Logged contacts of the deputy's contact assignments, as the committee "
        "member who keeps in touch or as the deputy kept in touch with."
    )
    activities: int = strawberry.field(description="Activities taken part in, trainings aside.")
    trainings: int = strawberry.field(description="Trainings (培训) attended.")
    suggestions_led: int
    suggestions_cosigned: int


async def duty_record(info: Info, deputy_id: int, year: int) -> DutyRecord:
    if not 1949 <= year <= 2100:
        raise GraphQLError(
            f"No year {year} in the registry.", extensions={"code": Code.INVALID_VALUE}
        )
    return shown(DutyRecord, await info.context.loader(DutyRecordLoader).load((deputy_id, year)))
