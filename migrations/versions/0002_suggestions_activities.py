"""Suggestions (代表建议), activities between sessions, and deputies' voter contacts.

Reviewed by hand: enum types created once (the existing `level` type is reused), text
columns as VARCHAR, one index per foreign key (or a unique key or primary key that starts
with it). The reply deadline of the Law on Deputies (3 months, 6 for complex suggestions)
is a check on each handler, and a category's parent and a suggestion's category belong to
the same congress by composite foreign keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:45:13.600311
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Enum types are created once up front; the columns refer to them without re-creating.
ENUMS = {
    "suggestion_outcome": postgresql.ENUM(
        "SOLVED", "IN_PROGRESS", "EXPLAINED", name="suggestion_outcome", create_type=False
    ),
    "satisfaction": postgresql.ENUM(
        "SATISFIED", "BASICALLY_SATISFIED", "DISSATISFIED", name="satisfaction", create_type=False
    ),
    "handler_role": postgresql.ENUM("LEAD", "CO", name="handler_role", create_type=False),
    "activity_kind": postgresql.ENUM(
        "INSPECTION",
        "SURVEY",
        "LAW_ENFORCEMENT_CHECK",
        "LEGISLATIVE_CONSULTATION",
        "BUDGET_REVIEW",
        "TRAINING",
        "GROUP_ACTIVITY",
        "DUTY_REPORT",
        "OTHER",
        name="activity_kind",
        create_type=False,
    ),
}
# Created by 0001.
LEVEL = postgresql.ENUM(
    "NATIONAL", "PROVINCIAL", "PREFECTURAL", "COUNTY", "TOWNSHIP", name="level", create_type=False
)


def upgrade() -> None:
    bind = op.get_bind()
    for enum_type in ENUMS.values():
        enum_type.create(bind)
    op.create_table(
        "suggestion_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="ck_sc_not_own_parent"),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
        ),
        sa.ForeignKeyConstraint(
            ["parent_id", "congress_id"],
            ["suggestion_categories.id", "suggestion_categories.congress_id"],
            name="fk_suggestion_categories_parent",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("congress_id", "code", name="uq_suggestion_categories_code"),
        sa.UniqueConstraint("id", "congress_id", name="uq_suggestion_categories_id_congress"),
    )
    op.create_index(
        "ix_suggestion_categories_parent", "suggestion_categories", ["parent_id"], unique=False
    )
    op.create_table(
        "suggestions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("during_session", sa.Boolean(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("satisfaction", ENUMS["satisfaction"], nullable=True),
        sa.Column("rated_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(satisfaction IS NULL) = (rated_on IS NULL)", name="ck_suggestions_rating"
        ),
        sa.CheckConstraint(
            "rated_on IS NULL OR rated_on >= submitted_on", name="ck_suggestions_rated_on"
        ),
        sa.ForeignKeyConstraint(
            ["category_id", "congress_id"],
            ["suggestion_categories.id", "suggestion_categories.congress_id"],
            name="fk_suggestions_category",
        ),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["term_id", "congress_id"],
            ["terms.id", "terms.congress_id"],
            name="fk_suggestions_term",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("term_id", "number", name="uq_suggestions_term_number"),
    )
    op.create_index("ix_suggestions_category", "suggestions", ["category_id"], unique=False)
    op.create_index(
        "ix_suggestions_congress_submitted",
        "suggestions",
        ["congress_id", "submitted_on"],
        unique=False,
    )
    op.create_index("ix_suggestions_lead", "suggestions", ["lead_id"], unique=False)
    op.create_index(
        "ix_suggestions_submitted_id", "suggestions", ["submitted_on", "id"], unique=False
    )
    op.create_table(
        "suggestion_cosigners",
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
        ),
        sa.PrimaryKeyConstraint("suggestion_id", "deputy_id"),
    )
    op.create_index(
        op.f("ix_suggestion_cosigners_deputy_id"),
        "suggestion_cosigners",
        ["deputy_id"],
        unique=False,
    )
    op.create_table(
        "suggestion_handlers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("role", ENUMS["handler_role"], nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("reply_due", sa.Date(), nullable=False),
        sa.Column("replied_on", sa.Date(), nullable=True),
        sa.Column("outcome", ENUMS["suggestion_outcome"], nullable=True),
        sa.CheckConstraint(
            "reply_due IN (CAST(assigned_on + interval '3 months' AS date), "
            "CAST(assigned_on + interval '6 months' AS date))",
            name="ck_suggestion_handlers_due",
        ),
        sa.CheckConstraint(
            "(replied_on IS NULL) = (outcome IS NULL)", name="ck_suggestion_handlers_reply"
        ),
        sa.CheckConstraint(
            "replied_on IS NULL OR replied_on >= assigned_on", name="ck_suggestion_handlers_dates"
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("suggestion_id", "unit", name="uq_suggestion_handlers_unit"),
    )
    op.create_index("ix_suggestion_handlers_unit", "suggestion_handlers", ["unit"], unique=False)
    op.create_index(
        "uq_suggestion_handlers_one_lead",
        "suggestion_handlers",
        ["suggestion_id"],
        unique=True,
        postgresql_where=sa.text("role = 'LEAD'"),
    )
    op.create_table(
        "key_supervisions",
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestions.id"],
        ),
        sa.PrimaryKeyConstraint("suggestion_id"),
    )
    op.create_index(
        op.f("ix_key_supervisions_committee_id"), "key_supervisions", ["committee_id"], unique=False
    )
    op.create_index(
        op.f("ix_key_supervisions_leader_id"), "key_supervisions", ["leader_id"], unique=False
    )
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", ENUMS["activity_kind"], nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("organizer_congress_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(), nullable=False),
        sa.CheckConstraint("end_date >= start_date", name="ck_activities_dates"),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["deputy_groups.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organizer_congress_id"],
            ["congresses.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_activities_group_id"), "activities", ["group_id"], unique=False)
    op.create_index(
        op.f("ix_activities_organizer_congress_id"),
        "activities",
        ["organizer_congress_id"],
        unique=False,
    )
    op.create_index(
        "ix_activities_region_start", "activities", ["region_code", "start_date"], unique=False
    )
    op.create_index("ix_activities_start_id", "activities", ["start_date", "id"], unique=False)
    op.create_table(
        "activity_participants",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("level", LEVEL, nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
        ),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
        ),
        sa.PrimaryKeyConstraint("activity_id", "deputy_id"),
    )
    op.create_index(
        op.f("ix_activity_participants_deputy_id"),
        "activity_participants",
        ["deputy_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_activity_participants_mandate_id"),
        "activity_participants",
        ["mandate_id"],
        unique=False,
    )
    op.create_table(
        "voter_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=16), nullable=False),
        sa.Column("community_code", sa.String(), nullable=False),
        sa.Column("community", sa.String(), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.CheckConstraint("until IS NULL OR until >= since", name="ck_voter_contacts_dates"),
        sa.ForeignKeyConstraint(
            ["community_code"],
            ["regions.code"],
        ),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pseudonym"),
    )
    op.create_index(
        op.f("ix_voter_contacts_community_code"), "voter_contacts", ["community_code"], unique=False
    )
    op.create_index(
        "ix_voter_contacts_deputy", "voter_contacts", ["deputy_id", "until"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_voter_contacts_deputy", table_name="voter_contacts")
    op.drop_index(op.f("ix_voter_contacts_community_code"), table_name="voter_contacts")
    op.drop_table("voter_contacts")
    op.drop_index(op.f("ix_activity_participants_mandate_id"), table_name="activity_participants")
    op.drop_index(op.f("ix_activity_participants_deputy_id"), table_name="activity_participants")
    op.drop_table("activity_participants")
    op.drop_index("ix_activities_start_id", table_name="activities")
    op.drop_index("ix_activities_region_start", table_name="activities")
    op.drop_index(op.f("ix_activities_organizer_congress_id"), table_name="activities")
    op.drop_index(op.f("ix_activities_group_id"), table_name="activities")
    op.drop_table("activities")
    op.drop_index(op.f("ix_key_supervisions_leader_id"), table_name="key_supervisions")
    op.drop_index(op.f("ix_key_supervisions_committee_id"), table_name="key_supervisions")
    op.drop_table("key_supervisions")
    op.drop_index(
        "uq_suggestion_handlers_one_lead",
        table_name="suggestion_handlers",
        postgresql_where=sa.text("role = 'LEAD'"),
    )
    op.drop_index("ix_suggestion_handlers_unit", table_name="suggestion_handlers")
    op.drop_table("suggestion_handlers")
    op.drop_index(op.f("ix_suggestion_cosigners_deputy_id"), table_name="suggestion_cosigners")
    op.drop_table("suggestion_cosigners")
    op.drop_index("ix_suggestions_submitted_id", table_name="suggestions")
    op.drop_index("ix_suggestions_lead", table_name="suggestions")
    op.drop_index("ix_suggestions_congress_submitted", table_name="suggestions")
    op.drop_index("ix_suggestions_category", table_name="suggestions")
    op.drop_table("suggestions")
    op.drop_index("ix_suggestion_categories_parent", table_name="suggestion_categories")
    op.drop_table("suggestion_categories")
    for enum_type in ENUMS.values():
        enum_type.drop(op.get_bind())
