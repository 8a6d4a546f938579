"""Every row of a SQLite chart copied as stored into an empty PostgreSQL chart (`needlelog migrate-to`).

The rows are read and written in their storage form (each column's plain SQL type, not the program's
column types), so a code, a set of codes or a time goes across exactly as the file holds it. Everything
is written in one transaction on the server: a copy that fails leaves the server's chart empty. The
triggers that refuse a change to a signed note would also refuse its sites being inserted after it; they
are disabled for that one transaction (``ALTER TABLE ... DISABLE TRIGGER USER``, which only the tables'
owner may do; the foreign keys stay checked) and enabled again before it commits, as the migrations do
for their one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, TableClause, column, func, insert, select, table, text
from sqlalchemy.types import TypeDecorator, TypeEngine

from needlelog.db.models import AuditRow, Base, SessionRow
from needlelog.domain.vocab import SessionStatus

BATCH = 5000
Progress = Callable[[str, int, int], None]  # (table, rows copied, rows in it)


def chart_tables() -> list[Table]:
    """The chart's tables, each after the tables it points to."""
    return list(Base.metadata.sorted_tables)


def _stored(source: Table) -> TableClause:
    """``source`` with each column's storage type: no conversion to or from the program's values."""

    def plain(kind: TypeEngine[object]) -> TypeEngine[object]:
        return kind.impl_instance if isinstance(kind, TypeDecorator) else kind

    return table(source.name, *(column(c.name, plain(c.type)) for c in source.columns))


@dataclass(frozen=True)
class Held:
    """What a chart holds, read in one transaction: each table's rows, each signed note's fingerprint (by
    session id) and the newest audit row's hash."""

    rows: dict[str, int]
    fingerprints: dict[int, str]
    newest_audit_hash: str | None


def held(conn: Connection) -> Held:
    return Held(_row_counts(conn), _fingerprints(conn), _newest_audit_hash(conn))


def row_counts(engine: Engine) -> dict[str, int]:
    """How many rows each table of the chart holds."""
    with engine.connect() as conn:
        return _row_counts(conn)


def _row_counts(conn: Connection) -> dict[str, int]:
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in chart_tables()}


def copy_rows(source: Engine, target: Engine, progress: Progress) -> Held:
    """Copy every row of every table from ``source`` into ``target`` (empty, at the same schema), in one
    transaction on ``target``, from one read transaction of ``source`` (a snapshot, however the file is
    written meanwhile); returns what that snapshot held, for the copy to be verified against."""
    with source.connect() as reader, target.begin() as writer:
        snapshot = held(reader)
        writer.execute(text("SET LOCAL TIME ZONE 'UTC'"))  # the file's times are UTC, stored without a zone
        _triggers(writer, enable=False)
        for source_table in chart_tables():
            _copy_table(reader, writer, source_table, snapshot.rows[source_table.name], progress)
        _triggers(writer, enable=True)
        _move_sequences(writer)
    return snapshot


def _copy_table(reader: Connection, writer: Connection, source: Table, total: int, progress: Progress) -> int:
    stored = _stored(source)
    keys = [stored.c[c.name] for c in source.primary_key.columns]
    done = 0
    progress(source.name, 0, total)
    result = reader.execution_options(yield_per=BATCH).execute(select(stored).order_by(*keys))
    for rows in result.partitions():
        writer.execute(insert(stored), [row._asdict() for row in rows])
        done += len(rows)
        progress(source.name, done, total)
    return done


def _triggers(conn: Connection, *, enable: bool) -> None:
    action = "ENABLE" if enable else "DISABLE"
    for each in chart_tables():
        conn.execute(text(f'ALTER TABLE "{each.name}" {action} TRIGGER USER'))


def _move_sequences(conn: Connection) -> None:
    """Each id sequence moved past the ids copied, so the next row the program adds gets a new one."""
    for each in chart_tables():
        if list(each.primary_key.columns.keys()) != ["id"]:
            continue
        conn.execute(
            text(
                f'SELECT setval(seq, COALESCE((SELECT MAX(id) FROM "{each.name}"), 0) + 1, false) '
                f"FROM pg_get_serial_sequence('{each.name}', 'id') AS seq WHERE seq IS NOT NULL"
            )
        )


def disabled_triggers(engine: Engine) -> list[str]:
    """The chart's own triggers left disabled on the server (none, after a copy that committed)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled = 'D' AND c.relnamespace = current_schema()::regnamespace"
            )
        )
        return sorted(name for (name,) in rows)


def fingerprints(engine: Engine) -> dict[int, str]:
    """Each signed note's stored fingerprint, by session id."""
    with engine.connect() as conn:
        return _fingerprints(conn)


def _fingerprints(conn: Connection) -> dict[int, str]:
    rows = conn.execute(select(SessionRow.id, SessionRow.fingerprint).where(SessionRow.status == SessionStatus.SIGNED))
    return {session_id: digest for session_id, digest in rows}


def newest_audit_hash(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _newest_audit_hash(conn)


def _newest_audit_hash(conn: Connection) -> str | None:
    return conn.execute(select(AuditRow.row_hash).order_by(AuditRow.id.desc()).limit(1)).scalar()
