"""The manager's exports: which visits, named files, combined PDF, CSV, cancel and a full disk."""

from __future__ import annotations

import csv
import errno
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
from sqlalchemy import event

from needlelog.domain.errors import NeedlelogError, StorageError, ValidationError
from needlelog.domain.model import (
    AdverseEvent,
    Clinician,
    NeedlingSite,
    Patient,
    Reactions,
    TreatmentSession,
    TriggerPoint,
)
from needlelog.domain.vocab import (
    AdverseEventKind,
    Aftercare,
    BodyRegion,
    Condition,
    FigureView,
    Side,
    Soreness,
    Technique,
    TwitchResponse,
)
from needlelog.services import export_files, exporting
from needlelog.services.exporting import ExportCriteria
from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, build_services, engine_at_head
from tests.conftest import NOW, FakeClock, make_patient

EDMONTON = ZoneInfo("America/Edmonton")
SITES = (
    NeedlingSite(
        region=BodyRegion.NECK,
        side=Side.RIGHT,
        muscle="upper trapezius",
        needles=2,
        needles_out=2,
        needle_size="0.25 x 30 mm",
        needle_lot="L2301-11",
        dwell_minutes=10,
        twitch=TwitchResponse.STRONG,
        trigger_points=(TriggerPoint(FigureView.BACK, 0.56, 0.15),),
    ),
    NeedlingSite(
        region=BodyRegion.LOWER_BACK,
        side=Side.LEFT,
        muscle="quadratus lumborum",
        needles=12,
        needles_out=12,
        needle_size="0.30 x 50 mm",
        needle_lot="L2302-07",
        dwell_minutes=15,
        twitch=TwitchResponse.WEAK,
        trigger_points=(TriggerPoint(FigureView.BACK, 0.45, 0.52),),
    ),
)


