"""submitSuggestion, assignSuggestion, replySuggestion, superviseSuggestion, rateSuggestion,
createSuggestionCategory."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from db.suggestions import HandlerRole, Satisfaction, SuggestionOutcome
from resolvers.mutations import suggestion_handling as steps
from resolvers.mutations import suggestions as writes
from schema.mutations.base import UserError, perform
from schema.suggestions import Suggestion, SuggestionCategory


@strawberry.input
class SubmitSuggestionInput:
    congress_id: strawberry.ID
    title: str
    category_id: strawberry.ID
    submitted_on: date
    during_session: bool
    lead_id: strawberry.ID
    cosigner_ids: list[strawberry.ID] | None = None


@strawberry.input
class HandlerInput:
    unit: str
    role: HandlerRole


@strawberry.input
class AssignSuggestionInput:
    suggestion_id: strawberry.ID
    assigned_on: date
    handlers: list[HandlerInput]
    complex: bool | None = strawberry.field(
        default=None, description="A complex suggestion gets 6 months instead of 3."
    )


@strawberry.input
class ReplySuggestionInput:
    suggestion_id: strawberry.ID
    unit: str
    replied_on: date
    outcome: SuggestionOutcome


@strawberry.input
class SuperviseSuggestionInput:
    suggestion_id: strawberry.ID
    committee_id: strawberry.ID
    leader_id: strawberry.ID | None = None
    since: date


@strawberry.input
class RateSuggestionInput:
    suggestion_id: strawberry.ID
    satisfaction: Satisfaction
    rated_on: date | None = strawberry.field(
        default=None, description="When the deputy gave the rating; today if not given."
    )


@strawberry.input
class CreateSuggestionCategoryInput:
    congress_id: strawberry.ID
    code: str = strawberry.field(description="'05' for a category, '05.02' for a subcategory.")
    name: str
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="A top-level category of the same congress."
    )


@strawberry.type
class SuggestionPayload:
    suggestion: Suggestion | None
    user_errors: list[UserError]


@strawberry.type
class SuggestionCategoryPayload:
    category: SuggestionCategory | None
    user_errors: list[UserError]


async def _payload(info: Info, key: int | None, errors: list[UserError]) -> SuggestionPayload:
    suggestion = await Suggestion.load(info, key) if key else None
    return SuggestionPayload(suggestion=suggestion, user_errors=errors)


@strawberry.type
class SuggestionMutation:
    @strawberry.mutation(description="A lead deputy's suggestion, with co-signers.")
    async def submit_suggestion(
        self, info: Info, input: SubmitSuggestionInput
    ) -> SuggestionPayload:
        spec = writes.SubmissionSpec(
            congress_id=input.congress_id,
            title=input.title,
            category_id=input.category_id,
            submitted_on=input.submitted_on,
            during_session=input.during_session,
            lead_id=input.lead_id,
            cosigner_ids=tuple(input.cosigner_ids or ()),
        )
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: writes.submit_suggestion(conn, actor, spec),
                ("Congress", input.congress_id),
            ),
        )

    @strawberry.mutation(description="Hand a suggestion to its lead unit and co-handlers (交办).")
    async def assign_suggestion(
        self, info: Info, input: AssignSuggestionInput
    ) -> SuggestionPayload:
        units = [steps.HandlerSpec(h.unit, h.role) for h in input.handlers]
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: steps.assign_suggestion(
                    conn, actor, input.suggestion_id, input.assigned_on, units, bool(input.complex)
                ),
                ("Suggestion", input.suggestion_id),
            ),
        )

    @strawberry.mutation(description="One handling unit's reply (答复).")
    async def reply_suggestion(self, info: Info, input: ReplySuggestionInput) -> SuggestionPayload:
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: steps.reply_suggestion(
                    conn, actor, input.suggestion_id, input.unit, input.replied_on, input.outcome
                ),
                ("Suggestion", input.suggestion_id),
            ),
        )

    @strawberry.mutation(description="Pick a suggestion for key supervision (重点督办).")
    async def supervise_suggestion(
        self, info: Info, input: SuperviseSuggestionInput
    ) -> SuggestionPayload:
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: steps.supervise_suggestion(
                    conn,
                    actor,
                    input.suggestion_id,
                    input.committee_id,
                    input.leader_id,
                    input.since,
                ),
                ("Suggestion", input.suggestion_id),
            ),
        )

    @strawberry.mutation(description="The lead deputy's rating, which closes the suggestion.")
    async def rate_suggestion(self, info: Info, input: RateSuggestionInput) -> SuggestionPayload:
        rated_on = input.rated_on or date.today()
        return await _payload(
            info,
            *await perform(
                info,
                lambda conn, actor: steps.rate_suggestion(
                    conn, actor, input.suggestion_id, input.satisfaction, rated_on
                ),
                ("Suggestion", input.suggestion_id),
            ),
        )

    @strawberry.mutation(
        description="Add a category or subcategory to a congress's classification."
    )
    async def create_suggestion_category(
        self, info: Info, input: CreateSuggestionCategoryInput
    ) -> SuggestionCategoryPayload:
        key, errors = await perform(
            info,
            lambda conn, actor: writes.create_category(
                conn, actor, input.congress_id, input.code, input.name, input.parent_id
            ),
            ("Congress", input.congress_id),
        )
        category = await SuggestionCategory.load(info, key) if key else None
        return SuggestionCategoryPayload(category=category, user_errors=errors)
