"""a stored record cannot be replaced: INSERT OR REPLACE and UPDATE OR REPLACE refused (SQLite)

SPEC §3: a signed note never changes, and the audit trail is append-only. The triggers of 0003 and 0005
refuse UPDATE and DELETE, but SQLite's REPLACE conflict resolution removes the row in the way without
firing DELETE triggers (it fires them only with ``recursive_triggers`` on, which a person with plain
``sqlite3`` need not set). So ``INSERT OR REPLACE INTO amendment SELECT id, …, 'FORGED'`` rewrote an
amendment, a signed session's notes or the audit trail, and ``UPDATE OR REPLACE`` could move a draft's
site onto a signed note's place, deleting the signed one.

The triggers below refuse, before any row is removed, an INSERT whose id or unique key is already
stored, and an UPDATE that changes a row's id or moves it onto another row's unique key. The program
never does either (it inserts new ids and never renumbers), so for it nothing changes; a plain INSERT
of a taken key failed before and fails now with these words.

PostgreSQL has no REPLACE: ``INSERT … ON CONFLICT DO UPDATE`` fires the UPDATE triggers, which refuse.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

REFUSAL = "needlelog: a stored record cannot be replaced or renumbered; add a new one"

# table -> its unique key besides the id (None: the id alone)
PROTECTED: dict[str, tuple[str, str] | None] = {
    "treatment_session": None,
    "needling_site": ("session_id", "position"),
    "trigger_point": ("site_id", "position"),
    "adverse_event": ("session_id", "position"),
    "adverse_follow_up": None,
    "amendment": None,
    "audit_log": None,
}
# Updated at all by the program (the others are append-only: 0005's triggers refuse every UPDATE).
UPDATED = ("treatment_session", "needling_site", "trigger_point", "adverse_event")


def _taken(table: str, key: tuple[str, str] | None, other: str = "") -> str:
    same_id = f"EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id{other})"
    if key is None:
        return same_id
    a, b = key
    return f"{same_id} OR EXISTS (SELECT 1 FROM {table} WHERE {a} = NEW.{a} AND {b} = NEW.{b}{other})"


def statements() -> list[str]:
    """The SQLite triggers, each a CREATE statement (``needlelog check`` compares the file's against these)."""
    made = []
    for table, key in PROTECTED.items():
        made.append(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} FOR EACH ROW "
            f"WHEN {_taken(table, key)} BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
    for table in UPDATED:
        key = PROTECTED[table]
        made.append(
            f"CREATE TRIGGER {table}_no_renumber BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN NEW.id IS NOT OLD.id OR {_taken(table, key, ' AND id IS NOT OLD.id')} "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )
    return made


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in PROTECTED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace")
    for table in UPDATED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_renumber")
