"""Change feed and live events, kept by the database itself.

- `updated_at` of deputies, mandates, stations and groups is stamped by a trigger on every
  UPDATE that changes the row, so no write path (mutation, import, hand-written SQL) can
  forget it;
- a change to a deputy's mandates, station assignments or group memberships stamps the
  deputy (and the station or group) too, so `updatedSince` finds every record whose
  picture changed, removals included;
- attendances, receptions and mandates send pg_notify from the writing transaction: the
  notification is delivered at commit, to every service process that listens, and never
  for a write that was rolled back.

Statement-level triggers with transition tables: a bulk import of 100,000 mandates costs
one UPDATE and a few hundred notifications, not 100,000 of each. No table or column
changes, so the models and the migrations still describe the same schema.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMPED = ("deputies", "mandates", "stations", "deputy_groups")
# (table, event, transition table) of the statement triggers that stamp parents.
TOUCHING = (
    ("mandates", "INSERT", "NEW"),
    ("mandates", "UPDATE", "NEW"),
    ("station_assignments", "INSERT", "NEW"),
    ("station_assignments", "DELETE", "OLD"),
    ("group_memberships", "INSERT", "NEW"),
    ("group_memberships", "UPDATE", "NEW"),
    ("group_memberships", "DELETE", "OLD"),
)
NOTIFYING = (
    ("attendances", "INSERT"),
    ("receptions", "INSERT"),
    ("mandates", "INSERT"),
    ("mandates", "UPDATE"),
)

STAMP = """
CREATE FUNCTION registry_stamp_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;
"""

# `updated_at < now()` skips rows already stamped by this transaction (and rows it created),
# so an import that writes deputies and then their mandates does not rewrite them.
TOUCH = """
CREATE FUNCTION registry_touch_parents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'mandates' THEN
        -- An UPDATE that changed nothing kept its old stamp (see the BEFORE trigger).
        UPDATE deputies SET updated_at = now()
        WHERE id IN (SELECT deputy_id FROM changed WHERE TG_OP = 'INSERT' OR updated_at = now())
          AND updated_at < now();
        RETURN NULL;
    ELSIF TG_TABLE_NAME = 'station_assignments' THEN
        UPDATE stations SET updated_at = now()
        WHERE id IN (SELECT station_id FROM changed) AND updated_at < now();
    ELSIF TG_TABLE_NAME = 'group_memberships' THEN
        UPDATE deputy_groups SET updated_at = now()
        WHERE id IN (SELECT group_id FROM changed) AND updated_at < now();
    END IF;
    UPDATE deputies SET updated_at = now()
    WHERE id IN (SELECT deputy_id FROM changed) AND updated_at < now();
    RETURN NULL;
END $$;
"""

# One notification per (parent, chunk of 400 ids): a payload stays far below the 8,000-byte
# limit. Listeners filter on the parent (meeting, station, the congress's region lineage)
# without a query, then read the rows themselves with the subscriber's role.
NOTIFY = """
CREATE FUNCTION registry_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event record;
BEGIN
    IF TG_TABLE_NAME = 'attendances' THEN
        FOR event IN
            SELECT meeting_id AS parent, array_agg(id ORDER BY id) AS ids
            FROM (SELECT meeting_id, id,
                         (row_number() OVER (PARTITION BY meeting_id ORDER BY id) - 1) / 400 AS chunk
                  FROM changed) c
            GROUP BY meeting_id, chunk
        LOOP
            PERFORM pg_notify('registry_attendance',
                              json_build_object('meeting', event.parent, 'ids', event.ids)::text);
        END LOOP;
    ELSIF TG_TABLE_NAME = 'receptions' THEN
        FOR event IN
            SELECT station_id AS parent, array_agg(id ORDER BY id) AS ids
            FROM (SELECT station_id, id,
                         (row_number() OVER (PARTITION BY station_id ORDER BY id) - 1) / 400 AS chunk
                  FROM changed) c
            GROUP BY station_id, chunk
        LOOP
            PERFORM pg_notify('registry_reception',
                              json_build_object('station', event.parent, 'ids', event.ids)::text);
        END LOOP;
    ELSE
        FOR event IN
            SELECT min(r.lineage) AS lineage, array_agg(c.id ORDER BY c.id) AS ids
            FROM (SELECT congress_id, id,
                         (row_number() OVER (PARTITION BY congress_id ORDER BY id) - 1) / 400 AS chunk
                  FROM changed WHERE TG_OP = 'INSERT' OR updated_at = now()) c
            JOIN congresses g ON g.id = c.congress_id
            JOIN regions r ON r.code = g.region_code
            GROUP BY c.congress_id, c.chunk
        LOOP
            PERFORM pg_notify('registry_mandate',
                              json_build_object('op', TG_OP, 'lineage', event.lineage,
                                                'ids', event.ids)::text);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(STAMP)
    op.execute(TOUCH)
    op.execute(NOTIFY)
    for table in STAMPED:
        op.execute(
            f"CREATE TRIGGER trg_{table}_stamp BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN (OLD IS DISTINCT FROM NEW) EXECUTE FUNCTION registry_stamp_updated_at()"
        )
    # A transition table serves one event only, hence a trigger per event.
    for table, event, transition in TOUCHING:
        op.execute(
            f"CREATE TRIGGER trg_{table}_touch_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {transition} TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION registry_touch_parents()"
        )
    for table, event in NOTIFYING:
        op.execute(
            f"CREATE TRIGGER trg_{table}_notify_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING NEW TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION registry_notify()"
        )


def downgrade() -> None:
    for table, event in NOTIFYING:
        op.execute(f"DROP TRIGGER trg_{table}_notify_{event.lower()} ON {table}")
    for table, event, _ in TOUCHING:
        op.execute(f"DROP TRIGGER trg_{table}_touch_{event.lower()} ON {table}")
    for table in STAMPED:
        op.execute(f"DROP TRIGGER trg_{table}_stamp ON {table}")
    op.execute("DROP FUNCTION registry_notify()")
    op.execute("DROP FUNCTION registry_touch_parents()")
    op.execute("DROP FUNCTION registry_stamp_updated_at()")
