"""Alembic environment: always run programmatically by needlelog.db.migrate with a live connection."""

from __future__ import annotations

from alembic import context

from needlelog.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through needlelog.db.migrate (needlelog db upgrade), not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
