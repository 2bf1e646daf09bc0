"""recordActivity."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from db.activities import ActivityKind
from resolvers.mutations import activities as writes
from schema.activities import Activity
from schema.mutations.base import UserError, perform


@strawberry.input
class RecordActivityInput:
    kind: ActivityKind
    title: str
    start_date: date
    end_date: date
    organizer_congress_id: strawberry.ID
    group_id: strawberry.ID | None = None
    region_code: str = strawberry.field(description="Where it took place.")
    participant_ids: list[strawberry.ID] = strawberry.field(
        description="Eligible deputies on the first day (see DESIGN.md, eligible deputy)."
    )


@strawberry.type
class ActivityPayload:
    activity: Activity | None
    user_errors: list[UserError]


@strawberry.type
class ActivityMutation:
    @strawberry.mutation
    async def record_activity(self, info: Info, input: RecordActivityInput) -> ActivityPayload:
        spec = writes.ActivitySpec(
            kind=input.kind,
            title=input.title,
            start_date=input.start_date,
            end_date=input.end_date,
            organizer_congress_id=input.organizer_congress_id,
            region_code=input.region_code,
            participant_ids=tuple(input.participant_ids),
            group_id=input.group_id,
        )
        key, errors = await perform(
            info,
            lambda conn, actor: writes.record_activity(conn, actor, spec),
            ("Congress", input.organizer_congress_id),
        )
        return ActivityPayload(
            activity=await Activity.load(info, key) if key else None, user_errors=errors
        )
