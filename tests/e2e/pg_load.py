"""Several PCs charting on one PostgreSQL server at once, and what the server holds afterwards.

``python -m tests.e2e.pg_load --server postgresql://... --processes 8 --seconds 60`` (the check run before
a release, ``scripts/pg-load``; a new database is made on that server and dropped) and
``tests/e2e/test_pg_concurrent.py`` (4 processes, a few seconds, in the README's test command) both call
:func:`run_load`. Each process is one PC: it signs in as a clinician with the least-privilege login (two
PCs share each clinician, as a clinic's rooms do), then until the deadline charts new visits (created,
saved, signed; one in ten discarded instead), saves the clinician's shared drafts from copies it read a
while ago (as an editor left open does, so the optimistic lock refuses some), amends its signed notes and
prints them to PDF; at the deadline every PC of a clinician tries to sign each shared draft at once
(exactly one may). Every use case that returned is written to the process's own log, one JSON line, after
its commit. :func:`verify` then compares those logs with the rows: the audit chain whole, every audited
action counted, every session's version equal to one plus its audited changes, no version claimed twice.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.pg_server import fresh_database

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "needles in, needles out 7"
SHARED_DRAFTS = 3  # per clinician
SET_UP_VERSION = 2  # a shared draft's version when the PCs start: created (1), then saved whole (2)
VERSIONED = ("session_saved", "session_signed", "timer_resumed", "session_discarded")  # each bumps a version


def _now() -> datetime:
    return datetime.now(UTC)


def _site(needles: int) -> Any:
    from needlelog.domain.model import NeedlingSite
    from needlelog.domain.vocab import BodyRegion, Side, TwitchResponse

    return NeedlingSite(
        BodyRegion.NECK, Side.RIGHT, "levator scapulae", needles, "", "", 10, TwitchResponse.WEAK, needles_out=needles
    )


def _signable(session: Any, notes: str) -> Any:
    from needlelog.domain.vocab import Condition

    return replace(
        session,
        sites=(_site(2),),
        condition=Condition.NECK_HEADACHE,
        service_end=session.service_start + timedelta(minutes=30),
        sharps_disposed=True,
        notes=notes,
    )


# --- the clinic the PCs share ---------------------------------------------------------------------


@dataclass
class Clinic:
    clinicians: dict[str, int] = field(default_factory=dict)  # user name -> id
    patients: dict[str, list[int]] = field(default_factory=dict)  # user name -> the patients they treat
    shared: dict[str, list[int]] = field(default_factory=dict)  # user name -> drafts both their PCs save


def make_clinic(url: str, clinicians: int) -> Clinic:
    """Accounts, patients with consent and the shared drafts, written by the system (no sign-in)."""
    from needlelog.domain.model import Clinician, Consent, Patient, Screening
    from needlelog.domain.vocab import ConsentMethod
    from needlelog.services.store import open_chart
    from tests.conftest import TEST_HASHER, TEST_WRAPPING

    chart = open_chart(url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    clinic = Clinic()
    try:
        for c in range(clinicians):
            name = f"load{c}"
            account = chart.accounts.add_user(Clinician(f"Load Clinician {c}", name, "PT", f"PT-9{c:04d}"), PASSWORD)
            clinic.clinicians[name] = account.id or 0
            clinic.patients[name] = []
            for p in range(4):
                patient = chart.patients.create(
                    Patient(
                        chart_number=f"L{c}P{p}",
                        family_name="Nguyễn",
                        given_name=f"Zoë {c}.{p}",
                        date_of_birth=date(1980 + p, 5, 17),
                        screening=Screening(),
                        consent=Consent(_now().date() - timedelta(days=1), ConsentMethod.WRITTEN, "Load Clinician"),
                    )
                )
                clinic.patients[name].append(patient.id or 0)
            clinic.shared[name] = []
            for s in range(SHARED_DRAFTS):
                draft = chart.sessions.new_draft(clinic.patients[name][s], account.id or 0, _now() - timedelta(hours=1))
                saved = chart.sessions.save_draft(_signable(draft, "shared draft"))
                clinic.shared[name].append(saved.id or 0)
    finally:
        chart.close()
    return clinic


# --- one PC ---------------------------------------------------------------------------------------


class Pc:
    """One process charting as one clinician until the deadline, logging every use case that returned."""

    def __init__(self, url: str, user: str, clinic: Clinic, log: Path, seed: int) -> None:
        from needlelog.services.store import open_chart
        from tests.conftest import TEST_HASHER, TEST_WRAPPING

        self.chart = open_chart(url, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
        self.user = user
        self.me = clinic.clinicians[user]
        self.patients = clinic.patients[user]
        self.shared = clinic.shared[user]
        self.log_file = log.open("a", encoding="utf-8")
        self.random = random.Random(seed)
        self.signed: list[int] = []
        self.stale: dict[int, Any] = {}  # a shared draft as this PC last read it (an editor left open)
        self.out = Path(tempfile.mkdtemp(prefix="needlelog-load-"))

    def log(self, op: str, **about: Any) -> None:
        self.log_file.write(json.dumps({"op": op, "user": self.user, **about}) + "\n")
        self.log_file.flush()

    def run(self, start: float, deadline: float) -> None:
        from needlelog.domain.errors import ConflictError, ValidationError

        self.chart.accounts.login(self.user, PASSWORD)
        self.log("login")
        for draft_id in self.shared:
            self.stale[draft_id] = self.chart.sessions.get(draft_id)
        time.sleep(max(0.0, start - time.time()))  # every PC starts at once
        while time.time() < deadline:
            roll = self.random.random()
            if roll < 0.4:
                self.chart_a_visit()
            elif roll < 0.7:
                self.save_shared()
            elif roll < 0.85 and self.signed:
                self.amend()
            elif self.signed:
                self.export()
        self.save_from_the_start()
        time.sleep(max(0.0, deadline + 0.5 - time.time()))  # then every PC signs the shared drafts at once
        for draft_id in self.shared:
            try:
                signed = self.chart.sessions.sign(self.chart.sessions.get(draft_id), self.me)
            except (ConflictError, ValidationError):  # the other PC signed first (read before or after)
                self.log("sign_refused", session=draft_id)
            else:
                self.signed.append(draft_id)
                self.log("signed", session=draft_id, fingerprint=signed.fingerprint, version=signed.version)
        if self.signed:  # however few visits a slow machine let it chart, every run amends and prints
            self.amend()
            self.export()

    def chart_a_visit(self) -> None:
        sessions = self.chart.sessions
        draft = sessions.new_draft(self.random.choice(self.patients), self.me, _now() - timedelta(minutes=45))
        self.log("created", session=draft.id)
        saved = sessions.save_draft(replace(draft, notes="Needles in at the neck."))
        self.log("saved", session=saved.id, version=saved.version)
        if self.random.random() < 0.1:  # opened for the wrong patient: discarded, kept in the chart
            gone = sessions.discard(saved.id or 0, "opened by mistake")
            self.log("discarded", session=gone.id, version=gone.version)
            return
        saved = sessions.save_draft(_signable(saved, "Needles in at the neck; weak twitch."))
        self.log("saved", session=saved.id, version=saved.version)
        signed = sessions.sign(saved, self.me)
        self.signed.append(signed.id or 0)
        self.log("signed", session=signed.id, fingerprint=signed.fingerprint, version=signed.version)

    def save_shared(self) -> None:
        from needlelog.domain.errors import ConflictError

        draft_id = self.random.choice(self.shared)
        mine = self.stale[draft_id]
        try:
            saved = self.chart.sessions.save_draft(replace(mine, notes=f"{self.user} at {time.time():.3f}"))
        except ConflictError:
            self.log("conflict", session=draft_id)
            self.stale[draft_id] = self.chart.sessions.get(draft_id)  # "load their version"
        else:
            self.log("saved", session=draft_id, version=saved.version)
            self.stale[draft_id] = saved if self.random.random() < 0.5 else mine  # sometimes the editor stays stale

    def save_from_the_start(self) -> None:
        """An editor opened on the first shared draft right after it was set up (version 2) and saved only now:
        of a clinician's PCs at most one such save can pass, so every run meets the optimistic lock."""
        from needlelog.domain.errors import ConflictError

        draft_id = self.shared[0]
        opened = replace(self.chart.sessions.get(draft_id), version=SET_UP_VERSION, notes=f"{self.user} at the end")
        try:
            saved = self.chart.sessions.save_draft(opened)
        except ConflictError:
            self.log("conflict", session=draft_id)
        else:
            self.log("saved", session=draft_id, version=saved.version)

    def amend(self) -> None:
        session_id = self.random.choice(self.signed)
        self.chart.sessions.amend(session_id, "late detail", "The patient reported less pain at the neck.")
        self.log("amended", session=session_id)

    def export(self) -> None:
        session_id = self.random.choice(self.signed)
        self.chart.exports.export_note(session_id, self.out / f"{session_id}.pdf")
        self.log("exported", session=session_id)

    def close(self) -> None:
        self.log_file.close()
        self.chart.close()
        for pdf in self.out.iterdir():
            pdf.unlink()
        self.out.rmdir()


