"""submitSuggestion, assignSuggestion, replySuggestion, superviseSuggestion, rateSuggestion,
createSuggestionCategory."""

from __future__ import annotations

from datetime import date

import strawberry

from db.suggestions import HandlerRole, Satisfaction, SuggestionOutcome
from resolvers.mutations import suggestion_handling as steps
from resolvers.mutations import suggestions as writes
from schema.mutations.declare import mutation_input, mutation_type, payload
from schema.suggestions import Suggestion, SuggestionCategory

SuggestionPayload = payload("SuggestionPayload", "suggestion", Suggestion)
SuggestionCategoryPayload = payload("SuggestionCategoryPayload", "category", SuggestionCategory)


@mutation_input(
    SuggestionPayload,
    ("Congress", "congress_id"),
    writes.submit_suggestion,
    description="A lead deputy's suggestion, with co-signers.",
)
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


@mutation_input(
    SuggestionPayload,
    ("Suggestion", "suggestion_id"),
    steps.assign_suggestion,
    description="Hand a suggestion to its lead unit and co-handlers (交办).",
)
class AssignSuggestionInput:
    suggestion_id: strawberry.ID
    assigned_on: date
    handlers: list[HandlerInput]
    complex: bool | None = strawberry.field(
        default=None, description="A complex suggestion gets 6 months instead of 3."
    )


@mutation_input(
    SuggestionPayload,
    ("Suggestion", "suggestion_id"),
    steps.reply_suggestion,
    description="One handling unit's reply (答复).",
)
class ReplySuggestionInput:
    suggestion_id: strawberry.ID
    unit: str
    replied_on: date
    outcome: SuggestionOutcome


@mutation_input(
    SuggestionPayload,
    ("Suggestion", "suggestion_id"),
    steps.supervise_suggestion,
    description="Pick a suggestion for key supervision (重点督办).",
)
class SuperviseSuggestionInput:
    suggestion_id: strawberry.ID
    committee_id: strawberry.ID
    leader_id: strawberry.ID | None = None
    since: date


@mutation_input(
    SuggestionPayload,
    ("Suggestion", "suggestion_id"),
    steps.rate_suggestion,
    description="The lead deputy's rating, which closes the suggestion.",
)
class RateSuggestionInput:
    suggestion_id: strawberry.ID
    satisfaction: Satisfaction
    rated_on: date | None = strawberry.field(
        default=None, description="When the deputy gave the rating; today if not given."
    )


@mutation_input(
    SuggestionCategoryPayload,
    ("Congress", "congress_id"),
    writes.create_category,
    description="Add a category or subcategory to a congress's classification.",
)
class CreateSuggestionCategoryInput:
    congress_id: strawberry.ID
    code: str = strawberry.field(description="'05' for a category, '05.02' for a subcategory.")
    name: str
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="A top-level category of the same congress."
    )


SuggestionMutation = mutation_type(
    "SuggestionMutation",
    SubmitSuggestionInput,
    AssignSuggestionInput,
    ReplySuggestionInput,
    SuperviseSuggestionInput,
    RateSuggestionInput,
    CreateSuggestionCategoryInput,
)
