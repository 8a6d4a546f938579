"""Least privilege on a PostgreSQL server: what the PCs' login may do to the chart, granted and verified.

The chart's tables belong to one role (the one that ran the migrations: the clinic's IT). The PCs sign
in with another login, a member of a group role that may read and write what charting needs and nothing
else: it inserts into the audit trail, the amendments and the follow-up notes but cannot update, delete
or truncate them; it truncates no table; and, owning none, it cannot ALTER a table or DISABLE TRIGGER
(PostgreSQL lets only a table's owner do either). The triggers of the migrations refuse a change to a
signed note; these grants keep the login the program runs as from taking the triggers away.

The append-only tables are found from the server itself (the tables whose triggers call
``needlelog_append_only()``), so a table a later migration makes append-only is covered without a list
to keep in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from needlelog.domain.errors import StorageError

# A draft's rows are replaced on each save; a password set by someone without the chart key drops its old copy.
DELETES = ("needling_site", "trigger_point", "adverse_event", "outcome_measure", "key_wrapping")
READ_ONLY_TABLES = ("alembic_version",)  # the schema's version: the owner's upgrade writes it
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
DEFAULT_GROUP = "needlelog_app"


@dataclass(frozen=True)
class Grants:
    """What :func:`grant_least_privilege` did."""

    owner: str
    group: str
    login: str
    login_created: bool
    tables: int


def check_role_name(name: str, what: str) -> str:
    """``name`` when it is a plain PostgreSQL role name (lower case, digits, underscores); refused in words."""
    if not ROLE_NAME.fullmatch(name):
        raise StorageError(
            f"{what} {name!r} is not a role name needlelog makes: use lower-case letters, digits and underscores."
        )
    return name


def _tables(conn: Connection) -> dict[str, str]:
    """The chart's tables in the connection's schema, and each one's owner."""
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
        )
    )
    return {name: owner for name, owner in rows}


def _sequences(conn: Connection) -> list[str]:
    rows = conn.execute(
        text("SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S'")
    )
    return [name for (name,) in rows]


def append_only_tables(conn: Connection) -> set[str]:
    """The tables whose rows may be added but never changed: their triggers call ``needlelog_append_only()``."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE p.proname = 'needlelog_append_only' AND c.relnamespace = current_schema()::regnamespace"
        )
    )
    return {name for (name,) in rows}


def _privileges_for(table: str, append_only: set[str]) -> str:
    if table in READ_ONLY_TABLES:
        return "SELECT"
    if table in append_only:
        return "SELECT, INSERT"
    if table in DELETES:
        return "SELECT, INSERT, UPDATE, DELETE"
    return "SELECT, INSERT, UPDATE"


def grant_least_privilege(engine: Engine, group: str, login: str, password: str | None) -> Grants:
    """Make ``group`` (NOLOGIN) hold exactly what charting needs on every table of the chart, and ``login``
    (created with ``password`` when it does not exist) a member of it. Run as the tables' owner, with
    CREATEROLE (or as a superuser); everything in one transaction, so it is done whole or not at all."""
    check_role_name(group, "The group")
    check_role_name(login, "The login")
    with engine.begin() as conn:
        tables = _tables(conn)
        if "audit_log" not in tables:
            raise StorageError("This database holds no needlelog chart yet: run `needlelog db upgrade` on it first.")
        owners = set(tables.values())
        if login in owners or group in owners:
            raise StorageError(
                f"The login {login} owns the chart's tables, so it could alter them and disable their triggers; "
                "the PCs need a login of their own."
            )
        created = _ensure_roles(conn, group, login, password)
        append_only = append_only_tables(conn)
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC'))
        conn.execute(text(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {group}'))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {_schema(conn)} TO {group}"))
        for table in sorted(tables):
            conn.execute(text(f'REVOKE ALL ON TABLE "{table}" FROM PUBLIC, {group}, {login}'))
            conn.execute(text(f'GRANT {_privileges_for(table, append_only)} ON TABLE "{table}" TO {group}'))
        for sequence in _sequences(conn):
            conn.execute(text(f'REVOKE ALL ON SEQUENCE "{sequence}" FROM PUBLIC, {group}, {login}'))
            conn.execute(text(f'GRANT USAGE, SELECT ON SEQUENCE "{sequence}" TO {group}'))
    return Grants(", ".join(sorted(owners)), group, login, created, len(tables))


def _schema(conn: Connection) -> str:
    return str(conn.execute(text("SELECT quote_ident(current_schema())")).scalar_one())


def _ensure_roles(conn: Connection, group: str, login: str, password: str | None) -> bool:
    def exists(name: str) -> bool:
        return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first() is not None

    if not exists(group):
        conn.execute(text(f"CREATE ROLE {group} NOLOGIN"))
    created = not exists(login)
    if created:
        if not password:
            raise StorageError(f"The login {login} does not exist yet: give the password it is to have.")
        quoted = conn.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar_one()
        conn.execute(text(f"CREATE ROLE {login} LOGIN PASSWORD {quoted}"))
    conn.execute(text(f"GRANT {group} TO {login}"))
    return created


# --- what check verifies --------------------------------------------------------------------------

CHANGES = ("UPDATE", "DELETE", "TRUNCATE")


def privilege_problems(engine: Engine) -> list[str]:
    """Every way a login that uses the chart, other than the tables' owner, could rewrite its history; and
    the chart's owner being the only login that uses it (then the program runs as the owner). Empty when
    the grants hold. Superusers are the server's administrators, not the program's, and are left out."""
    with engine.connect() as conn:
        tables = _tables(conn)
        if "audit_log" not in tables:
            return []
        owners = set(tables.values())
        append_only = sorted(append_only_tables(conn))
        logins = [
            name
            for (name,) in conn.execute(
                text(
                    "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper "
                    "AND has_table_privilege(oid, 'audit_log', 'SELECT')"
                )
            )
        ]
        problems: list[str] = []
        users = [name for name in logins if name not in owners]
        if not users:
            owner = ", ".join(sorted(owners))
            problems.append(
                f"privileges: the chart's tables are owned by the login that uses them ({owner}), which can truncate "
                "the audit trail and disable the triggers: run `needlelog db grants` and give the PCs its login"
            )
        for name in users:
            problems.extend(_login_problems(conn, name, owners, tables, append_only))
        return problems


def _login_problems(
    conn: Connection, login: str, owners: set[str], tables: dict[str, str], append_only: list[str]
) -> list[str]:
    problems = []
    for owner in sorted(owners):
        if conn.execute(text("SELECT pg_has_role(:l, :o, 'MEMBER')"), {"l": login, "o": owner}).scalar_one():
            problems.append(f"privileges: the login {login} may act as the tables' owner {owner} (it is a member)")
    for table in append_only:
        for change in CHANGES:
            if _may(conn, login, table, change):
                problems.append(f"privileges: the login {login} may {change} {table}, which is append-only")
    for table in sorted(tables):  # a table a later upgrade made, before the grants were run again
        if not _may(conn, login, table, "SELECT"):
            problems.append(f"privileges: the login {login} may not read {table}: run `needlelog db grants` again")
    for table in sorted(set(tables) - set(append_only)):
        for change in ("TRUNCATE", "TRIGGER"):
            if _may(conn, login, table, change):
                problems.append(f"privileges: the login {login} may {change} {table}")
    return problems


def _may(conn: Connection, login: str, table: str, privilege: str) -> bool:
    found = conn.execute(
        text("SELECT has_table_privilege(:l, quote_ident(:t), :p)"), {"l": login, "t": table, "p": privilege}
    ).scalar_one()
    return bool(found)
