"""Integrity checks of a stored chart (`needlelog check`)."""

from __future__ import annotations

from sqlalchemy import Engine

from needlelog.db.engine import sqlite_path


def integrity_problems(engine: Engine) -> list[str]:
    """What SQLite's own checks find wrong with the file, in words; empty when all is well."""
    if sqlite_path(engine.url) is None and engine.dialect.name != "sqlite":
        return []  # the server keeps its own pages; nothing to scan from here
    problems: list[str] = []
    with engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
        if rows != ["ok"]:
            problems.extend(f"integrity check: {r}" for r in rows[:20])
        for table, rowid, parent, _fk in conn.exec_driver_sql("PRAGMA foreign_key_check"):
            problems.append(f"foreign key check: {table} row {rowid} points to a missing {parent} row")
            if len(problems) > 40:
                break
    return problems
