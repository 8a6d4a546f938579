"""Databases and logins on the test PostgreSQL server, each test's own, removed afterwards.

Roles are the server's, not a database's: a login a test makes is dropped after its database, so no two
tests (xdist workers) ever share one and the server keeps none.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PC_PASSWORD = "room 3 treatment pc"


@dataclass
class ServerChart:
    """A database of its own on the server, at ``url`` (the owner's, the role that made it)."""

    url: str
    roles: list[str] = field(default_factory=list)

    def pc_login(self) -> str:
        """The URL of a new login with least privilege on this chart (`needlelog db grants`, as IT runs it)."""
        login, group = f"pc_{uuid.uuid4().hex[:10]}", f"app_{uuid.uuid4().hex[:10]}"
        self.roles += [login, group]
        done = subprocess.run(
            [sys.executable, "-m", "needlelog", "db", "grants", "--db", self.url, "--login", login, "--group", group],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
            env={**os.environ, "NEEDLELOG_LOGIN_PASSWORD": PC_PASSWORD},
        )
        assert done.returncode == 0, done.stderr
        url = make_url(self.url).set(username=login, password=PC_PASSWORD)
        return url.render_as_string(hide_password=False)


@contextmanager
def fresh_database(server_url: str, prefix: str = "needlelog_t") -> Iterator[ServerChart]:
    """A new, empty UTF-8 database on the server of ``server_url``, dropped afterwards whoever is still
    connected, and then the logins made for it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"))
    chart = ServerChart(make_url(server_url).set(database=name).render_as_string(hide_password=False))
    try:
        yield chart
    finally:
        try:
            with admin.connect() as conn:
                # A member may end the role's connections, which FORCE does: the logins made for the chart, and
                # whoever else is still connected to it (a program's backend still ending after its process did).
                connected = conn.execute(
                    text(
                        "SELECT DISTINCT a.usename FROM pg_stat_activity a JOIN pg_roles r ON r.rolname = a.usename"
                        " WHERE a.datname = :name AND a.usename <> current_user AND NOT r.rolsuper"
                    ),
                    {"name": name},
                ).scalars()
                for role in sorted(set(chart.roles) | set(connected)):
                    conn.execute(text(f'GRANT "{role}" TO CURRENT_USER'))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                for role in chart.roles:
                    conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        finally:
            admin.dispose()  # even when the drop failed: a connection left open fails a later test at its collection


class ServerLink:
    """The network between a PC and the server, which a test can cut and mend: a TCP relay to the server of
    ``url``. Cut, it drops every open connection and closes each new one at once, as a server switched off or
    a cable pulled does to the PC; the server itself (shared by every test) never notices.

    (A cluster of the test's own, stopped and started with pg_ctlcluster, would do as well where initdb can
    run; this also runs where it cannot, and as any user.)"""

    def __init__(self, url: str) -> None:
        self.target = make_url(url)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return self.target.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def cut(self) -> None:
        with self.lock:
            self.down = True
            for each in self.open:
                with suppress(OSError):
                    each.shutdown(socket.SHUT_RDWR)
                each.close()
            self.open.clear()

    def mend(self) -> None:
        with self.lock:
            self.down = False

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                if self.down:
                    client.close()
                    continue
                server = socket.create_connection((self.target.host or "127.0.0.1", self.target.port or 5432))
                self.open += [client, server]
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for each in (source, sink):
            with suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)
