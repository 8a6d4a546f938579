"""The clinic manager's exports (SPEC §1, §5, §8): visit notes as PDFs, one per visit or combined, and CSV.

The notes are read in one read-only transaction (a snapshot that never makes a clinician's
autosave wait), in batches, and rendered in worker processes (``services/workers.py``: "spawn",
one per core, cancelled cooperatively) that receive :class:`VisitNote` values and the paths to
write; this process names the files.

Every file is written atomically: a renderer writes and fsyncs it in a hidden folder beside its
name, and it is renamed over its name once whole. A cancel, a full disk or a crash therefore
leaves only complete files, each readable, and the hidden folder is removed at the end
(``services/export_files.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from needlelog.db import repositories as repo
from needlelog.db.engine import read_snapshot
from needlelog.domain.access import Action, AuditAction
from needlelog.domain.errors import NeedlelogError, StorageError, ValidationError
from needlelog.domain.model import VisitNote
from needlelog.domain.rules import FieldProblem
from needlelog.domain.text import text_problems
from needlelog.services.base import Access, Clock, UseCases, utc_now
from needlelog.services.export_files import (  # the files on disk; still found here by earlier callers
    DISK_FULL,
    _AtomicText,
    _Scratch,
    _storage_error,
    _sync_folder,
    write_atomically,
)
from needlelog.services.workers import InlinePool, Pool, WorkerError, WorkerPool

if TYPE_CHECKING:
    from needlelog.reports.csv_export import CsvSheet

__all__ = [
    "DISK_FULL",
    "IN_PROCESS_BELOW",
    "LOAD_BATCH",
    "POLL_SECONDS",
    "RENDER_CHUNK",
    "Cancelled",
    "ExportCriteria",
    "ExportResult",
    "ExportService",
    "Progress",
    "write_atomically",
]

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

LOAD_BATCH = 200  # sessions read per query batch
RENDER_CHUNK = 4  # notes a worker renders per task: about 0.1 s
IN_PROCESS_BELOW = 24  # fewer notes than this render here: starting workers would cost more than it saves
POLL_SECONDS = 0.05  # how often a wait for the renderers looks at the cancel flag
PART_NOTES = 25  # a combined PDF is rendered in parts of at least this many notes, every worker one at a time,
PARTS_PER_WORKER = 4  # and about this many parts a worker: even ends, few parts to join


@dataclass(frozen=True, slots=True)
class ExportCriteria:
    """Which visits to export: service dates (the clinic's calendar days, both included), optionally
    one clinician (user name) and one patient (chart number), signed notes only unless drafts are asked for."""

    date_from: date
    date_to: date
    clinician: str | None = None
    patient_chart: str | None = None
    include_drafts: bool = False

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                problems.append(FieldProblem(name, f"The {_WORDS[name]} must be a calendar date (YYYY-MM-DD)."))
            elif not 1900 <= value.year <= 9998:
                problems.append(FieldProblem(name, f"The {_WORDS[name]} must be between 1900 and 9998."))
        if not problems and self.date_from > self.date_to:
            problems.append(
                FieldProblem(
                    "date_to",
                    f"The end date {self.date_to.isoformat()} is before the start date "
                    f"{self.date_from.isoformat()}; give an end date on or after the start date.",
                )
            )
        for name, label, limit in (
            ("clinician", "The clinician's user name", "account.username"),
            ("patient_chart", "The chart number", "patient.chart_number"),
        ):
            problems += text_problems(name, label, getattr(self, name) or "", limit)
        if problems:
            raise ValidationError(problems)
        # A blank filter is no filter.
        object.__setattr__(self, "clinician", (self.clinician or "").strip() or None)
        object.__setattr__(self, "patient_chart", (self.patient_chart or "").strip() or None)

    @property
    def starts(self) -> datetime:
        """The first instant of ``date_from`` on this PC's clock."""
        return datetime.combine(self.date_from, clock_time()).astimezone()

    @property
    def ends(self) -> datetime:
        """The first instant after ``date_to`` on this PC's clock (the range is half-open)."""
        return datetime.combine(self.date_to + timedelta(days=1), clock_time()).astimezone()

    def describe(self) -> str:
        words = f"{self.date_from.isoformat()} to {self.date_to.isoformat()}"
        if self.clinician:
            words += f", clinician {self.clinician}"
        if self.patient_chart:
            words += f", chart {self.patient_chart}"
        return words + (", drafts included" if self.include_drafts else ", signed only")


_WORDS = {"date_from": "start date", "date_to": "end date"}


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote. After a cancel, ``files`` lists the complete PDFs written before it."""

    matched: int
    files: tuple[Path, ...] = ()
    combined: Path | None = None
    csv: Path | None = None
    cancelled: bool = False
    seconds: float = 0.0

    @property
    def written(self) -> int:
        return len(self.files)


@dataclass(frozen=True, slots=True)
class _Where:
    start: datetime
    end: datetime
    clinician_id: int | None
    patient_id: int | None
    signed_only: bool

    def args(self) -> tuple[datetime, datetime, int | None, int | None, bool]:
        return self.start, self.end, self.clinician_id, self.patient_id, self.signed_only


class ExportService(UseCases):
    def __init__(self, engine: Engine, clock: Clock = utc_now, access: Access | None = None) -> None:
        super().__init__(engine, clock, access)
        self._snapshots = self._session_factory(read_snapshot(engine))  # storage errors in words, as every use case

    def _snapshot(self) -> Session:
        return self._snapshots()

    def count(self, criteria: ExportCriteria) -> int:
        """How many visits ``criteria`` selects."""
        self._require(Action.EXPORT)
        with self._snapshot() as db, db.begin():
            return repo.count_export_sessions(db, *self._where(db, criteria).args())

    def notes(self, criteria: ExportCriteria) -> Iterator[VisitNote]:
        """The selected visits as notes, by service start: one transaction, read in batches."""
        self._require(Action.EXPORT)
        with self._snapshot() as db, db.begin():
            ids = repo.export_session_ids(db, *self._where(db, criteria).args())
            yield from _load(db, ids)

    def export(
        self,
        criteria: ExportCriteria,
        out_dir: Path,
        *,
        per_visit: bool = True,
        combined: Path | None = None,
        csv: Path | None = None,
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
        workers: int | None = None,
    ) -> ExportResult:
        """Write the selected notes: a PDF per visit into ``out_dir`` (named by date, chart and clinician),
        and/or all of them in one ``combined`` PDF, and/or a ``csv`` file.

        ``progress(done, total)`` is called as files are written; ``cancelled()`` is asked between
        notes, and a cancel returns (within a fraction of a second) a result with ``cancelled`` set.
        """
        self._require(Action.EXPORT)
        began = time.perf_counter()
        out_dir, combined, csv = Path(out_dir), combined and Path(combined), csv and Path(csv)
        _check_outputs(out_dir, per_visit, combined, csv)
        with self._snapshot() as db, db.begin():
            ids = repo.export_session_ids(db, *self._where(db, criteria).args())
            if per_visit and ids:
                _make_folder(out_dir)
            # Audited before the first file is written (and again when done): an export that fails
            # half-way still left its mark.
            with self._transaction() as audit, audit.begin():
                detail = f"started: {criteria.describe()}, {len(ids)} note(s)"
                self._audit(audit, AuditAction.PDF_EXPORTED, detail=detail)
            job = _Job(
                matched=len(ids),
                out_dir=out_dir,
                per_visit=per_visit,
                combined=combined,
                csv=csv,
                progress=progress or (lambda _done, _total: None),
                cancelled=cancelled or (lambda: False),
                workers=workers if workers is not None else (os.cpu_count() or 1),
            )
            result = job.run(_load(db, ids))
        written = [f"{result.files} visit PDF(s)" if per_visit else "", "combined PDF" if result.combined else ""]
        written.append("CSV" if result.csv else "")
        with self._transaction() as db, db.begin():
            detail = f"finished: {criteria.describe()}: {', '.join(w for w in written if w) or 'nothing'}"
            self._audit(db, AuditAction.PDF_EXPORTED, detail=detail + (" (cancelled)" if result.cancelled else ""))
        return ExportResult(
            matched=result.matched,
            files=result.files,
            combined=result.combined,
            csv=result.csv,
            cancelled=result.cancelled,
            seconds=time.perf_counter() - began,
        )

    def note(self, session_id: int) -> VisitNote:
        """The visit note of one session, as the PDF prints it."""
        self._require(Action.PRINT_NOTE)
        with self._snapshot() as db, db.begin():
            notes = repo.VisitNoteLoader(db).notes([session_id])
        if not notes:
            raise NeedlelogError(f"No session with id {session_id}.")
        return notes[0]

    def note_filename(self, session_id: int) -> str:
        """The file name a visit note is saved under: ``YYYY-MM-DD_chart_clinician.pdf``."""
        from needlelog.reports.visit_note import note_filename

        return note_filename(self.note(session_id))

    def export_note(self, session_id: int, path: Path) -> Path:
        """One visit note as a PDF at ``path``, written atomically (a failure leaves no partial file)."""
        from needlelog.reports.visit_note import render_visit_note

        path = Path(path)
        if not path.parent.is_dir():
            raise ValidationError.single("path", f"The folder {path.parent} does not exist.")
        note = self.note(session_id)
        pdf = render_visit_note(note)
        with self._transaction() as db, db.begin():  # the mark first: no file leaves without it
            self._audit(
                db, AuditAction.PDF_EXPORTED, patient_id=note.patient.id, session_id=session_id, detail=path.name
            )
        write_atomically(path, pdf)
        return path

    def export_aftercare(self, session_id: int, path: Path) -> Path:
        """The patient's aftercare sheet of one visit as a PDF at ``path``, audited with the visit's trail."""
        from needlelog.domain.aftercare import aftercare_sheet
        from needlelog.reports.aftercare_sheet import render_aftercare_sheet

        path = Path(path)
        if not path.parent.is_dir():
            raise ValidationError.single("path", f"The folder {path.parent} does not exist.")
        note = self.note(session_id)
        pdf = render_aftercare_sheet(aftercare_sheet(note))
        with self._transaction() as db, db.begin():  # the mark first: no sheet leaves without it
            self._audit(
                db, AuditAction.AFTERCARE_PRINTED, patient_id=note.patient.id, session_id=session_id, detail=path.name
            )
        write_atomically(path, pdf)
        return path

    def aftercare_filename(self, session_id: int) -> str:
        """The file name of a visit's aftercare sheet: the note's, with ``_aftercare`` before ``.pdf``."""
        from needlelog.reports.aftercare_sheet import aftercare_filename

        return aftercare_filename(self.note_filename(session_id))

    @staticmethod
    def _where(db: Session, criteria: ExportCriteria) -> _Where:
        clinician_id = patient_id = None
        problems = []
        if criteria.clinician is not None:
            clinician = repo.clinician_by_username(db, criteria.clinician)
            if clinician is None:
                problems.append(FieldProblem("clinician", f"No clinician has the user name {criteria.clinician!r}."))
            else:
                clinician_id = clinician.id
        if criteria.patient_chart is not None:
            patient_id = repo.patient_id_by_chart_number(db, criteria.patient_chart)
            if patient_id is None:
                problems.append(
                    FieldProblem("patient_chart", f"No patient has the chart number {criteria.patient_chart}.")
                )
        if problems:
            raise ValidationError(problems)
        return _Where(criteria.starts, criteria.ends, clinician_id, patient_id, not criteria.include_drafts)


def _load(db: Session, ids: Sequence[int]) -> Iterator[VisitNote]:
    loader = repo.VisitNoteLoader(db)
    for start in range(0, len(ids), LOAD_BATCH):
        yield from loader.notes(ids[start : start + LOAD_BATCH])


# --- checks before any work ----------------------------------------------------------------------


def _check_outputs(out_dir: Path, per_visit: bool, combined: Path | None, csv: Path | None) -> None:
    if not (per_visit or combined or csv):
        raise ValidationError.single("output", "Choose what to write: a PDF per visit, a combined PDF or a CSV file.")
    if combined is not None and csv is not None and combined.absolute() == csv.absolute():
        raise ValidationError.single("csv", f"The CSV file and the combined PDF are both {csv}; give two names.")
    if per_visit:
        if out_dir.exists() and not out_dir.is_dir():
            raise StorageError(f"{out_dir} is a file, not a folder; give a folder for the visit notes.")
        if not out_dir.absolute().parent.is_dir():
            raise StorageError(f"The folder {out_dir.absolute().parent} does not exist; cannot create {out_dir} in it.")
    for path in (p for p in (combined, csv) if p is not None):
        if path.is_dir():
            raise StorageError(f"{path} is a folder; give a file name.")
        beside_the_pdfs = per_visit and path.absolute().parent == out_dir.absolute()  # made with the folder
        if not beside_the_pdfs and not path.absolute().parent.is_dir():
            raise StorageError(f"The folder {path.absolute().parent} does not exist; cannot write {path.name} in it.")


def _make_folder(folder: Path) -> None:
    """The visit notes' folder, made owner-only (whatever the umask: they hold health information); a folder
    that exists already keeps the permissions its owner gave it."""
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise _storage_error(folder, exc) from None


# --- rendering -------------------------------------------------------------------------------------


@dataclass
class _Outcome:
    matched: int
    files: tuple[Path, ...] = ()
    combined: Path | None = None
    csv: Path | None = None
    cancelled: bool = False


class _Cancelled(Exception):
    pass


@dataclass
class _Job:
    matched: int
    out_dir: Path
    per_visit: bool
    combined: Path | None
    csv: Path | None
    progress: Progress
    cancelled: Cancelled
    workers: int
    files: list[Path] = field(default_factory=list)
    _taken: set[str] = field(default_factory=set)
    _done: int = 0
    _scratch: _Scratch = field(default_factory=_Scratch)
    _waiting: dict[int, list[tuple[Path, Path]]] = field(default_factory=dict)  # ticket -> (temp, final)
    _combined_ticket: int | None = None  # the task that writes the combined PDF: the whole render, or the join
    _combined_done: bool = False
    _parts: list[Path] = field(default_factory=list)  # the combined PDF's parts, in order, rendered in parallel
    _parts_waiting: set[int] = field(default_factory=set)

    @property
    def total(self) -> int:
        """Progress steps: each note counts once per PDF output it goes into (once for a CSV alone)."""
        outputs = int(self.per_visit) + int(self.combined is not None)
        return self.matched * (outputs or 1)

    def step(self, count: int = 1) -> None:
        self._done += count
        self.progress(self._done, self.total)

    def check(self) -> None:
        if self.cancelled():
            raise _Cancelled

    def _pool(self) -> Pool:
        # Worker processes for more than a few notes, and for a long combined PDF even when asked for
        # one worker: the window stays free to draw, and a cancel is answered between two notes.
        rendered = self.matched * (int(self.per_visit) + int(self.combined is not None))
        if rendered >= IN_PROCESS_BELOW and (self.workers > 1 or self.combined is not None):
            from needlelog.reports import batch

            return WorkerPool(max(1, self.workers), prepare=batch.prepare)
        return InlinePool(self.cancelled)

    def run(self, notes: Iterable[VisitNote]) -> _Outcome:
        from needlelog.reports.csv_export import ENCODING, CsvSheet

        self.progress(0, self.total)
        if not self.matched:
            return _Outcome(0)
        for path in (self.combined, self.csv):
            if path is not None and path.absolute().parent == self.out_dir.absolute():
                self._taken.add(path.name.casefold())
        pool = self._pool()
        sheet: _AtomicText | None = None
        outcome = _Outcome(self.matched)
        early = True  # stopped before the end: by a cancel or an error
        try:
            if self.csv is not None:
                sheet = _AtomicText(self.csv, ENCODING)
            rows = CsvSheet(sheet.stream) if sheet is not None else None
            if self.combined is not None:
                # The combined PDF needs them all. Its parts are rendered after the visits' files, so that a disk
                # that fills holds the visits written before (the parts are scratch files, the PDF comes last).
                notes = everything = list(notes)
            if self.per_visit:
                self._per_visit(pool, notes, rows)
            elif rows is not None:
                for note in notes:
                    self.check()
                    rows.add(note)
                    if self.combined is None:
                        self.step()
            if self.combined is not None:
                self._start_combined(pool, everything)
                while not self._combined_done:
                    self._collect(pool)
                outcome.combined = self.combined
            if sheet is not None:
                sheet.commit()
                outcome.csv = sheet.path
                sheet = None
            early = False
        except _Cancelled:
            outcome.cancelled = True
        except WorkerError as exc:
            if not exc.died:
                text = f"A visit note could not be made ({exc}). The files already written are complete."
                raise NeedlelogError(text) from None
            raise NeedlelogError(
                "A worker process making the PDFs stopped unexpectedly (was the computer out of memory?). "
                "The files already written are complete; export again."
            ) from None
        except OSError as exc:  # a renderer's file, or the CSV's buffered stream
            failed = self._scratch.final(exc.filename, self.csv or self.out_dir)
            raise _storage_error(failed, exc) from None
        finally:
            if sheet is not None:
                sheet.discard()
            pool.close(cancel=early)
            self._scratch.remove()
            for folder in {p.parent for p in (*self.files[-1:], outcome.combined, outcome.csv) if p is not None}:
                _sync_folder(folder)
        outcome.files = tuple(self.files)
        return outcome

    @property
    def _combined_tasks(self) -> int:
        """Tasks of the combined PDF still in the pool: its parts, or the task that writes it."""
        return len(self._parts_waiting) + (self._combined_ticket is not None and not self._combined_done)

    def _start_combined(self, pool: Pool, notes: list[VisitNote]) -> None:
        """The combined PDF: in parts, rendered by every worker and then joined by one, where there are
        workers to share them; else in one render."""
        from needlelog.reports import batch

        assert self.combined is not None
        size = max(PART_NOTES, -(-len(notes) // (PARTS_PER_WORKER * self.workers)))
        if not isinstance(pool, WorkerPool) or self.workers < 2 or len(notes) < 2 * size:
            temp = self._scratch.path(self.combined)
            self._combined_ticket = pool.submit(batch.write_combined, notes, temp)
            self._waiting[self._combined_ticket] = [(temp, self.combined)]
            return
        for first in range(0, len(notes), size):
            part = self._scratch.path(self.combined)
            self._parts.append(part)
            self._parts_waiting.add(pool.submit(batch.write_part, notes[first : first + size], part, first, len(notes)))

    def _part_done(self, pool: Pool, ticket: int, rendered: bool) -> None:
        """A part finished; the join starts when the last one has."""
        from needlelog.reports import batch

        assert self.combined is not None
        if not rendered:  # the render stopped: only a cancel asks that
            raise _Cancelled
        self._parts_waiting.discard(ticket)
        if not self._parts_waiting:
            temp = self._scratch.path(self.combined)
            self._combined_ticket = pool.submit(batch.join_parts, self._parts, temp, self.matched)
            self._waiting[self._combined_ticket] = [(temp, self.combined)]

    def _per_visit(self, pool: Pool, notes: Iterable[VisitNote], rows: CsvSheet | None) -> None:
        from needlelog.reports import batch
        from needlelog.reports.visit_note import note_filename

        chunk = RENDER_CHUNK if isinstance(pool, WorkerPool) else 1
        window = max(2, 2 * self.workers) + self._combined_tasks  # every worker busy
        for part in _chunks(notes, chunk):
            self.check()
            names = [self._unique(note_filename(note)) for note in part]
            temps = [self._scratch.path(name) for name in names]
            if rows is not None:
                for note in part:
                    rows.add(note)
            ticket = pool.submit(batch.write_notes, part, temps)
            self._waiting[ticket] = list(zip(temps, names, strict=True))
            while pool.pending >= window:
                self._collect(pool)
        while pool.pending > self._combined_tasks:
            self._collect(pool)

    def _collect(self, pool: Pool) -> None:
        """Publish what the renderers finished in the next moment; asks for a cancel first."""
        self.check()
        for done in pool.finished(POLL_SECONDS):
            if done.ticket in self._parts_waiting:
                self._part_done(pool, done.ticket, done.value)
                continue
            files = self._waiting.pop(done.ticket)
            if done.ticket == self._combined_ticket:
                if not done.value:  # the render stopped: only a cancel asks that
                    raise _Cancelled
                self._scratch.publish(*files[0])
                self._combined_done = True
                self.step(self.matched)
                continue
            for temp, path in files[: done.value]:
                self._scratch.publish(temp, path)
                self.files.append(path)
                self.step()
            if done.value < len(files):
                raise _Cancelled

    def _unique(self, name: str) -> Path:
        """``name`` in the output folder, with "-2", "-3"... when an earlier visit of this export has it."""
        stem, suffix = os.path.splitext(name)
        candidate, number = name, 1
        while candidate.casefold() in self._taken:  # casefold: Windows and macOS folders ignore case
            number += 1
            candidate = f"{stem}-{number}{suffix}"
        self._taken.add(candidate.casefold())
        return self.out_dir / candidate


def _chunks(notes: Iterable[VisitNote], size: int) -> Iterator[list[VisitNote]]:
    part: list[VisitNote] = []
    for note in notes:
        part.append(note)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part
