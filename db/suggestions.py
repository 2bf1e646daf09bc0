"""Deputies' suggestions (代表建议): categories, signatures, handling units, key supervision.

A suggestion's status is never stored: it follows from the rows of its steps (handlers
assigned, replies given, the lead deputy's rating), so it cannot disagree with them.
"""

from __future__ import annotations

import calendar
import enum
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from db.columns import enum_field


class SuggestionStatus(enum.Enum):
    """Derived, never stored (see resolvers.suggestions.status_expr)."""

    SUBMITTED = "SUBMITTED"
    ASSIGNED = "ASSIGNED"
    REPLIED = "REPLIED"
    CLOSED = "CLOSED"


class SuggestionOutcome(enum.Enum):
    SOLVED = "SOLVED"
    IN_PROGRESS = "IN_PROGRESS"
    EXPLAINED = "EXPLAINED"


class Satisfaction(enum.Enum):
    SATISFIED = "SATISFIED"
    BASICALLY_SATISFIED = "BASICALLY_SATISFIED"
    DISSATISFIED = "DISSATISFIED"


class HandlerRole(enum.Enum):
    LEAD = "LEAD"
    CO = "CO"


# The enumerations stored in PostgreSQL (SuggestionStatus is derived, not stored).
STORED_ENUMS: tuple[type[enum.Enum], ...] = (SuggestionOutcome, Satisfaction, HandlerRole)


# The Law on Deputies: a reply within 3 months of assignment, 6 for complex suggestions.
REPLY_MONTHS = 3
COMPLEX_REPLY_MONTHS = 6


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (as PostgreSQL adds intervals)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reply_due(assigned_on: date, complex_: bool) -> date:
    return add_months(assigned_on, COMPLEX_REPLY_MONTHS if complex_ else REPLY_MONTHS)


class SuggestionCategory(SQLModel, table=True):
    """One node of a congress's two-level classification; a parent is a top-level node."""

    __tablename__ = "suggestion_categories"
    __table_args__ = (
        UniqueConstraint("congress_id", "code", name="uq_suggestion_categories_code"),
        # Target of the (category, congress) keys that keep parents and suggestions in one congress.
        UniqueConstraint("id", "congress_id", name="uq_suggestion_categories_id_congress"),
        ForeignKeyConstraint(
            ["parent_id", "congress_id"],
            ["suggestion_categories.id", "suggestion_categories.congress_id"],
            name="fk_suggestion_categories_parent",
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="ck_sc_not_own_parent"),
        Index("ix_suggestion_categories_parent", "parent_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = Field(foreign_key="congresses.id")
    parent_id: int | None = None
    # '05' for a category, '05.02' for one of its subcategories: sorts in reading order.
    code: str
    name: str


class Suggestion(SQLModel, table=True):
    __tablename__ = "suggestions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["term_id", "congress_id"],
            ["terms.id", "terms.congress_id"],
            name="fk_suggestions_term",
        ),
        ForeignKeyConstraint(
            ["category_id", "congress_id"],
            ["suggestion_categories.id", "suggestion_categories.congress_id"],
            name="fk_suggestions_category",
        ),
        UniqueConstraint("term_id", "number", name="uq_suggestions_term_number"),
        CheckConstraint(
            "(satisfaction IS NULL) = (rated_on IS NULL)", name="ck_suggestions_rating"
        ),
        CheckConstraint(
            "rated_on IS NULL OR rated_on >= submitted_on", name="ck_suggestions_rated_on"
        ),
        Index("ix_suggestions_congress_submitted", "congress_id", "submitted_on"),
        Index("ix_suggestions_submitted_id", "submitted_on", "id"),
        Index("ix_suggestions_lead", "lead_id"),
        Index("ix_suggestions_category", "category_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    congress_id: int = Field(foreign_key="congresses.id")
    term_id: int
    # The congress's own number within the term: '0001', '0002', ...
    number: str
    title: str
    category_id: int
    submitted_on: date
    during_session: bool
    lead_id: int = Field(foreign_key="deputies.id")
    # The lead deputy's rating, which closes the suggestion (办结).
    satisfaction: Satisfaction | None = enum_field(Satisfaction, nullable=True)
    rated_on: date | None = None


class SuggestionCosigner(SQLModel, table=True):
    """A deputy who signed a suggestion besides its lead (附议)."""

    __tablename__ = "suggestion_cosigners"

    suggestion_id: int = Field(foreign_key="suggestions.id", primary_key=True)
    deputy_id: int = Field(foreign_key="deputies.id", primary_key=True, index=True)


class SuggestionHandler(SQLModel, table=True):
    """One handling unit's part (承办单位): assigned, due, and its reply once given."""

    __tablename__ = "suggestion_handlers"
    __table_args__ = (
        UniqueConstraint("suggestion_id", "unit", name="uq_suggestion_handlers_unit"),
        # One lead unit (主办) per suggestion; any number of co-handlers (协办).
        Index(
            "uq_suggestion_handlers_one_lead",
            "suggestion_id",
            unique=True,
            postgresql_where=text("role = 'LEAD'"),
        ),
        Index("ix_suggestion_handlers_unit", "unit"),
        CheckConstraint(
            "(replied_on IS NULL) = (outcome IS NULL)", name="ck_suggestion_handlers_reply"
        ),
        CheckConstraint(
            "replied_on IS NULL OR replied_on >= assigned_on", name="ck_suggestion_handlers_dates"
        ),
        # The Law on Deputies: a reply within 3 months of assignment, 6 for complex ones.
        CheckConstraint(
            "reply_due IN (CAST(assigned_on + interval '3 months' AS date), "
            "CAST(assigned_on + interval '6 months' AS date))",
            name="ck_suggestion_handlers_due",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    suggestion_id: int = Field(foreign_key="suggestions.id")
    unit: str
    role: HandlerRole = enum_field(HandlerRole)
    assigned_on: date
    reply_due: date
    replied_on: date | None = None
    outcome: SuggestionOutcome | None = enum_field(SuggestionOutcome, nullable=True)


class KeySupervision(SQLModel, table=True):
    """重点督办: a committee of the suggestion's congress supervises its handling."""

    __tablename__ = "key_supervisions"

    suggestion_id: int = Field(foreign_key="suggestions.id", primary_key=True)
    committee_id: int = Field(foreign_key="committees.id", index=True)
    # A standing-committee leader (chair or vice-chair) who leads the supervision, if any.
    leader_id: int | None = Field(default=None, foreign_key="deputies.id", index=True)
    since: date