@pytest.fixture
def edmonton() -> Iterator[None]:
    """The PC's clock in Alberta (UTC-7 in winter), so that a clinic day is not a UTC day."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Edmonton"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def visit(
    services: Services,
    patient: Patient,
    clinician: Clinician,
    start: datetime,
    *,
    signed: bool = True,
    **changes: object,
) -> TreatmentSession:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0, service_start=start)
    values: dict[str, object] = {
        "service_end": start + timedelta(minutes=40),
        "condition": Condition.NECK_HEADACHE,
        "technique": Technique.STATIC,
        "sites": SITES,
        "pain_before": 7,
        "pain_after": 3,
        "sharps_disposed": True,
        "reactions": Reactions(Soreness.MILD),
        # the upper trapezius lies over the lung apex: the breathing aftercare is given
        "aftercare": frozenset({Aftercare.HYDRATE, Aftercare.EXPECT_SORENESS, Aftercare.SEEK_CARE_BREATHING}),
        "notes": "Tolerated well.",
    }
    values.update(changes)
    filled = replace(draft, **values)  # type: ignore[arg-type]
    if signed:
        return services.sessions.sign(filled, clinician.id or 0)
    return services.sessions.save_draft(filled)


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(path)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def leftovers(folder: Path) -> list[str]:
    """Anything in ``folder`` that is not a finished export (temporary files start with a dot)."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix not in (".pdf", ".csv"))


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    """An empty folder for the exports (the chart's file lives in ``tmp_path``)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


@pytest.fixture
def ravi(services: Services) -> Clinician:
    return services.clinic.add_clinician(Clinician("Ravi Sandhu", "rsandhu", "PT", "PT-05120"))


# --- which visits ---------------------------------------------------------------------------------


def test_criteria_refuse_an_end_before_the_start_naming_the_field() -> None:
    with pytest.raises(ValidationError) as refused:
        ExportCriteria(date(2026, 3, 1), date(2026, 2, 1))
    assert refused.value.fields == ("date_to",)
    assert "2026-02-01 is before the start date 2026-03-01" in str(refused.value)
    with pytest.raises(ValidationError) as wrong_type:
        ExportCriteria("2026-03-01", date(2026, 2, 1))  # type: ignore[arg-type]
    assert wrong_type.value.fields == ("date_from",)
    blank = ExportCriteria(date(2026, 3, 1), date(2026, 3, 1), clinician="  ", patient_chart="")
    assert blank.clinician is None and blank.patient_chart is None


def test_an_unknown_clinician_or_chart_is_named(services: Services, clinician: Clinician, patient: Patient) -> None:
    with pytest.raises(ValidationError) as refused:
        services.exports.count(ExportCriteria(date(2026, 1, 1), date(2026, 3, 1), "nobody", "Z999"))
    assert refused.value.fields == ("clinician", "patient_chart")
    assert "'nobody'" in str(refused.value) and "Z999" in str(refused.value)


def test_the_range_is_clinic_calendar_days_both_included(
    edmonton: None, services: Services, clinician: Clinician, patient: Patient
) -> None:
    def at(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=EDMONTON)

    before = visit(services, patient, clinician, at(2026, 1, 31, 23, 59))  # 06:59 UTC on Feb 1
    first = visit(services, patient, clinician, at(2026, 2, 1, 0, 0))
    last = visit(services, patient, clinician, at(2026, 2, 28, 23, 59))  # 06:59 UTC on Mar 1
    after = visit(services, patient, clinician, at(2026, 3, 1, 0, 0))
    february = ExportCriteria(date(2026, 2, 1), date(2026, 2, 28))
    assert [n.session.id for n in services.exports.notes(february)] == [first.id, last.id]
    assert services.exports.count(february) == 2
    one_day = ExportCriteria(date(2026, 1, 31), date(2026, 1, 31))
    assert [n.session.id for n in services.exports.notes(one_day)] == [before.id]
    march = ExportCriteria(date(2026, 3, 1), date(2026, 3, 1))
    assert [n.session.id for n in services.exports.notes(march)] == [after.id]


def test_filters_by_clinician_patient_and_drafts_in_service_order(
    services: Services, clinician: Clinician, ravi: Clinician, patient: Patient
) -> None:
    other = services.patients.create(make_patient("C200", family_name="Lindqvist", given_name="Øyvind"))
    day = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)
    late = visit(services, patient, clinician, day + timedelta(hours=2))
    early = visit(services, patient, clinician, day)
    ravis = visit(services, other, ravi, day + timedelta(hours=1))
    draft = visit(services, other, clinician, day + timedelta(hours=3), signed=False)
    month = (date(2026, 2, 1), date(2026, 2, 28))

    def ids(**filters: object) -> list[int | None]:
        return [n.session.id for n in services.exports.notes(ExportCriteria(*month, **filters))]  # type: ignore[arg-type]

    assert ids() == [early.id, ravis.id, late.id]
    assert ids(include_drafts=True) == [early.id, ravis.id, late.id, draft.id]
    assert ids(clinician="rsandhu") == [ravis.id]
    assert ids(clinician="dwhitford", include_drafts=True) == [early.id, late.id, draft.id]
    assert ids(patient_chart="c200 ") == [ravis.id]  # chart numbers are identifiers: case and spaces ignored
    assert ids(patient_chart="C200", clinician="dwhitford", include_drafts=True) == [draft.id]
    note = next(services.exports.notes(ExportCriteria(*month, clinician="rsandhu")))
    assert note.patient.family_name == "Lindqvist" and note.clinician.username == "rsandhu"
    assert note.signer == note.clinician and note.clinic.name == "Bow River Physiotherapy"
    assert note.session.sites[1].trigger_points == SITES[1].trigger_points


def test_a_thousand_sessions_load_in_a_fixed_number_of_queries(tmp_path: Path) -> None:
    engine = engine_at_head(tmp_path / "big.sqlite")
    seed_chart(engine, 60, 1000, seed=3, now=NOW, workers=1)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    chart = build_services(engine, FakeClock())
    try:
        notes = list(chart.exports.notes(ExportCriteria(date(2000, 1, 1), date(2026, 12, 31), include_drafts=True)))
    finally:
        chart.close()
    assert len(notes) == 1000
    batches = -(-1000 // exporting.LOAD_BATCH)
    # ids, clinic, and per batch: sessions, sites, trigger points, adverse events, patients (+ consents),
    # clinicians, amendments, outcome measures, the pain and outcome course of the patients not met before,
    # adverse events reported later
    assert len(statements) <= 3 + batches * 12, len(statements)
    assert all(n.patient.id == n.session.patient_id and n.clinician.id == n.session.clinician_id for n in notes)
    assert all((n.signer is not None) == n.session.is_signed for n in notes)


def test_a_long_export_never_makes_a_clinician_wait(
    services: Services, clinician: Clinician, patient: Patient, db_path: Path, clock: FakeClock
) -> None:
    for hour in range(3):
        visit(services, patient, clinician, datetime(2026, 2, 10, 14 + hour, tzinfo=UTC))
    reading = services.exports.notes(ExportCriteria(date(2026, 2, 1), date(2026, 2, 28)))
    first = next(reading)  # the export's transaction is open, mid-way
    engine = engine_at_head(db_path)

    @event.listens_for(engine, "connect")
    def never_wait(dbapi_connection: object, _record: object) -> None:  # a lock would fail at once, not wait
        dbapi_connection.execute("PRAGMA busy_timeout = 0")  # type: ignore[attr-defined]

    engine.dispose()
    other_pc = build_services(engine, clock)
    try:
        other_pc.sessions.new_draft(patient.id or 0, clinician.id or 0)
    finally:
        other_pc.close()
    rest = list(reading)
    assert [n.session.service_start for n in [first, *rest]] == sorted(n.session.service_start for n in [first, *rest])
    assert len(rest) == 2  # the snapshot does not see the draft saved meanwhile (nor would it: drafts excluded)


# --- the files -----------------------------------------------------------------------------------


def test_one_pdf_per_visit_with_every_fact_and_suffixes_for_shared_names(
    services: Services, clinician: Clinician, ravi: Clinician, patient: Patient, tmp_path: Path
) -> None:
    day = datetime(2026, 2, 10, 15, 0, tzinfo=UTC)
    morning = visit(services, patient, clinician, day)
    visit(services, patient, clinician, day + timedelta(hours=2))
    visit(services, patient, clinician, day + timedelta(hours=3))
    visit(
        services,
        patient,
        ravi,
        day + timedelta(hours=1),
        adverse_events=(AdverseEvent(AdverseEventKind.FAINTING_INJURY, "Fainted on standing; cut to the chin."),),
    )
    out = tmp_path / "notes"
    seen: list[tuple[int, int]] = []
    result = services.exports.export(
        ExportCriteria(date(2026, 2, 1), date(2026, 2, 28)), out, progress=lambda d, t: seen.append((d, t))
    )
    local_day = day.astimezone().strftime("%Y-%m-%d")
    assert [p.name for p in result.files] == [
        f"{local_day}_C100_dwhitford.pdf",
        f"{local_day}_C100_rsandhu.pdf",
        f"{local_day}_C100_dwhitford-2.pdf",
        f"{local_day}_C100_dwhitford-3.pdf",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in result.files)
    assert not result.cancelled and result.matched == 4 and result.combined is None and result.csv is None
    assert seen[0] == (0, 4) and seen[-1] == (4, 4)
    text = pdf_text(out / f"{local_day}_C100_dwhitford.pdf")
    for fact in (
        "Zoë Nguyễn",
        "chart C100",
        "Dana Whitford",
        "PT-04417",
        "Neck",
        "Lower back (lumbar)",
        "upper trapezius",
        "10 min",
        "15 min",
        "Strong",
        "Weak",
        "Inserted 14 · removed 14 · disposed in sharps: yes · reconciled",
        morning.fingerprint,
    ):
        assert fact in text, fact
    assert "Fainting with injury Fainted on standing; cut to the chin." in pdf_text(
        out / f"{local_day}_C100_rsandhu.pdf"
    )
    assert (out / f"{local_day}_C100_dwhitford.pdf").stat().st_mode & 0o077 == 0  # health information: owner only


def test_a_combined_pdf_has_a_bookmark_per_visit_and_the_csv_a_row(
    services: Services, clinician: Clinician, patient: Patient, dest: Path
) -> None:
    starts = [datetime(2026, 2, d, 15, 0, tzinfo=UTC) for d in (3, 5, 9)]
    signed = [visit(services, patient, clinician, s) for s in starts]
    visit(services, patient, clinician, datetime(2026, 2, 12, 15, tzinfo=UTC), signed=False)
    combined, sheet = dest / "all.pdf", dest / "all.csv"
    result = services.exports.export(
        ExportCriteria(date(2026, 2, 1), date(2026, 2, 28)),
        dest / "unused",
        per_visit=False,
        combined=combined,
        csv=sheet,
    )
    assert result.combined == combined and result.csv == sheet and result.files == ()
    assert not (dest / "unused").exists()
    reader = pypdf.PdfReader(combined)
    titles = [entry.title for entry in reader.outline]  # type: ignore[union-attr]
    assert len(titles) == 3
    assert [t[:10] for t in titles] == [s.astimezone().strftime("%Y-%m-%d") for s in starts]
    text = pdf_text(combined)
    assert all(s.fingerprint in text for s in signed)
    assert "DRAFT" not in text
    with sheet.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(rows) == 4 and rows[1][3] == "C100" and rows[1][5] == "Zoë"
    assert [r[21] for r in rows[1:]] == [s.fingerprint for s in signed]
    assert leftovers(dest) == []


def test_nothing_matches_nothing_written(services: Services, dest: Path) -> None:
    result = services.exports.export(
        ExportCriteria(date(2020, 1, 1), date(2020, 1, 2)), dest / "out", csv=dest / "x.csv"
    )
    assert result.matched == 0 and result.files == () and result.csv is None
    assert list(dest.iterdir()) == []


def test_outputs_are_checked_before_any_work(services: Services, tmp_path: Path) -> None:
    criteria = ExportCriteria(date(2026, 1, 1), date(2026, 1, 2))
    with pytest.raises(ValidationError) as nothing:
        services.exports.export(criteria, tmp_path, per_visit=False)
    assert nothing.value.fields == ("output",)
    with pytest.raises(StorageError, match="does not exist"):
        services.exports.export(criteria, tmp_path / "missing" / "out")
    with pytest.raises(StorageError, match="does not exist"):
        services.exports.export(criteria, tmp_path, per_visit=False, csv=tmp_path / "missing" / "x.csv")


# --- cancel and a full disk ----------------------------------------------------------------------


@pytest.fixture
def busy_chart(tmp_path: Path) -> Iterator[Services]:
    """About 550 signed visits in the last year: a combined PDF of them takes several seconds, long enough to
    cancel half-way on any machine (150 finished before the cancel once notes got faster)."""
    path = tmp_path / "busy.sqlite"
    engine = engine_at_head(path)
    seed_chart(engine, 40, 600, seed=5, now=NOW, workers=1, history_days=300)
    chart = build_services(engine, FakeClock())
    yield chart
    chart.close()


EVERYTHING = ExportCriteria(date(2024, 1, 1), date(2026, 3, 10))


@pytest.mark.timeout(120)
@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_mid_export_leaves_only_complete_readable_files(
    busy_chart: Services, tmp_path: Path, workers: int
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    out = dest / "out"
    total = busy_chart.exports.count(EVERYTHING)
    assert total > 100
    asked = threading.Event()
    written_when_asked: list[int] = []

    def progress(done: int, _total: int) -> None:
        if done >= 6 and not asked.is_set():
            asked.set()
            written_when_asked.append(done)

    result = busy_chart.exports.export(
        EVERYTHING,
        out,
        combined=dest / "all.pdf",
        csv=dest / "all.csv",
        progress=progress,
        cancelled=asked.is_set,
        workers=workers,
    )
    assert result.cancelled
    # Stopped at once: no more than the notes already rendered when the cancel came are published.
    in_flight = exporting.RENDER_CHUNK * (2 * workers + 1)
    assert 6 <= result.written <= written_when_asked[0] + in_flight < total
    assert result.combined is None and result.csv is None
    assert [p.name for p in dest.iterdir()] == ["out"]  # no combined PDF, no CSV, no temporary file
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in result.files)
    for path in result.files:
        assert len(pypdf.PdfReader(path).pages) >= 1
    assert multiprocessing.active_children() == []  # every worker stopped and joined


@pytest.mark.timeout(120)
def test_cancel_stops_a_long_combined_pdf_between_two_notes(
    busy_chart: Services, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from needlelog.services import workers

    exit_codes: list[int | None] = []
    pools: list[workers.WorkerPool] = []
    real_close, real_finished = workers.WorkerPool.close, workers.WorkerPool.finished

    def finished(self: workers.WorkerPool, timeout: float) -> list[workers.Done]:
        pools.append(self)
        return real_finished(self, timeout)

    def close(self: workers.WorkerPool, *, cancel: bool) -> None:
        real_close(self, cancel=cancel)
        exit_codes.extend(self.exit_codes)

    monkeypatch.setattr(workers.WorkerPool, "finished", finished)
    monkeypatch.setattr(workers.WorkerPool, "close", close)
    monkeypatch.setattr(workers, "STOP_SECONDS", 30.0)  # a worker that did not stop by itself would be seen waiting
    asks_since_ready = 0

    def cancelled() -> bool:  # asked every 50 ms: cancel a few asks after both workers are rendering
        nonlocal asks_since_ready
        if pools and all(w.ready for w in pools[-1]._workers):
            asks_since_ready += 1
        return asks_since_ready > 5

    result = busy_chart.exports.export(
        EVERYTHING, dest, per_visit=False, combined=dest / "all.pdf", cancelled=cancelled, workers=2
    )
    assert result.cancelled and result.combined is None
    assert list(dest.iterdir()) == []  # neither the PDF nor its hidden folder
    assert exit_codes == [0, 0]  # the workers stopped by themselves between two notes: none was terminated
    assert multiprocessing.active_children() == []


def test_a_full_disk_leaves_no_partial_file_and_says_so(
    services: Services, clinician: Clinician, patient: Patient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for day in (3, 4, 5, 6):
        visit(services, patient, clinician, datetime(2026, 2, day, 15, tzinfo=UTC))
    from needlelog.reports import batch

    writes: list[int] = []
    real_write_all = batch._write_all

    def disk_fills_on_the_third_file(fd: int, data: bytes) -> None:
        writes.append(fd)
        if len(writes) == 3:
            os.write(fd, data[: len(data) // 2])  # half of it reached the disk
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write_all(fd, data)

    monkeypatch.setattr(batch, "_write_all", disk_fills_on_the_third_file)
    out = tmp_path / "out"
    with pytest.raises(StorageError) as full:
        services.exports.export(ExportCriteria(date(2026, 2, 1), date(2026, 2, 28)), out, workers=1)
    assert "disk is full" in str(full.value) and "already written are complete" in str(full.value)
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 2 and leftovers(out) == []
    for name in names:
        assert "Zoë Nguyễn" in pdf_text(out / name)


def test_a_full_disk_while_writing_the_csv_keeps_nothing_half_written(
    services: Services, clinician: Clinician, patient: Patient, dest: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    visit(services, patient, clinician, datetime(2026, 2, 3, 15, tzinfo=UTC))
    (dest / "all.csv").write_text("the previous export\n")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exporting.os, "fsync", full)
    with pytest.raises(StorageError, match="disk is full"):
        services.exports.export(
            ExportCriteria(date(2026, 2, 1), date(2026, 2, 28)), dest, per_visit=False, csv=dest / "all.csv"
        )
    assert (dest / "all.csv").read_text() == "the previous export\n"  # the old file is untouched
    assert leftovers(dest) == []


def test_write_atomically_replaces_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "note.pdf"
    exporting.write_atomically(target, b"%PDF first")
    assert target.read_bytes() == b"%PDF first"

    def interrupted(fd: int, data: bytes) -> None:
        os.write(fd, data[:3])
        raise KeyboardInterrupt

    monkeypatch.setattr(export_files, "_write_all", interrupted)
    with pytest.raises(KeyboardInterrupt):
        exporting.write_atomically(target, b"%PDF second")
    assert target.read_bytes() == b"%PDF first"
    assert [p.name for p in tmp_path.iterdir()] == ["note.pdf"]


def test_a_worker_that_dies_is_one_sentence_and_leaves_complete_files(busy_chart: Services, dest: Path) -> None:
    killed: list[int] = []

    def progress(done: int, _total: int) -> None:
        if done >= 2 and not killed:  # a worker dies mid-export (the out-of-memory killer, say)
            victim = multiprocessing.active_children()[0]
            os.kill(victim.pid, signal.SIGKILL)  # type: ignore[arg-type]
            killed.append(done)

    with pytest.raises(NeedlelogError, match="worker process making the PDFs stopped unexpectedly"):
        busy_chart.exports.export(EVERYTHING, dest / "out", workers=2, progress=progress)
    assert killed
    files = sorted((dest / "out").iterdir())
    assert files and leftovers(dest / "out") == []
    for path in files:
        assert len(pypdf.PdfReader(path).pages) >= 1
    assert multiprocessing.active_children() == []
