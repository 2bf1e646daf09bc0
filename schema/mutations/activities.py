"""recordActivity."""

from __future__ import annotations

from datetime import date

import strawberry

from db.activities import ActivityKind
from resolvers.mutations import activities as writes
from schema.activities import Activity
from schema.mutations.declare import mutation_input, mutation_type, payload

ActivityPayload = payload("ActivityPayload", "activity", Activity)


@mutation_input(ActivityPayload, ("Congress", "organizer_congress_id"), writes.record_activity)
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


ActivityMutation = mutation_type("ActivityMutation", RecordActivityInput)
