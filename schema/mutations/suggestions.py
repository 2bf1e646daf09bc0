"""submitSuggestion, assignSuggestion, replySuggestion, superviseSuggestion, rateSuggestion,
createSuggestionCategory."""

from __future__ import annotations

from datetime import date

import strawberry

from db.suggestions import HandlerRole, Satisfaction, SuggestionOutcome
from resolvers.mutations import suggestion_handling as steps
from resolvers.mutations import suggestions as writes
from schema.mutations.base import mutation, payload, with_spec
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


SuggestionPayload = payload("SuggestionPayload", "suggestion", Suggestion)
SuggestionCategoryPayload = payload("SuggestionCategoryPayload", "category", SuggestionCategory)


@strawberry.type
class SuggestionMutation:
    submit_suggestion = mutation(
        SubmitSuggestionInput,
        SuggestionPayload,
        ("Congress", "congress_id"),
        with_spec(writes.submit_suggestion, writes.SubmissionSpec),
        description="A lead deputy's suggestion, with co-signers.",
    )
    assign_suggestion = mutation(
        AssignSuggestionInput,
        SuggestionPayload,
        ("Suggestion", "suggestion_id"),
        lambda conn, actor, input: steps.assign_suggestion(
            conn,
            actor,
            input.suggestion_id,
            input.assigned_on,
            [steps.HandlerSpec(h.unit, h.role) for h in input.handlers],
            bool(input.complex),
        ),
        description="Hand a suggestion to its lead unit and co-handlers (交办).",
    )
    reply_suggestion = mutation(
        ReplySuggestionInput,
        SuggestionPayload,
        ("Suggestion", "suggestion_id"),
        lambda conn, actor, input: steps.reply_suggestion(
            conn, actor, input.suggestion_id, input.unit, input.replied_on, input.outcome
        ),
        description="One handling unit's reply (答复).",
    )
    supervise_suggestion = mutation(
        SuperviseSuggestionInput,
        SuggestionPayload,
        ("Suggestion", "suggestion_id"),
        lambda conn, actor, input: steps.supervise_suggestion(
            conn, actor, input.suggestion_id, input.committee_id, input.leader_id, input.since
        ),
        description="Pick a suggestion for key supervision (重点督办).",
    )
    rate_suggestion = mutation(
        RateSuggestionInput,
        SuggestionPayload,
        ("Suggestion", "suggestion_id"),
        lambda conn, actor, input: steps.rate_suggestion(
            conn, actor, input.suggestion_id, input.satisfaction, input.rated_on or date.today()
        ),
        description="The lead deputy's rating, which closes the suggestion.",
    )
    create_suggestion_category = mutation(
        CreateSuggestionCategoryInput,
        SuggestionCategoryPayload,
        ("Congress", "congress_id"),
        lambda conn, actor, input: writes.create_category(
            conn, actor, input.congress_id, input.code, input.name, input.parent_id
        ),
        description="Add a category or subcategory to a congress's classification.",
    )
