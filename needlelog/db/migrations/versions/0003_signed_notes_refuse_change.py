"""signed notes refuse change in the database itself

SPEC §3: a signed note never changes in place, not through the program and not through plain
SQL on the file. Triggers refuse any UPDATE or DELETE of a signed session, and any INSERT,
UPDATE or DELETE of the sites, trigger points and adverse events of a signed session. Signing
itself is the one update allowed: it turns a draft (OLD.status = 'draft') into a signed note.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REFUSAL = "needlelog: a signed note cannot be changed; add an amendment"

# (trigger name, table, event, condition on the row) for SQLite; the session behind a child row
# is found through its parent (a trigger point's site's session).
SIGNED_SESSION = "(SELECT status FROM treatment_session WHERE id = {session}) = 'signed'"
SITE_SESSION = "(SELECT session_id FROM needling_site WHERE id = {site})"
SQLITE_TRIGGERS = [
    ("signed_session_no_update", "treatment_session", "UPDATE", "OLD.status = 'signed'"),
    ("signed_session_no_delete", "treatment_session", "DELETE", "OLD.status = 'signed'"),
    *[
        (f"signed_{table}_no_{event.lower()}", table, event, SIGNED_SESSION.format(session=f"{row}.session_id"))
        for table in ("needling_site", "adverse_event")
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
    ],
    *[
        (
            f"signed_trigger_point_no_{event.lower()}",
            "trigger_point",
            event,
            SIGNED_SESSION.format(session=SITE_SESSION.format(site=f"{row}.site_id")),
        )
        for event, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
    ],
]

POSTGRES_FUNCTION = f"""
CREATE FUNCTION needlelog_refuse_signed_change() RETURNS trigger AS $$
DECLARE
    row_session integer;
    row_status varchar;
BEGIN
    IF TG_TABLE_NAME = 'treatment_session' THEN
        IF OLD.status = 'signed' THEN
            RAISE EXCEPTION '{REFUSAL}';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF TG_TABLE_NAME = 'trigger_point' THEN
            SELECT session_id INTO row_session FROM needling_site WHERE id = NEW.site_id;
        ELSE
            row_session := NEW.session_id;
        END IF;
    ELSE
        IF TG_TABLE_NAME = 'trigger_point' THEN
            SELECT session_id INTO row_session FROM needling_site WHERE id = OLD.site_id;
        ELSE
            row_session := OLD.session_id;
        END IF;
    END IF;
    SELECT status INTO row_status FROM treatment_session WHERE id = row_session;
    IF row_status = 'signed' THEN
        RAISE EXCEPTION '{REFUSAL}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
POSTGRES_TRIGGERS = [
    ("signed_session_no_change", "treatment_session", "UPDATE OR DELETE"),
    ("signed_site_no_change", "needling_site", "INSERT OR UPDATE OR DELETE"),
    ("signed_point_no_change", "trigger_point", "INSERT OR UPDATE OR DELETE"),
    ("signed_event_no_change", "adverse_event", "INSERT OR UPDATE OR DELETE"),
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for name, table, events in POSTGRES_TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {events} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION needlelog_refuse_signed_change()"
            )
        return
    for name, table, event, condition in SQLITE_TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table, _events in POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute("DROP FUNCTION needlelog_refuse_signed_change()")
        return
    for name, *_ in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
