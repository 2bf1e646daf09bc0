"""Token revocations notify every service process.

A token is revoked by an audit entry (action 'revokeToken', entity 'Token', entity_id the
token's jti), whoever writes it: `registry revoke-token`, a script, hand-written SQL. A row
trigger on those entries sends pg_notify('registry_revocation', jti) in the writing
transaction, so the notification leaves PostgreSQL at commit (never for a rollback), and
every process's listener (service.live.Broker) stops trusting the token at once (see
service.auth for the window). The WHEN clause is evaluated without calling the function:
the other audit entries, thousands in a bulk import, cost nothing.

No table or column changes, so the models and the migrations still describe the same schema.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFY = """
CREATE FUNCTION registry_notify_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('registry_revocation', NEW.entity_id);
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(NOTIFY)
    op.execute(
        "CREATE TRIGGER trg_audit_log_notify_revocation AFTER INSERT ON audit_log "
        "FOR EACH ROW WHEN (NEW.action = 'revokeToken' AND NEW.entity = 'Token') "
        "EXECUTE FUNCTION registry_notify_revocation()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER trg_audit_log_notify_revocation ON audit_log")
    op.execute("DROP FUNCTION registry_notify_revocation()")
