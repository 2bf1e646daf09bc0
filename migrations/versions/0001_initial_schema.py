"""Initial schema: every table of the registry, with the constraints the data must keep.

Reviewed by hand: enum types created once, text columns as VARCHAR, one index per foreign
key (or a unique key or primary key that starts with it).

Revision ID: 0001
Revises:
Create Date: 2026-11-23 11:52:18.113667
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Enum types are created once up front; the columns refer to them without re-creating.
ENUMS = {
    "level": postgresql.ENUM(
        "NATIONAL",
        "PROVINCIAL",
        "PREFECTURAL",
        "COUNTY",
        "TOWNSHIP",
        name="level",
        create_type=False,
    ),
    "gender": postgresql.ENUM("MALE", "FEMALE", name="gender", create_type=False),
    "station_kind": postgresql.ENUM(
        "HOME",
        "STATION",
        "WORKSTATION",
        "LEGISLATIVE_CONTACT_POINT",
        name="station_kind",
        create_type=False,
    ),
    "committee_kind": postgresql.ENUM(
        "STANDING_COMMITTEE",
        "SPECIAL_COMMITTEE",
        "WORKING_BODY",
        name="committee_kind",
        create_type=False,
    ),
    "committee_role": postgresql.ENUM(
        "CHAIR",
        "VICE_CHAIR",
        "SECRETARY_GENERAL",
        "MEMBER",
        name="committee_role",
        create_type=False,
    ),
    "group_kind": postgresql.ENUM("REGIONAL", "PROFESSIONAL", name="group_kind", create_type=False),
    "mandate_status": postgresql.ENUM(
        "ACTIVE", "SUSPENDED", "TERMINATED", name="mandate_status", create_type=False
    ),
    "mandate_end_reason": postgresql.ENUM(
        "TERM_ENDED",
        "RESIGNED",
        "RECALLED",
        "MOVED_AWAY",
        "DECEASED",
        "CONVICTED",
        "OTHER",
        name="mandate_end_reason",
        create_type=False,
    ),
    "contact_channel": postgresql.ENUM(
        "PHONE", "VISIT", "MEETING", "ONLINE", name="contact_channel", create_type=False
    ),
    "group_role": postgresql.ENUM(
        "LEADER", "DEPUTY_LEADER", "MEMBER", name="group_role", create_type=False
    ),
}


def upgrade() -> None:
    bind = op.get_bind()
    for enum_type in ENUMS.values():
        enum_type.create(bind)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("entity", sa.String(), nullable=False),
        sa.Column("entity_id", sa.String(), nullable=False),
        sa.Column("before", postgresql.JSONB(astext_type=sa.String()), nullable=True),
        sa.Column("after", postgresql.JSONB(astext_type=sa.String()), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"], unique=False)
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("parent_code", sa.String(), nullable=True),
        sa.Column("level", ENUMS["level"], nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("lineage", postgresql.ARRAY(sa.String()), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_regions_level_code", "regions", ["level", "code"], unique=False)
    op.create_index(op.f("ix_regions_parent_code"), "regions", ["parent_code"], unique=False)
    op.create_index(
        "ix_regions_lineage", "regions", ["lineage"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "congresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(), nullable=False),
        sa.Column("level", ENUMS["level"], nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id", "level", name="uq_congresses_id_level"),
        sa.UniqueConstraint("region_code"),
    )
    op.create_table(
        "deputies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_pinyin", sa.String(), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR(), nullable=False),
        sa.Column("gender", ENUMS["gender"], nullable=False),
        sa.Column("ethnicity", sa.String(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("id_number", sa.String(), nullable=True),
        sa.Column("party", sa.String(), nullable=True),
        sa.Column("occupation", sa.String(), nullable=True),
        sa.Column("is_grassroots", sa.Boolean(), nullable=False),
        sa.Column("locality_code", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "birth_date IS NULL OR extract(year FROM birth_date) = birth_year",
            name="ck_deputies_birth_date_year",
        ),
        sa.CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="ck_deputies_birth_year"),
        sa.ForeignKeyConstraint(
            ["locality_code"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deputies_birth_year_id", "deputies", ["birth_year", "id"], unique=False)
    op.create_index(op.f("ix_deputies_locality_code"), "deputies", ["locality_code"], unique=False)
    op.create_index("ix_deputies_name_pinyin_id", "deputies", ["name_pinyin", "id"], unique=False)
    op.create_index(
        "ix_deputies_search", "deputies", ["search_vector"], unique=False, postgresql_using="gin"
    )
    op.create_index(op.f("ix_deputies_updated_at"), "deputies", ["updated_at"], unique=False)
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", ENUMS["station_kind"], nullable=False),
        sa.Column("region_code", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("star_rating", sa.Integer(), nullable=True),
        sa.Column("reception_day", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("reception_day BETWEEN 1 AND 31", name="ck_stations_reception_day"),
        sa.CheckConstraint("star_rating BETWEEN 1 AND 5", name="ck_stations_star_rating"),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_stations_region_code"), "stations", ["region_code"], unique=False)
    op.create_index(op.f("ix_stations_updated_at"), "stations", ["updated_at"], unique=False)
    op.create_table(
        "committees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", ENUMS["committee_kind"], nullable=False),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_committees_congress_id"), "committees", ["congress_id"], unique=False)
    op.create_index(
        "uq_committees_one_standing",
        "committees",
        ["congress_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'STANDING_COMMITTEE'"),
    )
    op.create_table(
        "receptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("opinions_collected", sa.Integer(), nullable=False),
        sa.Column("problems_resolved", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "visitors >= 0 AND opinions_collected >= 0 AND problems_resolved >= 0",
            name="ck_receptions_counts",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_receptions_date", "receptions", ["date"], unique=False)
    op.create_index(
        "ix_receptions_station_date", "receptions", ["station_id", "date"], unique=False
    )
    op.create_table(
        "station_assignments",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
        ),
        sa.PrimaryKeyConstraint("station_id", "deputy_id"),
    )
    op.create_index(
        op.f("ix_station_assignments_deputy_id"), "station_assignments", ["deputy_id"], unique=False
    )
    op.create_table(
        "terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_terms_dates"),
        sa.CheckConstraint("number > 0", name="ck_terms_number_positive"),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("congress_id", "number", name="uq_terms_congress_number"),
        sa.UniqueConstraint("id", "congress_id", name="uq_terms_id_congress"),
    )
    op.create_table(
        "committee_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("role", ENUMS["committee_role"], nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_cm_dates"),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_committee_memberships_committee_id"),
        "committee_memberships",
        ["committee_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_committee_memberships_deputy_id"),
        "committee_memberships",
        ["deputy_id"],
        unique=False,
    )
    op.create_index(
        "uq_cm_current",
        "committee_memberships",
        ["committee_id", "deputy_id"],
        unique=True,
        postgresql_where=sa.text("end_date IS NULL"),
    )
    op.create_table(
        "contact_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contactor_id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint("contactor_id <> deputy_id", name="ck_ca_not_self"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_ca_dates"),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contactor_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_contact_assignments_committee_id"),
        "contact_assignments",
        ["committee_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contact_assignments_contactor_id"),
        "contact_assignments",
        ["contactor_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_contact_assignments_deputy_id"), "contact_assignments", ["deputy_id"], unique=False
    )
    op.create_index(
        "uq_ca_current",
        "contact_assignments",
        ["committee_id", "contactor_id", "deputy_id"],
        unique=True,
        postgresql_where=sa.text("end_date IS NULL"),
    )
    op.create_table(
        "deputy_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", ENUMS["group_kind"], nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=True),
        sa.Column("theme", sa.String(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
        ),
        sa.ForeignKeyConstraint(
            ["congress_id"],
            ["congresses.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_deputy_groups_committee_id"), "deputy_groups", ["committee_id"], unique=False
    )
    op.create_index(
        op.f("ix_deputy_groups_congress_id"), "deputy_groups", ["congress_id"], unique=False
    )
    op.create_index(op.f("ix_deputy_groups_kind"), "deputy_groups", ["kind"], unique=False)
    op.create_index(
        op.f("ix_deputy_groups_region_code"), "deputy_groups", ["region_code"], unique=False
    )
    op.create_index(
        op.f("ix_deputy_groups_updated_at"), "deputy_groups", ["updated_at"], unique=False
    )
    op.create_table(
        "mandates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("congress_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("level", ENUMS["level"], nullable=False),
        sa.Column("electoral_unit", sa.String(), nullable=True),
        sa.Column("delegation", sa.String(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", ENUMS["mandate_status"], nullable=False),
        sa.Column("end_reason", ENUMS["mandate_end_reason"], nullable=True),
        sa.Column("by_election", sa.Boolean(), nullable=False),
        sa.Column("suspended_from", sa.Date(), nullable=True),
        sa.Column("suspended_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(status = 'TERMINATED') = (end_date IS NOT NULL)", name="ck_mandates_end_status"
        ),
        sa.CheckConstraint(
            "status <> 'SUSPENDED' OR suspended_from IS NOT NULL",
            name="ck_mandates_suspension_status",
        ),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_mandates_dates"),
        sa.CheckConstraint(
            "suspended_from IS NULL OR suspended_from >= start_date",
            name="ck_mandates_suspension_start",
        ),
        sa.CheckConstraint(
            "suspended_until IS NULL OR suspended_until >= suspended_from",
            name="ck_mandates_suspension_dates",
        ),
        sa.ForeignKeyConstraint(
            ["congress_id", "level"],
            ["congresses.id", "congresses.level"],
            name="fk_mandates_congress_level",
        ),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["term_id", "congress_id"], ["terms.id", "terms.congress_id"], name="fk_mandates_term"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_mandates_congress_status", "mandates", ["congress_id", "status"], unique=False
    )
    op.create_index(op.f("ix_mandates_deputy_id"), "mandates", ["deputy_id"], unique=False)
    op.create_index(op.f("ix_mandates_level"), "mandates", ["level"], unique=False)
    op.create_index("ix_mandates_term", "mandates", ["term_id"], unique=False)
    op.create_index(op.f("ix_mandates_updated_at"), "mandates", ["updated_at"], unique=False)
    op.create_index(
        "uq_mandates_one_per_term",
        "mandates",
        ["deputy_id", "term_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'TERMINATED'"),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("topics", sa.ARRAY(sa.String()), server_default="{}", nullable=False),
        sa.CheckConstraint("end_date >= start_date", name="ck_meetings_dates"),
        sa.CheckConstraint("number > 0", name="ck_meetings_number_positive"),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["committees.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("committee_id", "number", name="uq_meetings_committee_number"),
    )
    op.create_index("ix_meetings_start_date", "meetings", ["start_date"], unique=False)
    op.create_table(
        "reception_deputies",
        sa.Column("reception_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reception_id"],
            ["receptions.id"],
        ),
        sa.PrimaryKeyConstraint("reception_id", "deputy_id"),
    )
    op.create_index(
        op.f("ix_reception_deputies_deputy_id"), "reception_deputies", ["deputy_id"], unique=False
    )
    op.create_table(
        "attendances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("level", ENUMS["level"], nullable=False),
        sa.Column("spoke", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "deputy_id", name="uq_attendances_meeting_deputy"),
    )
    op.create_index(op.f("ix_attendances_deputy_id"), "attendances", ["deputy_id"], unique=False)
    op.create_index(op.f("ix_attendances_mandate_id"), "attendances", ["mandate_id"], unique=False)
    op.create_table(
        "contact_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("channel", ENUMS["contact_channel"], nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["contact_assignments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_contact_logs_assignment_date", "contact_logs", ["assignment_id", "date"], unique=False
    )
    op.create_table(
        "group_memberships",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("role", ENUMS["group_role"], nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"],
            ["deputies.id"],
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["deputy_groups.id"],
        ),
        sa.PrimaryKeyConstraint("group_id", "deputy_id"),
    )
    op.create_index(
        op.f("ix_group_memberships_deputy_id"), "group_memberships", ["deputy_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_group_memberships_deputy_id"), table_name="group_memberships")
    op.drop_table("group_memberships")
    op.drop_index("ix_contact_logs_assignment_date", table_name="contact_logs")
    op.drop_table("contact_logs")
    op.drop_index(op.f("ix_attendances_mandate_id"), table_name="attendances")
    op.drop_index(op.f("ix_attendances_deputy_id"), table_name="attendances")
    op.drop_table("attendances")
    op.drop_index(op.f("ix_reception_deputies_deputy_id"), table_name="reception_deputies")
    op.drop_table("reception_deputies")
    op.drop_index("ix_meetings_start_date", table_name="meetings")
    op.drop_table("meetings")
    op.drop_index(
        "uq_mandates_one_per_term",
        table_name="mandates",
        postgresql_where=sa.text("status <> 'TERMINATED'"),
    )
    op.drop_index(op.f("ix_mandates_updated_at"), table_name="mandates")
    op.drop_index("ix_mandates_term", table_name="mandates")
    op.drop_index(op.f("ix_mandates_level"), table_name="mandates")
    op.drop_index(op.f("ix_mandates_deputy_id"), table_name="mandates")
    op.drop_index("ix_mandates_congress_status", table_name="mandates")
    op.drop_table("mandates")
    op.drop_index(op.f("ix_deputy_groups_updated_at"), table_name="deputy_groups")
    op.drop_index(op.f("ix_deputy_groups_region_code"), table_name="deputy_groups")
    op.drop_index(op.f("ix_deputy_groups_kind"), table_name="deputy_groups")
    op.drop_index(op.f("ix_deputy_groups_congress_id"), table_name="deputy_groups")
    op.drop_index(op.f("ix_deputy_groups_committee_id"), table_name="deputy_groups")
    op.drop_table("deputy_groups")
    op.drop_index(
        "uq_ca_current",
        table_name="contact_assignments",
        postgresql_where=sa.text("end_date IS NULL"),
    )
    op.drop_index(op.f("ix_contact_assignments_deputy_id"), table_name="contact_assignments")
    op.drop_index(op.f("ix_contact_assignments_contactor_id"), table_name="contact_assignments")
    op.drop_index(op.f("ix_contact_assignments_committee_id"), table_name="contact_assignments")
    op.drop_table("contact_assignments")
    op.drop_index(
        "uq_cm_current",
        table_name="committee_memberships",
        postgresql_where=sa.text("end_date IS NULL"),
    )
    op.drop_index(op.f("ix_committee_memberships_deputy_id"), table_name="committee_memberships")
    op.drop_index(op.f("ix_committee_memberships_committee_id"), table_name="committee_memberships")
    op.drop_table("committee_memberships")
    op.drop_table("terms")
    op.drop_index(op.f("ix_station_assignments_deputy_id"), table_name="station_assignments")
    op.drop_table("station_assignments")
    op.drop_index("ix_receptions_station_date", table_name="receptions")
    op.drop_index("ix_receptions_date", table_name="receptions")
    op.drop_table("receptions")
    op.drop_index(
        "uq_committees_one_standing",
        table_name="committees",
        postgresql_where=sa.text("kind = 'STANDING_COMMITTEE'"),
    )
    op.drop_index(op.f("ix_committees_congress_id"), table_name="committees")
    op.drop_table("committees")
    op.drop_index(op.f("ix_stations_updated_at"), table_name="stations")
    op.drop_index(op.f("ix_stations_region_code"), table_name="stations")
    op.drop_table("stations")
    op.drop_index(op.f("ix_deputies_updated_at"), table_name="deputies")
    op.drop_index("ix_deputies_search", table_name="deputies", postgresql_using="gin")
    op.drop_index("ix_deputies_name_pinyin_id", table_name="deputies")
    op.drop_index(op.f("ix_deputies_locality_code"), table_name="deputies")
    op.drop_index("ix_deputies_birth_year_id", table_name="deputies")
    op.drop_table("deputies")
    op.drop_table("congresses")
    op.drop_index("ix_regions_lineage", table_name="regions", postgresql_using="gin")
    op.drop_index(op.f("ix_regions_parent_code"), table_name="regions")
    op.drop_index("ix_regions_level_code", table_name="regions")
    op.drop_table("regions")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_table("audit_log")
    for enum_type in ENUMS.values():
        enum_type.drop(op.get_bind())
