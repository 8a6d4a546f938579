"""Bulk loading of many rows at once (seeding, imports): rows as tuples, not ORM objects.

On SQLite the tuples go straight to the driver's ``executemany`` in storage form, about
twice as fast as Core; on other engines they go through Core so types are adapted.
The storage form written here is the one the column types in ``types.py`` read back, and
a test reads seeded rows back through the ORM to keep the two in step.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Table, func, select

from needlelog.db.models import (
    AdverseEventRow,
    ClinicianRow,
    ConsentRow,
    EpisodeRow,
    PatientRow,
    SessionRow,
    SiteRow,
    TriggerPointRow,
)
from needlelog.db.types import Code, UtcDateTime

TABLES: dict[str, Table] = {
    "clinician": ClinicianRow.__table__,  # type: ignore[dict-item]
    "patient": PatientRow.__table__,  # type: ignore[dict-item]
    "consent": ConsentRow.__table__,  # type: ignore[dict-item]
    "treatment_session": SessionRow.__table__,  # type: ignore[dict-item]
    "needling_site": SiteRow.__table__,  # type: ignore[dict-item]
    "trigger_point": TriggerPointRow.__table__,  # type: ignore[dict-item]
    "adverse_event": AdverseEventRow.__table__,  # type: ignore[dict-item]
    "episode": EpisodeRow.__table__,  # type: ignore[dict-item]
}


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not UTC and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _server_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _converter(target: Table, columns: Sequence[str], sqlite: bool) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """Convert only the columns that need it; the rest pass through untouched.

    The SQLite driver binds str enums (they are str) and bools (they are int) as they are;
    only times need SQLite's text form. Other drivers get plain codes and aware times.
    """
    if sqlite:
        needs = [i for i, c in enumerate(columns) if isinstance(target.c[c].type, (UtcDateTime, DateTime, Date))]
        one = _sqlite_value
    else:
        needs = [i for i, c in enumerate(columns) if isinstance(target.c[c].type, Code)]
        one = _server_value
    if not needs:
        return lambda row: row

    def convert(row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for i in needs:
            if out[i] is not None:
                out[i] = one(out[i])
        return out

    return convert


def driver_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], sqlite: bool) -> list[Sequence[Any]]:
    """Rows in the form the driver takes, ready for :func:`insert_rows` with ``prepared=True``.

    Separate so that worker processes can do this part of the work.
    """
    convert = _converter(TABLES[table], columns, sqlite)
    return [convert(r) for r in rows]


def insert_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    prepared: bool = False,
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` within the caller's transaction."""
    sqlite = conn.dialect.name == "sqlite"
    batch = list(rows) if prepared else driver_rows(table, columns, rows, sqlite)
    if not batch:
        return 0
    name = TABLES[table].name
    if sqlite:
        sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, batch)
        finally:
            cursor.close()
    else:
        # Straight to the driver here too: the column types expect domain values, these are storage values.
        placeholders = ", ".join(f"%({c})s" for c in columns)
        sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({placeholders})"
        conn.exec_driver_sql(sql, [dict(zip(columns, r, strict=True)) for r in batch])
    return len(batch)


@contextmanager
def loading(conn: Connection, table: str) -> Iterator[None]:
    """Make a large load into ``table`` cheap: a big page cache, and, when the table starts
    empty, its secondary indexes built once at the end instead of row by row.

    Inside the caller's transaction, so a failed load leaves the indexes as they were.
    """
    target = TABLES[table]
    sqlite = conn.dialect.name == "sqlite"
    empty = conn.execute(select(target.c.id).limit(1)).first() is None
    indexes = list(target.indexes) if empty else []
    if sqlite:
        conn.exec_driver_sql("PRAGMA cache_size = -262144")
    for index in indexes:
        index.drop(conn)
    try:
        yield
        for index in indexes:
            index.create(conn)
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size = -2000")


@contextmanager
def unguarded(conn: Connection, tables: Sequence[str]) -> Iterator[None]:
    """A load of new rows into ``tables`` without their record-protecting triggers (SQLite), which are put
    back, from their own stored text, before the caller's transaction commits.

    Each trigger costs a load one to three index look-ups a row (is the note signed? is this id or
    position taken?), half of what inserting a seeded visit costs. New rows under fresh ids cannot be what
    they guard against (a plain INSERT never replaces: the primary keys and unique constraints still refuse
    a taken id or position), and no other connection sees the chart without them: a trigger dropped and
    created again inside one transaction is, to everyone else, never dropped; a failed load rolls back
    the drop with the rows. ``needlelog check`` compares the triggers' text with the schema's.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    names = ", ".join("?" * len(tables))
    guards = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({names}) ORDER BY rowid",
        tuple(tables),
    ).all()
    for name, _ in guards:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _, sql in guards:
        conn.exec_driver_sql(sql)


def sign_seeded(conn: Connection, session_ids: Sequence[int]) -> None:
    """Sign seeded sessions whose signature (time, signer, fingerprint) was written with them,
    now that their sites are in: a signed note's sites can no longer be added (revision 0003)."""
    target = TABLES["treatment_session"]
    for start in range(0, len(session_ids), 900):  # within SQLite's bound-parameter limit
        chunk = session_ids[start : start + 900]
        conn.execute(target.update().where(target.c.id.in_(chunk)).values(status="signed"))


def next_id(conn: Connection, table: str) -> int:
    target = TABLES[table]
    return int(conn.execute(select(func.coalesce(func.max(target.c.id), 0))).scalar_one()) + 1


def reset_sequences(conn: Connection) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past them."""
    if conn.dialect.name != "postgresql":
        return
    for target in TABLES.values():
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{target.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {target.name}), 0) + 1, false)"
        )


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off while many rows are read into short-lived tuples and lists, on again after.

    Those make no reference cycles, yet the collector runs every 700 new containers and walks the young ones
    each time: half of `needlelog check`'s time on a 500,000-session chart (issue 13). Reference counting
    still frees everything as it goes; a collection left over runs when it is back on."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
