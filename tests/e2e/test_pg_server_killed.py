"""The server is killed mid-edit and started again (issue 16's done-when): the typed text is saved.

Not the relay of test_pg_server_away.py but a real PostgreSQL server of this test's own, a copy of the
test cluster (pg_basebackup, as its postgres user) started on a free port: the test SIGKILLs its postmaster
and every backend (a power cut of the server), types on, finds the draft on screen and in the owner-only
recovery file, starts the server again on the same data and port, and waits for the editor's own retry to
save. The shared cluster the other tests use is only read from (the base backup), never stopped.

It needs root (the copy and the server run as the cluster's postgres user) and the cluster of
NEEDLELOG_TEST_PG_URL on this PC (Debian's pg_lsclusters); otherwise it is skipped, saying why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from needlelog.services.recovery import DraftRecovery
from needlelog.services.store import open_chart
from tests.conftest import TEST_HASHER, TEST_WRAPPING
from tests.e2e.test_pg_server_away import open_editor

PG_URL = os.environ.get("NEEDLELOG_TEST_PG_URL")
START_TIMEOUT = 60.0  # crash recovery of a 100 MB cluster takes a second or two; a slow CI machine, more


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def cluster_of(url: str) -> tuple[str, str, Path] | str:
    """(version, cluster name, data directory) of the local cluster serving ``url``, or why there is none."""
    if os.name != "posix" or os.geteuid() != 0:
        return "the server is copied and run as its postgres user, which needs root"
    if shutil.which("pg_lsclusters") is None:
        return "pg_lsclusters (Debian's postgresql-common) is not installed"
    port = str(make_url(url).port or 5432)
    listed = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30, check=False)
    for line in listed.stdout.splitlines():
        version, name, at, status, owner, data, *_ = line.split() + [""] * 7
        if at == port and status.startswith("online") and owner == "postgres":
            return version, name, Path(data)
    return f"no online cluster owned by postgres listens on port {port} here (pg_lsclusters)"


class KilledServer:
    """A PostgreSQL server of the test's own on a copy of the test cluster, which it can kill and restart."""

    def __init__(self, version: str, cluster: str, source_port: int, work: Path, data: Path) -> None:
        self.binary = Path(f"/usr/lib/postgresql/{version}/bin")
        self.config = Path(f"/etc/postgresql/{version}/{cluster}/postgresql.conf")
        self.source_port, self.work, self.data = source_port, work, data
        self.port = free_port()
        self.stdin = work / "stdin"  # the postgres user may not open /dev/null here: an empty file instead
        self.stdin.touch()
        self.postgres = pwd.getpwnam("postgres")
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def _run_as_postgres(self, command: list[str], log: Path) -> subprocess.Popen[bytes]:
        with self.stdin.open("rb") as empty, log.open("ab") as out:
            return subprocess.Popen(
                command,
                user="postgres",
                group=self.postgres.pw_gid,
                extra_groups=[],
                stdin=empty,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data,
                start_new_session=True,
            )

    def copy(self) -> None:
        """A consistent copy of the running test cluster: a base backup, taken as its postgres user."""
        log = self.work / "basebackup.log"
        backup = self._run_as_postgres(
            [
                *(str(self.binary / "pg_basebackup"), "-D", str(self.data), "-p", str(self.source_port)),
                *("-c", "fast", "-X", "stream", "--no-password"),
            ],
            log,
        )
        assert backup.wait(timeout=120) == 0, f"pg_basebackup failed:\n{log.read_text(errors='replace')}"

    def start(self) -> None:
        """Start the postmaster on the copy; returns once it takes connections (after any crash recovery)."""
        self.starts += 1
        log = self.work / f"postgres-{self.starts}.log"
        self.process = self._run_as_postgres(
            [
                *(str(self.binary / "postgres"), "-D", str(self.data), "-c", f"config_file={self.config}"),
                *(f"-cdata_directory={self.data}", f"-cport={self.port}", f"-cunix_socket_directories={self.data}"),
                *(f"-cexternal_pid_file={self.data / 'ext.pid'}", "-clisten_addresses=127.0.0.1"),
                "-ccluster_name=needlelog-killed-test",
            ],
            log,
        )
        probe = create_engine(self.url("postgres"), poolclass=NullPool, connect_args={"connect_timeout": 2})
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                assert self.process.poll() is None, f"postgres stopped:\n{log.read_text(errors='replace')}"
                try:
                    with probe.connect() as conn:
                        conn.execute(text("SELECT 1"))
                    return
                except Exception as exc:  # refused, or "the database system is starting up"
                    if time.monotonic() > deadline:
                        said = log.read_text(errors="replace")
                        raise AssertionError(f"postgres not up in {START_TIMEOUT} s:\n{said}") from exc
                    time.sleep(0.1)  # polling a starting server, bounded by the deadline
        finally:
            probe.dispose()

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once (its session), and wait until all are gone."""
        if self.process is None or self.process.poll() is not None:
            return
        group = self.process.pid
        os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while self._alive_in(group):  # backends are reaped by init; gone means dead or a zombie (no memory)
            assert time.monotonic() < deadline, "postgres backends outlived SIGKILL"
            time.sleep(0.05)

    @staticmethod
    def _alive_in(group: int) -> bool:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[2]) == group and fields[0] != "Z":
                return True
        return False

    def url(self, database: str) -> str:
        return (
            make_url(PG_URL or "")
            .set(host="127.0.0.1", port=self.port, database=database)
            .render_as_string(hide_password=False)
        )


@pytest.fixture
def server() -> Iterator[KilledServer]:
    if not PG_URL:
        pytest.skip("NEEDLELOG_TEST_PG_URL is not set")
    found = cluster_of(PG_URL)
    if isinstance(found, str):
        pytest.skip(f"no throwaway server: {found}")
    version, cluster, _ = found
    binary = Path(f"/usr/lib/postgresql/{version}/bin/postgres")
    if not binary.is_file():
        pytest.skip(f"no throwaway server: {binary} is not installed")
    work = Path(tempfile.mkdtemp(prefix="needlelog-killed-"))  # root's, 0700: logs
    data = Path(tempfile.mkdtemp(prefix="needlelog-pgdata-"))  # the postgres user's, 0700: the copy
    made: KilledServer | None = None
    try:
        owner = pwd.getpwnam("postgres")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        data.chmod(0o700)
        made = KilledServer(version, cluster, make_url(PG_URL).port or 5432, work, data)
        made.copy()
        made.start()
        yield made
    finally:
        if made is not None:
            made.kill()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def notes_on_the_server(url: str, session_id: int) -> str | None:
    """The notes of the session as stored, read through a connection of its own (not the program's)."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT notes FROM treatment_session WHERE id = :id"), {"id": session_id}).scalar()
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.timeout(180)
def test_a_draft_typed_while_the_server_is_killed_is_saved_when_it_is_restarted(
    qtbot: QtBot, server: KilledServer
) -> None:
    admin = create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE needlelog_killed TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'"))
    admin.dispose()
    url = server.url("needlelog_killed")
    services = open_chart(url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    try:
        editor = open_editor(qtbot, services)
        first = "Needles in at the neck. "
        qtbot.keyClicks(editor.notes, first)
        qtbot.waitUntil(lambda: services.sessions.get(editor.session.id or 0).notes == first)
        session_id = editor.session.id or 0
        server.kill()  # the postmaster and its backends, mid-edit
        qtbot.keyClicks(editor.notes, "Typed after the server was killed.")
        typed = first + "Typed after the server was killed."
        state = editor.keeper.save_state
        qtbot.waitUntil(lambda: "saved as soon as the chart is back" in state.text(), timeout=15_000)
        assert state.text().startswith("Not saved: The chart could not be read or written")
        assert editor.notes.toPlainText() == typed  # on screen
        kept = DraftRecovery(services.location).pending()
        assert [k.session.notes for k in kept] == [typed]  # and on this PC, for the owner alone
        assert stat.S_IMODE(kept[0].path.stat().st_mode) == 0o600
        assert stat.S_IMODE(kept[0].path.parent.stat().st_mode) == 0o700
        server.start()  # the same data directory and port: crash recovery, then connections
        assert "not properly shut down" in (server.work / "postgres-2.log").read_text(errors="replace")
        qtbot.waitUntil(lambda: "(the chart is back)" in state.text(), timeout=60_000)  # the editor's own retry
        assert notes_on_the_server(url, session_id) == typed  # all of it, through a fresh connection
        assert DraftRecovery(services.location).pending() == []
    finally:
        services.close()