def _worker(argv: list[str]) -> int:
    from needlelog.domain.errors import NeedlelogError

    url, user, clinic_json, log, seed, start, deadline = argv
    data = json.loads(clinic_json)
    clinic = Clinic(data["clinicians"], data["patients"], data["shared"])
    pc = Pc(url, user, clinic, Path(log), int(seed))
    try:
        pc.run(float(start), float(deadline))
    except NeedlelogError as exc:  # a refusal no PC should meet: a finding, said in the log
        pc.log("error", what=f"{type(exc).__name__}: {exc}")
        return 1
    finally:
        pc.close()
    return 0


# --- the run and its verification -----------------------------------------------------------------


@dataclass
class LoadResult:
    processes: int
    seconds: float
    logged: Counter[str]
    audit_rows: int
    sessions: int
    problems: list[str]


def run_load(owner_url: str, url: str, processes: int, seconds: float, folder: Path) -> LoadResult:
    """``processes`` PCs for ``seconds`` against the (empty, migrated) chart at ``url`` (the PCs' login; the
    clinic is set up and the rows read through ``owner_url``), then :func:`verify`."""
    clinic = make_clinic(url, max(1, processes // 2))
    users = sorted(clinic.clinicians)
    clinic_json = json.dumps({"clinicians": clinic.clinicians, "patients": clinic.patients, "shared": clinic.shared})
    start = time.time() + 3 + processes * 0.4  # time for every process to import and sign in
    deadline = start + seconds
    logs = [folder / f"pc{i}.log" for i in range(processes)]
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.e2e.pg_load",
                "worker",
                url,
                users[i % len(users)],
                clinic_json,
                *[str(logs[i]), str(i), str(start), str(deadline)],
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(processes)
    ]
    problems: list[str] = []
    for i, child in enumerate(children):
        output, _ = child.communicate(timeout=seconds + 120)
        if child.returncode != 0:
            problems.append(f"PC {i} ended with {child.returncode}: {output.strip()[-2000:]}")
    entries = [json.loads(line) for log in logs if log.exists() for line in log.read_text("utf-8").splitlines()]
    problems += [f"PC error: {e['what']}" for e in entries if e["op"] == "error"]
    audit_rows, sessions, found = verify(owner_url, entries, clinic)
    return LoadResult(processes, seconds, Counter(e["op"] for e in entries), audit_rows, sessions, problems + found)


def verify(url: str, entries: list[dict[str, Any]], clinic: Clinic) -> tuple[int, int, list[str]]:
    """What the server holds against what the PCs said they did: (audit rows, sessions, problems)."""
    from needlelog.db import records
    from needlelog.db.engine import open_engine
    from needlelog.db.models import AmendmentRow, AuditRow, SessionRow

    problems: list[str] = []
    engine = open_engine(url, create=False)
    try:
        broken = records.audit_chain_problem(engine)
        if broken is not None:
            problems.append(broken)
        with engine.connect() as conn:
            audited = Counter(
                (user, action)
                for user, action in conn.execute(select(AuditRow.user_name, AuditRow.action)).all()
                if user in clinic.clinicians
            )
            changes = Counter(
                sid
                for sid, action in conn.execute(select(AuditRow.session_id, AuditRow.action))
                if sid is not None and str(action) in VERSIONED
            )
            rows = {
                sid: (version, status, fp)
                for sid, version, status, fp in conn.execute(
                    select(SessionRow.id, SessionRow.version, SessionRow.status, SessionRow.fingerprint)
                )
            }
            amendments = conn.execute(select(func.count()).select_from(AmendmentRow)).scalar_one()
            audit_rows = conn.execute(select(func.count()).select_from(AuditRow)).scalar_one()
    finally:
        engine.dispose()
    problems += _counts_problems(entries, audited, amendments)
    problems += _session_problems(entries, rows, changes, clinic)
    return audit_rows, len(rows), problems


ACTION_OF = {
    "login": "login",
    "created": "session_created",
    "saved": "session_saved",
    "signed": "session_signed",
    "amended": "session_amended",
    "exported": "pdf_exported",
    "discarded": "session_discarded",
}


def _counts_problems(entries: list[dict[str, Any]], audited: Counter[tuple[str, Any]], amendments: int) -> list[str]:
    logged = Counter((e["user"], ACTION_OF[e["op"]]) for e in entries if e["op"] in ACTION_OF)
    stored = Counter({(user, str(action)): n for (user, action), n in audited.items()})
    problems = [
        f"{user} {action}: {n} logged by the PCs, {stored[(user, action)]} audit rows"
        for (user, action), n in sorted(logged.items())
        if stored[(user, action)] != n
    ]
    problems += [
        f"{user} {action}: {n} audit rows that no PC logged"
        for (user, action), n in sorted(stored.items())
        if (user, action) not in logged
    ]
    amended = sum(1 for e in entries if e["op"] == "amended")
    if amended != amendments:
        problems.append(f"amendments: {amended} logged, {amendments} stored")
    return problems


def _session_problems(
    entries: list[dict[str, Any]], rows: dict[int, tuple[int, Any, str]], changes: Counter[int], clinic: Clinic
) -> list[str]:
    problems: list[str] = []
    for sid, (version, _status, _fp) in rows.items():
        if version != 1 + changes[sid]:
            problems.append(f"session {sid}: version {version}, but {changes[sid]} audited changes")
    claimed: dict[int, list[int]] = defaultdict(list)
    for e in entries:
        if e["op"] in ("saved", "signed", "discarded"):
            claimed[e["session"]].append(e["version"])
        if e["op"] == "created" and e["session"] not in rows:
            problems.append(f"session {e['session']}: created by a PC, not stored")
        if e["op"] == "signed" and (
            str(rows[e["session"]][1]) != "signed" or rows[e["session"]][2] != e["fingerprint"]
        ):
            problems.append(f"session {e['session']}: signed by a PC, stored {rows[e['session']][1]}")
    for sid, versions in claimed.items():
        if len(versions) != len(set(versions)):
            problems.append(f"session {sid}: one version claimed by two saves ({sorted(versions)})")
        if max(versions) != rows[sid][0]:
            problems.append(f"session {sid}: last saved version {max(versions)}, stored {rows[sid][0]}")
    signs = Counter(e["session"] for e in entries if e["op"] == "signed")
    for sid in (s for shared in clinic.shared.values() for s in shared):
        if signs[sid] != 1:
            problems.append(f"shared draft {sid}: signed {signs[sid]} times by the PCs")
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(prog="pg_load", description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="a PostgreSQL URL; a new database is made there and dropped")
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    from needlelog.services.store import engine_at_head

    with fresh_database(args.server, "needlelog_load") as chart, tempfile.TemporaryDirectory() as folder:
        engine_at_head(chart.url).dispose()
        result = run_load(chart.url, chart.pc_login(), args.processes, args.seconds, Path(folder))
    print(
        f"{result.processes} PCs for {result.seconds:.0f} s: "
        + ", ".join(f"{n} {op}" for op, n in sorted(result.logged.items()))
    )
    print(f"{result.sessions} sessions, {result.audit_rows} audit rows on the server")
    for problem in result.problems:
        print(f"PROBLEM: {problem}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
