"""The session editor: chart one dry-needling visit while it happens, then sign it.

Every change is saved within two seconds (and on close) without a prompt. A value the
rules refuse is shown in words beside its field and is not written: the autosave writes
the rest of the draft with that one value left empty, so a crash never costs more than
the wrong number itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.access import Action
from needlelog.domain.errors import ConflictError, NeedlelogError, ValidationError
from needlelog.domain.figure import anchor_points, body_figure, lung_field_site
from needlelog.domain.model import (
    AdverseEvent,
    Clinician,
    NeedlingSite,
    Patient,
    Reactions,
    TreatmentSession,
    TriggerPoint,
)
from needlelog.domain.rules import (
    DWELL_MAX,
    DWELL_MIN,
    TEXT_MAX,
    FieldProblem,
    NeedleLedger,
    local_date,
    sign_problems,
    value_problems,
)
from needlelog.domain.timers import TimerLevel, clock_text, dwell_minutes, timed_dwell, timer_level
from needlelog.domain.vocab import (
    MUSCLES,
    AdverseEventKind,
    Aftercare,
    BodyRegion,
    Coded,
    Condition,
    FigureView,
    Precaution,
    Reaction,
    Side,
    Soreness,
    Technique,
    TwitchResponse,
)
from needlelog.paths import data_dir
from needlelog.services.store import Services
from needlelog.ui.models.patients import initials
from needlelog.ui.widgets.body_chart import BodyChart
from needlelog.ui.widgets.common import html, local_time, named

AUTOSAVE_MS = 1500
TEXT_FIELD_MAX = 200
NEEDLE_SIZES = ("0.16 x 15 mm", "0.20 x 15 mm", "0.25 x 30 mm", "0.25 x 40 mm", "0.30 x 50 mm", "0.30 x 60 mm")
ERROR_STYLE = "color: #a11a1a;"
OK_STYLE = "color: #1d6b2f;"
CAUTION_STYLE = "background: #fdecea; color: #8e1b12; border: 2px solid #c0392b; border-radius: 4px; padding: 4px;"
TIMER_STYLES = {
    TimerLevel.RUNNING: "",
    TimerLevel.WARNING: "background: #f5b041; font-weight: bold;",
    TimerLevel.ALARM: "background: #c0392b; color: white; font-weight: bold;",
}
QUICK_PICKS = 6
CHART_WIDTH = (290, 440)  # the body chart's column, narrowest and widest (pixels)


class CodeCombo(QComboBox):
    """A choice from a controlled list; the first item '–' means not chosen yet. One key picks an item."""

    def __init__(self, terms: list[Coded], blank: str = "–") -> None:
        super().__init__()
        # The terms are kept here, not as item data: Qt hands a str enum back as a plain str.
        self._terms: list[Coded | None] = [None, *terms]
        self.addItem(blank)
        for term in terms:
            self.addItem(term.label)
        self.setMinimumHeight(30)

    def code(self) -> Coded | None:
        index = self.currentIndex()
        return self._terms[index] if 0 <= index < len(self._terms) else None

    def set_code(self, value: Coded | None) -> None:
        self.setCurrentIndex(self._terms.index(value) if value in self._terms else 0)


class OptionalSpin(QSpinBox):
    """A whole number that may be left empty (shown as '–' at the bottom of the range)."""

    def __init__(self, low: int, high: int) -> None:
        super().__init__()
        self.setRange(low - 1, high)
        self.setSpecialValueText("–")
        self.setMinimumHeight(30)
        self.setMinimumWidth(64)
        self._empty = low - 1

    def number(self) -> int | None:
        return None if self.value() == self._empty else self.value()

    def set_number(self, value: int | None) -> None:
        self.setValue(self._empty if value is None else value)


class SiteRow:
    """The widgets of one needling site, laid out as one row of the sites grid."""

    def __init__(self, index: int, default_dwell: int, changed: Callable[[], None]) -> None:
        prefix = f"site{index + 1}"
        label = f"Site {index + 1}"
        self.number = QLabel(str(index + 1))
        self.region = CodeCombo(list(BodyRegion))
        named(self.region, f"{prefix}Region", f"{label} body region", "Body region (type the first letter)")
        self.side = CodeCombo(list(Side))
        named(self.side, f"{prefix}Side", f"{label} side", "Side: L, R, B or M")
        self.muscle = QComboBox()
        self.muscle.setEditable(True)
        self.muscle.setMinimumWidth(120)
        self.muscle.setMinimumHeight(30)
        named(self.muscle, f"{prefix}Muscle", f"{label} muscle", "Muscle: pick or type")
        self.needles = OptionalSpin(1, 99)
        named(self.needles, f"{prefix}Needles", f"{label} needle count", "Needles at this site (1 to 20)")
        self.dwell = OptionalSpin(1, 99)
        self.dwell.set_number(default_dwell)
        named(self.dwell, f"{prefix}Dwell", f"{label} dwell time", "Planned dwell time, 5 to 15 minutes")
        self.twitch = CodeCombo(list(TwitchResponse))
        named(self.twitch, f"{prefix}Twitch", f"{label} twitch response", "Twitch response: N, W or S")
        self.lot = QLineEdit()
        self.lot.setMinimumHeight(30)
        self.lot.setPlaceholderText("lot")
        named(self.lot, f"{prefix}Lot", f"{label} needle lot", "Needle lot number")
        self.size = QComboBox()
        self.size.setEditable(True)
        self.size.addItems(["", *NEEDLE_SIZES])
        self.size.setMinimumHeight(30)
        named(self.size, f"{prefix}Size", f"{label} needle size", "Needle gauge x length")
        self.up = QPushButton("↑")
        named(self.up, f"{prefix}Up", f"Move {label.lower()} up", "Move this site up (Alt+Up)")
        self.down = QPushButton("↓")
        named(self.down, f"{prefix}Down", f"Move {label.lower()} down", "Move this site down (Alt+Down)")
        for button in (self.up, self.down):
            button.setFixedSize(28, 30)
        self.timer = QPushButton("▶ Start")
        named(self.timer, f"{prefix}Timer", f"{label} dwell timer", "Start the dwell timer as the needles go in")
        self.timer.setMinimumSize(72, 30)
        self.timer_started: datetime | None = None
        self.timer_stopped: datetime | None = None
        # Compact lists: the row fits beside the body chart on a 1366-pixel screen.
        for widget, letters, widest in (
            (self.region, 10, 200),
            (self.side, 5, 78),
            (self.twitch, 5, 76),
            (self.size, 8, 112),
        ):
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(letters)
            widget.setMaximumWidth(widest)
        self.lot.setMaximumWidth(90)
        for spin in (self.needles, self.dwell):
            spin.setMinimumWidth(52)
            spin.setMaximumWidth(64)
        self.lot.setMinimumWidth(60)
        self.remove = QPushButton("✕")
        named(self.remove, f"{prefix}Remove", f"Remove {label.lower()}", f"Remove {label.lower()}")
        self.remove.setFixedSize(28, 30)
        self.error = QLabel("")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        named(self.error, f"{prefix}Error", f"{label} problems")
        self.trigger_points: tuple[TriggerPoint, ...] = ()  # kept as charted; the body chart edits them
        self.region.currentIndexChanged.connect(self._region_changed)
        for signal in (
            self.region.currentIndexChanged,
            self.side.currentIndexChanged,
            self.twitch.currentIndexChanged,
            self.needles.valueChanged,
            self.dwell.valueChanged,
            self.muscle.currentTextChanged,
            self.lot.textChanged,
            self.size.currentTextChanged,
        ):
            signal.connect(changed)

    def widgets(self) -> list[QWidget]:
        return [
            self.number,
            self.region,
            self.side,
            self.muscle,
            self.needles,
            self.dwell,
            self.twitch,
            self.size,
            self.lot,
            self.timer,
            self.up,
            self.down,
            self.remove,
        ]

    def _region_changed(self) -> None:
        """Offer the region's muscles; keep whatever was already typed."""
        region = self.region.code()
        # The list is narrow: the whole name is in the tooltip ("Upper back (thoracic)").
        self.region.setToolTip(f"{region.label} — body region (type the first letter)" if region else "Body region")
        typed = self.muscle.currentText()
        self.muscle.blockSignals(True)
        self.muscle.clear()
        if isinstance(region, BodyRegion):
            self.muscle.addItems(list(MUSCLES[region]))
        self.muscle.setCurrentText(typed)
        self.muscle.blockSignals(False)

    def site(self) -> NeedlingSite:
        return NeedlingSite(
            region=self.region.code(),  # type: ignore[arg-type]
            side=self.side.code(),  # type: ignore[arg-type]
            muscle=self.muscle.currentText().strip(),
            needles=self.needles.number(),
            needle_size=self.size.currentText().strip(),
            needle_lot=self.lot.text().strip(),
            dwell_minutes=self.dwell.number(),
            twitch=self.twitch.code(),  # type: ignore[arg-type]
            trigger_points=self.trigger_points,
            timer_started=self.timer_started,
            timer_stopped=self.timer_stopped,
        )

    def show_site(self, site: NeedlingSite) -> None:
        self.region.set_code(site.region)
        self.side.set_code(site.side)
        self.muscle.setCurrentText(site.muscle)
        self.needles.set_number(site.needles)
        self.dwell.set_number(site.dwell_minutes)
        self.twitch.set_code(site.twitch)
        self.lot.setText(site.needle_lot)
        self.size.setCurrentText(site.needle_size)
        self.trigger_points = site.trigger_points
        self.timer_started = site.timer_started
        self.timer_stopped = site.timer_stopped

    def show_timer(self, now: datetime) -> None:
        """The timer button: start it, the minutes running (coloured at the planned dwell and at 15), or done."""
        if self.timer_started is None:
            text, style, tip = "▶ Start", "", "Start the dwell timer as the needles go in"
        elif self.timer_stopped is None:
            elapsed = now - self.timer_started
            level = timer_level(self.timer_started, self.dwell.number(), now)
            text, style = f"■ {clock_text(elapsed)}", TIMER_STYLES[level]
            tip = f"Needles in since {local_time(self.timer_started, '%H:%M')}: stop when they come out"
        else:
            minutes = dwell_minutes(self.timer_started, self.timer_stopped)
            text, style = f"✔ {minutes} min", ""
            tip = f"Timed {local_time(self.timer_started, '%H:%M')}–{local_time(self.timer_stopped, '%H:%M')}"
        if self.timer.text() != text:
            self.timer.setText(text)
        if self.timer.styleSheet() != style:
            self.timer.setStyleSheet(style)
        self.timer.setToolTip(tip)

    def set_read_only(self, read_only: bool) -> None:
        for widget in self.widgets()[1:]:
            widget.setEnabled(not read_only)
        self.timer.setEnabled(not read_only and self.timer_stopped is None)


class SessionEditor(QWidget):
    """One draft (or signed note, read-only) in its own window."""

    saved = Signal(object)  # TreatmentSession
    signed = Signal(object)
    closed = Signal(int)

    def __init__(
        self,
        services: Services,
        session: TreatmentSession,
        patient: Patient,
        clinician: Clinician,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.services = services
        self.session = session
        self.patient = patient
        self.clinician = clinician
        clinic = services.clinic.clinic_or_none()
        self._default_dwell = clinic.default_dwell_minutes if clinic else 10
        self._consent_months = clinic.consent_valid_months if clinic else 12
        self._loading = False
        self._conflict = False
        # Changed since the last save: an untouched draft is never written (that would make
        # another PC's later save look like a conflict, and bump the version for nothing).
        self._dirty = False
        self._close_refused = False
        self.clock = services.clock
        # Who may only read (a manager) sees the same editor, read-only: nothing is ever saved from it.
        self.view_only = not services.access.may(Action.CHART)
        self.figure = body_figure()
        self.selected_site: int | None = None
        self._lung_sites: frozenset[int] = frozenset()
        # Notes opened for viewing go to the data folder (owner-only), never to a shared temporary folder.
        self.print_folder = data_dir() / "print"
        self.rows: list[SiteRow] = []
        self.setObjectName("sessionEditor")
        self.setAccessibleName("Session editor")

        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self.save_now)
        # Running dwell timers are redrawn every second (the main window's dock sounds the alarm).
        self._timer_tick = QTimer(self)
        self._timer_tick.setInterval(1000)
        self._timer_tick.timeout.connect(self.tick_timers)

        # The clinic's needle lots: offered as the lot is typed (never an expired one), and checked.
        try:
            self.lots = {lot.lot: lot for lot in services.registers.lots()}
        except NeedlelogError:
            self.lots = {}
        self._build()
        self.show_session(session)
        self._dirty = False

    # --- building ------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.banner = QLabel("")
        named(self.banner, "editorBanner", "Patient and clinician")
        outer.addWidget(self.banner)
        self.private = False
        self._show_names()
        self.conflict_bar = QWidget()
        conflict_layout = QHBoxLayout(self.conflict_bar)
        self.conflict_text = QLabel("")
        self.conflict_text.setWordWrap(True)
        self.conflict_text.setStyleSheet("color: #8a4b00; font-weight: bold;")
        named(self.conflict_text, "conflictMessage", "Save conflict")
        self.keep_mine = QPushButton("Save my version over theirs")
        named(self.keep_mine, "keepMine", "Save my version over theirs")
        self.keep_mine.clicked.connect(self.save_mine_over_theirs)
        self.take_theirs = QPushButton("Load their version")
        named(self.take_theirs, "takeTheirs", "Load their version")
        self.take_theirs.clicked.connect(self.load_theirs)
        conflict_layout.addWidget(self.conflict_text, 1)
        conflict_layout.addWidget(self.keep_mine)
        conflict_layout.addWidget(self.take_theirs)
        self.conflict_bar.hide()
        outer.addWidget(self.conflict_bar)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setObjectName("editorScroll")
        body = QWidget()
        # Rows, not columns: the sites grid gets the whole width, so ten sites fit a 1366-pixel screen.
        # The body chart is a column of its own on the left, beside everything else, so the figure
        # stays in view while the sites are charted.
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        self.chart_box = self._build_chart()
        columns.addWidget(self.chart_box, 0)
        rows = QVBoxLayout()
        columns.addLayout(rows, 1)
        top, lower = QHBoxLayout(), QHBoxLayout()
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)

        # visit
        visit = QGroupBox("Visit")
        form = QFormLayout(visit)
        self.start = QDateTimeEdit()
        self.start.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start.setCalendarPopup(True)
        named(self.start, "serviceStart", "Service start")
        self.end = QDateTimeEdit()
        self.end.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.end.setCalendarPopup(True)
        named(self.end, "serviceEnd", "Service end")
        self.end_set = QCheckBox("ended")
        named(self.end_set, "serviceEnded", "Service has ended", "Tick when the visit is over")
        end_row = QHBoxLayout()
        end_row.addWidget(self.end, 1)
        end_row.addWidget(self.end_set)
        self.condition = CodeCombo(list(Condition))
        named(self.condition, "condition", "Condition treated")
        self.technique = CodeCombo(list(Technique))
        named(self.technique, "technique", "Technique")
        self.estim = QCheckBox("with electrical stimulation")
        named(self.estim, "electricalStimulation", "With electrical stimulation")
        form.addRow("Service start", self.start)
        form.addRow("Service end", end_row)
        form.addRow("Condition", self.condition)
        form.addRow("Technique", self.technique)
        form.addRow("", self.estim)
        self.visit_error = QLabel("")
        self.visit_error.setStyleSheet(ERROR_STYLE)
        named(self.visit_error, "visitError", "Visit problems")
        form.addRow(self.visit_error)
        top.addWidget(visit, 3)

        # precautions to acknowledge
        self.acks: dict[Precaution, QCheckBox] = {}
        positives = sorted(self.patient.screening.positive - {Precaution.UNDER_12}, key=lambda p: p.label)
        if positives:
            box = QGroupBox("Precautions acknowledged")
            layout = QVBoxLayout(box)
            for precaution in positives:
                check = QCheckBox(precaution.label)
                named(check, f"ack_{precaution.value}", f"Acknowledge {precaution.label}")
                self.acks[precaution] = check
                layout.addWidget(check)
            top.addWidget(box, 2)

        # sites
        sites = QGroupBox("Needling sites")
        sites_layout = QVBoxLayout(sites)
        self.sites_grid = QGridLayout()
        for column, title in enumerate(
            ("#", "Region", "Side", "Muscle", "Needles", "Dwell min", "Twitch", "Size", "Lot", "Timer", "", "", "")
        ):
            self.sites_grid.addWidget(QLabel(f"<b>{title}</b>"), 0, column)
        # Region and muscle share what a wide screen gives; at 1366 pixels both are at their narrowest.
        self.sites_grid.setColumnStretch(1, 1)
        self.sites_grid.setColumnStretch(3, 2)
        sites_layout.addLayout(self.sites_grid)
        self.add_site_button = QPushButton("Add site (Alt+A)")
        named(self.add_site_button, "addSite", "Add a needling site", "Add a needling site (Alt+A)")
        self.add_site_button.setMinimumHeight(34)
        self.add_site_button.clicked.connect(lambda: self.add_site(focus=True))
        self.sites_error = QLabel("")
        self.sites_error.setStyleSheet(ERROR_STYLE)
        named(self.sites_error, "sitesError", "Sites problems")
        sites_layout.addWidget(self.sites_error)
        sites_layout.addWidget(self.add_site_button, 0, Qt.AlignmentFlag.AlignLeft)
        sites_layout.addStretch(1)
        sites_at = sites

        # needle ledger
        ledger = QGroupBox("Needle ledger")
        ledger_layout = QGridLayout(ledger)
        self.inserted = QLabel("0")
        named(self.inserted, "needlesInserted", "Needles inserted")
        self.removed = QSpinBox()
        self.removed.setRange(0, 999)
        self.removed.setMinimumHeight(30)
        self.removed.installEventFilter(self)
        named(self.removed, "needlesRemoved", "Needles removed", "Needles counted out")
        self.count_out = QPushButton("Count one out (Alt+O)")
        named(self.count_out, "countOut", "Count one needle out", "Count one needle out (Alt+O)")
        self.count_out.setMinimumHeight(34)
        self.count_out.clicked.connect(lambda: self.removed.setValue(self.removed.value() + 1))
        self.sharps = QCheckBox("Disposed in sharps container")
        named(self.sharps, "sharpsDisposed", "Disposed in sharps container")
        self.ledger_status = QLabel("")
        self.ledger_status.setWordWrap(True)
        named(self.ledger_status, "ledgerStatus", "Needle ledger status")
        ledger_layout.addWidget(QLabel("Inserted"), 0, 0)
        ledger_layout.addWidget(self.inserted, 0, 1)
        ledger_layout.addWidget(QLabel("Removed"), 1, 0)
        ledger_layout.addWidget(self.removed, 1, 1)
        ledger_layout.addWidget(self.count_out, 1, 2)
        ledger_layout.addWidget(self.sharps, 2, 0, 1, 3)
        ledger_layout.addWidget(self.ledger_status, 3, 0, 1, 3)
        ledger_at = ledger

        # pain and reactions
        pain = QGroupBox("Pain (0-10)")
        pain_layout = QFormLayout(pain)
        self.pain_before = OptionalSpin(0, 10)
        named(self.pain_before, "painBefore", "Pain before treatment")
        self.pain_after = OptionalSpin(0, 10)
        for spin in (self.pain_before, self.pain_after):
            spin.installEventFilter(self)
        named(self.pain_after, "painAfter", "Pain after treatment")
        self.pain_error = QLabel("")
        self.pain_error.setStyleSheet(ERROR_STYLE)
        named(self.pain_error, "painError", "Pain problems")
        pain_layout.addRow("Before", self.pain_before)
        pain_layout.addRow("After", self.pain_after)
        pain_layout.addRow(self.pain_error)
        top.addWidget(pain, 1)
        top.addWidget(ledger_at, 2)
        rows.addLayout(top)
        rows.addWidget(sites_at)

        reactions = QGroupBox("Post-session reactions")
        reactions_layout = QGridLayout(reactions)
        self.soreness = CodeCombo(list(Soreness))
        named(self.soreness, "soreness", "Muscle soreness")
        reactions_layout.addWidget(QLabel("Soreness"), 0, 0)
        reactions_layout.addWidget(self.soreness, 0, 1)
        self.reaction_checks = _check_boxes(list(Reaction), "reaction", reactions_layout, first_row=1)
        self.reaction_other = QLineEdit()
        self.reaction_other.setPlaceholderText("other reaction")
        named(self.reaction_other, "reactionOther", "Other reaction")
        reactions_layout.addWidget(self.reaction_other, 6, 0, 1, 2)
        lower.addWidget(reactions, 1)

        adverse = QGroupBox("Adverse events (serious)")
        adverse_layout = QGridLayout(adverse)
        self.adverse_checks = _check_boxes(list(AdverseEventKind), "adverse", adverse_layout)
        self.adverse_text = QLineEdit()
        self.adverse_text.setPlaceholderText("what happened, what was done")
        named(self.adverse_text, "adverseDescription", "Adverse event description")
        adverse_layout.addWidget(self.adverse_text, 3, 0, 1, 2)
        lower.addWidget(adverse, 1)

        aftercare = QGroupBox("Aftercare given")
        self.aftercare_checks = _check_boxes(list(Aftercare), "aftercare", QGridLayout(aftercare), columns=1)
        rows.addLayout(lower)
        last = QHBoxLayout()
        last.addWidget(aftercare, 1)
        rows.addLayout(last)

        notes = QGroupBox("Notes")
        notes_layout = QVBoxLayout(notes)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(90)
        named(self.notes, "notes", "Notes")
        notes_layout.addWidget(self.notes)
        last.addWidget(notes, 2)
        rows.addWidget(self._build_amendments())

        # bottom: save state, what stops signing, sign
        self.problems = QListWidget()
        named(self.problems, "signProblems", "What stops signing")
        self.problems.setMaximumHeight(96)
        self.problems.hide()
        self.problems.itemActivated.connect(self._go_to_problem)
        self.problems.itemClicked.connect(self._go_to_problem)
        outer.addWidget(self.problems)
        bottom = QHBoxLayout()
        self.save_state = QLabel("")
        named(self.save_state, "saveState", "Save state")
        self.sign_button = QPushButton("Sign note (Ctrl+Enter)")
        named(self.sign_button, "signButton", "Sign the note", "Sign the note (Ctrl+Enter)")
        self.sign_button.setMinimumHeight(38)
        self.sign_button.clicked.connect(self.sign)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.sign)
        QShortcut(QKeySequence("Ctrl+Enter"), self, activated=self.sign)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save_now)
        QShortcut(QKeySequence("Ctrl+W"), self, activated=self.close)
        self.pdf_button = QPushButton("Save PDF… (Ctrl+P)")
        named(self.pdf_button, "savePdf", "Save the visit note as a PDF", "Save the visit note as a PDF (Ctrl+P)")
        self.pdf_button.setMinimumHeight(38)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.open_pdf_button = QPushButton("Open PDF")  # Ctrl+Shift+P is kept for the privacy key (SPEC §4)
        named(self.open_pdf_button, "openPdf", "Open the visit note as a PDF", "Open the note in the PDF viewer")
        self.open_pdf_button.setMinimumHeight(38)
        self.open_pdf_button.clicked.connect(self.open_pdf)
        QShortcut(QKeySequence("Ctrl+P"), self, activated=self.save_pdf)
        self.save_button = QPushButton("Save now (Ctrl+S)")
        named(
            self.save_button,
            "saveButton",
            "Save the draft now",
            "Drafts save by themselves; this saves at once (Ctrl+S)",
        )
        self.save_button.setMinimumHeight(38)
        self.save_button.clicked.connect(self.save_now)
        # Window-wide shortcuts, whichever field has the focus (a button's own shortcut is not,
        # when the button is scrolled out of the view).
        QShortcut(QKeySequence("Alt+A"), self, activated=self.add_site_button.click)
        QShortcut(QKeySequence("Alt+O"), self, activated=self.count_out.click)
        QShortcut(QKeySequence("Alt+D"), self, activated=self.sharps.toggle)
        QShortcut(QKeySequence("Alt+E"), self, activated=self.end_set.toggle)
        QShortcut(QKeySequence("Alt+Up"), self, activated=lambda: self._move_focused(-1))
        QShortcut(QKeySequence("Alt+Down"), self, activated=lambda: self._move_focused(+1))
        self.sharps.setToolTip("Confirm the needles went into the sharps container (Alt+D)")
        self.end_set.setToolTip("Tick when the needles are out and the visit is over (Alt+E)")
        bottom.addWidget(self.save_state, 1)
        bottom.addWidget(self.pdf_button)
        bottom.addWidget(self.open_pdf_button)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.sign_button)
        outer.addLayout(bottom)

        for widget in (self.start, self.end):
            widget.dateTimeChanged.connect(self._changed)
        self.end_set.toggled.connect(self._end_toggled)
        for signal in (
            self.end_set.toggled,
            self.condition.currentIndexChanged,
            self.technique.currentIndexChanged,
            self.estim.toggled,
            self.removed.valueChanged,
            self.sharps.toggled,
            self.pain_before.valueChanged,
            self.pain_after.valueChanged,
            self.soreness.currentIndexChanged,
            self.reaction_other.textChanged,
            self.adverse_text.textChanged,
            self.notes.textChanged,
        ):
            signal.connect(self._changed)
        for check in (*self.acks.values(), *self.reaction_checks.values(), *self.adverse_checks.values()):
            check.toggled.connect(self._changed)
        for check in self.aftercare_checks.values():
            check.toggled.connect(self._changed)
        self.resize(1280, 760)

    def _build_chart(self) -> QGroupBox:
        """The body chart, the lung-field caution, the keyboard path and the muscle quick-picks."""
        box = QGroupBox("Body chart")
        layout = QVBoxLayout(box)
        self.chart = BodyChart(self.figure)
        self.chart.setMinimumSize(260, 300)
        self.chart.placed.connect(self.place_marker)
        self.chart.moved.connect(self.move_marker)
        self.chart.deleted.connect(self.delete_marker)
        self.chart.selected.connect(lambda site, _point: self.select_site(site))
        layout.addWidget(self.chart)
        self.chart_message = QLabel("")
        self.chart_message.setWordWrap(True)
        named(self.chart_message, "chartMessage", "Body chart message")
        self.chart_message.hide()
        layout.addWidget(self.chart_message)
        self.lung_caution = QLabel("")
        self.lung_caution.setWordWrap(True)
        self.lung_caution.setStyleSheet(CAUTION_STYLE)
        named(self.lung_caution, "lungCaution", "Lung-field caution")
        self.lung_caution.hide()
        layout.addWidget(self.lung_caution)
        self.surgery_caution = QLabel("")
        self.surgery_caution.setWordWrap(True)
        self.surgery_caution.setStyleSheet(CAUTION_STYLE)
        named(self.surgery_caution, "surgeryCaution", "Recent surgery caution")
        self.surgery_caution.hide()
        layout.addWidget(self.surgery_caution)

        # the keyboard path: a region and a side from lists, the marker at the region's middle
        keys = QHBoxLayout()
        self.place_region = CodeCombo(list(BodyRegion), "region…")
        named(self.place_region, "placeRegion", "Region to place", "Region for a marker placed from the keyboard")
        self.place_side = CodeCombo(list(Side), "side…")
        named(self.place_side, "placeSide", "Side to place", "Side for a marker placed from the keyboard")
        self.place_button = QPushButton("Place (Alt+M)")
        named(self.place_button, "placeMarker", "Place a marker", "Place a marker on the chosen region (Alt+M)")
        self.place_button.setMinimumHeight(30)
        self.place_button.clicked.connect(self.place_from_lists)
        QShortcut(QKeySequence("Alt+M"), self, activated=self.place_button.click)
        for combo, letters in ((self.place_region, 8), (self.place_side, 4)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(letters)
        keys.addWidget(self.place_region, 2)
        keys.addWidget(self.place_side, 1)
        keys.addWidget(self.place_button)
        layout.addLayout(keys)

        # The twitch of the selected site in one key, whatever field has the focus.
        twitch = QHBoxLayout()
        self.twitch_title = QLabel("Twitch:")
        twitch.addWidget(self.twitch_title)
        self.twitch_picks: dict[TwitchResponse, QPushButton] = {}
        for response, key in ((TwitchResponse.NONE, "N"), (TwitchResponse.WEAK, "W"), (TwitchResponse.STRONG, "S")):
            button = QPushButton(response.label)
            named(
                button,
                f"twitch_{response.value}",
                f"Twitch {response.label.lower()}",
                f"The selected site's twitch response: {response.label.lower()} (Alt+{key})",
            )
            button.setMinimumHeight(30)
            button.clicked.connect(lambda _=False, r=response: self.mark_twitch(r))
            QShortcut(QKeySequence(f"Alt+{key}"), self, activated=button.click)
            twitch.addWidget(button)
            self.twitch_picks[response] = button
        layout.addLayout(twitch)
        self.picks_title = QLabel("Muscle quick-picks (Ctrl+1 to Ctrl+6)")
        named(self.picks_title, "quickPicksTitle", "Muscle quick-picks")
        layout.addWidget(self.picks_title)
        picks = QGridLayout()
        self.quick_picks: list[QPushButton] = []
        for i in range(QUICK_PICKS):
            button = QPushButton("")
            named(button, f"quickMuscle{i + 1}", f"Quick-pick muscle {i + 1}")
            button.setMinimumHeight(30)
            button.clicked.connect(lambda _=False, i=i: self.pick_muscle(i))
            QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda i=i: self.pick_muscle(i))
            button.hide()
            picks.addWidget(button, i // 2, i % 2)
            self.quick_picks.append(button)
        layout.addLayout(picks)
        layout.addStretch(1)
        box.setFixedWidth(CHART_WIDTH[0])
        return box

    def _build_amendments(self) -> QGroupBox:
        """Under a signed note: its amendments, and a new one (author, time, reason, text)."""
        box = QGroupBox("Amendments")
        box.setObjectName("amendmentsBox")
        layout = QVBoxLayout(box)
        self.amendment_list = QLabel("")
        self.amendment_list.setWordWrap(True)
        self.amendment_list.setTextFormat(Qt.TextFormat.RichText)
        named(self.amendment_list, "amendmentList", "Amendments")
        layout.addWidget(self.amendment_list)
        form = QFormLayout()
        self.amend_reason = QLineEdit()
        self.amend_reason.setPlaceholderText("why the note is corrected")
        named(self.amend_reason, "amendReason", "Reason for the amendment")
        self.amend_text = QPlainTextEdit()
        self.amend_text.setTabChangesFocus(True)
        self.amend_text.setMaximumHeight(90)
        named(self.amend_text, "amendText", "Amendment")
        form.addRow("Reason", self.amend_reason)
        form.addRow("Amendment", self.amend_text)
        layout.addLayout(form)
        self.amend_button = QPushButton("Add amendment (Ctrl+M)")
        named(self.amend_button, "addAmendment", "Add the amendment", "Append the amendment to the signed note")
        self.amend_button.clicked.connect(self.amend)
        QShortcut(QKeySequence("Ctrl+M"), self, activated=self.amend_button.click)
        self.amend_message = QLabel("")
        self.amend_message.setWordWrap(True)
        self.amend_message.setStyleSheet(ERROR_STYLE)
        named(self.amend_message, "amendMessage", "Amendment problems")
        layout.addWidget(self.amend_message)
        layout.addWidget(self.amend_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.amendments_box = box
        box.hide()
        return box

    def _show_amendments(self) -> None:
        signed = self.session.is_signed
        self.amendments_box.setVisible(signed)
        if not signed:
            return
        try:
            amendments = self.services.sessions.amendments(self.session.id or 0)
        except NeedlelogError as exc:
            self.amendment_list.setText(html(str(exc)))
            return
        self.amendment_list.setText(
            "<br>".join(
                f"<b>{local_time(a.written_at)} · {html(a.author)}</b> — reason: {html(a.reason)}<br>"
                + html(a.text).replace("\n", "<br>")
                for a in amendments
            )
            or "No amendment. The note above stays exactly as signed; a correction is appended here."
        )

    def amend(self) -> bool:
        """Append the amendment typed below a signed note; the note itself never changes."""
        if not self.session.is_signed:
            return False
        try:
            self.services.sessions.amend(self.session.id or 0, self.amend_reason.text(), self.amend_text.toPlainText())
        except ValidationError as exc:
            self.amend_message.setText(" ".join(p.message for p in exc.problems))
            return False
        except NeedlelogError as exc:
            self.amend_message.setText(str(exc))
            return False
        self.amend_message.clear()
        self.amend_reason.clear()
        self.amend_text.clear()
        self._show_amendments()
        self.save_state.setText("Amendment added under the signed note.")
        return True

    def set_private(self, private: bool) -> None:
        """The privacy key: the patient's name hidden at once (initials and chart number stay)."""
        self.private = private
        self._show_names()

    def _shown_name(self) -> str:
        patient = self.patient
        return initials(patient.given_name, patient.family_name) if self.private else patient.full_name

    def _show_names(self) -> None:
        patient = self.patient
        name = self._shown_name()
        self.setWindowTitle(f"Session — {name} ({patient.chart_number})")
        self.banner.setText(
            f"<b>{html(name)}</b> · chart {html(patient.chart_number)} · "
            + ("" if self.private else f"born {patient.date_of_birth.isoformat()} · ")
            + f"{'reading' if self.view_only else 'charting'} as {html(self.clinician.display_name)}"
        )

    def _end_toggled(self, ended: bool) -> None:
        """Ticking "ended" stamps the end with the time it is now (the needles have just come out)."""
        self.end.setEnabled(ended)
        if ended and not self._loading:
            start = _instant(self.start.dateTime())
            now = self.clock().replace(second=0, microsecond=0)
            self.end.setDateTime(_qt_time(max(now, start + timedelta(minutes=1))))

    # --- sites ---------------------------------------------------------------------------
    def add_site(self, site: NeedlingSite | None = None, focus: bool = False) -> SiteRow:
        row = SiteRow(len(self.rows), self._default_dwell, self._changed)
        today = local_date(self.clock())
        usable = sorted(lot.lot for lot in self.lots.values() if not lot.expired_on(today))
        if usable:
            completer = QCompleter(usable, row.lot)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            row.lot.setCompleter(completer)
        if site is not None:
            row.show_site(site)
        row.remove.clicked.connect(lambda: self.remove_site(self.rows.index(row)))
        row.up.clicked.connect(lambda: self.move_site(self.rows.index(row), -1))
        row.down.clicked.connect(lambda: self.move_site(self.rows.index(row), +1))
        row.timer.clicked.connect(lambda: self.toggle_timer(self.rows.index(row)))
        for widget in row.widgets():
            widget.installEventFilter(self)
        row.region.currentIndexChanged.connect(self._show_quick_picks)
        self.rows.append(row)
        self._place_rows()
        row.show_timer(self.clock())
        if focus:
            row.region.setFocus(Qt.FocusReason.OtherFocusReason)
        self._changed()
        if not self._loading:
            self.select_site(len(self.rows) - 1)
        return row

    def remove_site(self, index: int) -> None:
        row = self.rows[index]
        if row.timer_started is not None and row.timer_stopped is None:
            self._chart_says(f"Site {index + 1}: stop its dwell timer first — its needles are still in.")
            row.timer.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        sites = [r.site() for r in self.rows]
        del sites[index]
        self._rebuild_sites(sites, focus=min(index, len(sites) - 1))

    def move_site(self, index: int, step: int) -> None:
        """Reorder: the site's number follows its place in the list."""
        target = index + step
        if not 0 <= target < len(self.rows):
            return
        sites = [r.site() for r in self.rows]
        sites[index], sites[target] = sites[target], sites[index]
        self._rebuild_sites(sites, focus=target)

    def _rebuild_sites(self, sites: list[NeedlingSite], focus: int | None = None) -> None:
        # Rows are rebuilt from their values so that names ("Site 2 dwell time") follow the position.
        for row in self.rows:
            for widget in (*row.widgets(), row.error):
                self.sites_grid.removeWidget(widget)
                widget.deleteLater()
        self.rows = []
        loading, self._loading = self._loading, True
        try:
            for site in sites:
                self.add_site(site)
        finally:
            self._loading = loading
        if focus is not None and 0 <= focus < len(self.rows):
            self.rows[focus].region.setFocus(Qt.FocusReason.OtherFocusReason)
        self._changed()

    def focused_site(self) -> int | None:
        focus = self.focusWidget()
        for i, row in enumerate(self.rows):
            if focus in row.widgets():
                return i
        return None

    def _move_focused(self, step: int) -> None:
        index = self.focused_site()
        if index is not None:
            self.move_site(index, step)

    def _update_tab_order(self) -> None:
        """Tab walks the form in reading order, through each site row from left to right."""
        chain: list[QWidget] = [self.start, self.end_set, self.end, self.condition, self.technique, self.estim]
        chain += list(self.acks.values())
        for row in self.rows:
            chain += row.widgets()[1:]
        chain += [self.add_site_button, self.removed, self.count_out, self.sharps, self.pain_before, self.pain_after]
        chain += [self.soreness, *self.reaction_checks.values(), self.reaction_other]
        chain += [*self.adverse_checks.values(), self.adverse_text, *self.aftercare_checks.values(), self.notes]
        chain += [self.save_button, self.sign_button]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _place_rows(self) -> None:
        for i, row in enumerate(self.rows):
            for column, widget in enumerate(row.widgets()):
                self.sites_grid.addWidget(widget, 1 + 2 * i, column)
                # Shown now, not on the layout's next pass, so the new row can take the focus at once.
                widget.setVisible(True)
            self.sites_grid.addWidget(row.error, 2 + 2 * i, 1, 1, 12)
        self._update_tab_order()

    # --- the body chart ------------------------------------------------------------------
    def place_marker(self, view: FigureView, x: float, y: float, add: bool = False) -> SiteRow | None:
        """A tap on the figure: a new site with the region and side under it, and its marker.

        The marker goes to the selected site instead when that site has no marker yet (it was
        added from the table) or when Shift is held (a second trigger point of the same site).
        """
        hit = self.figure.region_at(view, x, y)
        if hit is None:
            self._chart_says("No body region there: tap on the figure, or choose the region from the lists below.")
            return None
        region, side = hit
        return self._place(region, side, (TriggerPoint(view, round(x, 4), round(y, 4)),), add)

    def place_from_lists(self) -> SiteRow | None:
        """The keyboard path: the region and side chosen from lists, the marker at the region's middle."""
        region, side = self.place_region.code(), self.place_side.code()
        if not isinstance(region, BodyRegion) or not isinstance(side, Side):
            self._chart_says("Choose a region and a side, then Place.")
            (self.place_region if region is None else self.place_side).setFocus()
            return None
        row = self._place(region, side, anchor_points(region, side, self.figure))
        if row is not None:
            row.needles.setFocus(Qt.FocusReason.OtherFocusReason)
        return row

    def _place(
        self, region: BodyRegion, side: Side, points: tuple[TriggerPoint, ...], add: bool = False
    ) -> SiteRow | None:
        if self.session.is_signed:
            return None
        if not self._confirm_surgery(region):
            self._chart_says("Site not added.")
            return None
        self._chart_says("")
        target = self._placement_target(region, add)
        if target is None:
            row = self.add_site(
                NeedlingSite(region=region, side=side, dwell_minutes=self._default_dwell, trigger_points=points)
            )
        else:
            row = self.rows[target]
            row.trigger_points = row.trigger_points + points
            if row.region.code() is None:
                row.region.set_code(region)
            if row.side.code() is None:
                row.side.set_code(side)
            self._changed()
        index = self.rows.index(row)
        self.select_site(index, point=len(row.trigger_points) - 1)
        row.needles.setFocus(Qt.FocusReason.OtherFocusReason)
        return row

    def _placement_target(self, region: BodyRegion, add: bool) -> int | None:
        index = self.selected_site
        if index is None or index >= len(self.rows):
            return None
        row = self.rows[index]
        if add:
            return index
        if not row.trigger_points and row.region.code() in (None, region):
            return index
        return None

    def _confirm_surgery(self, region: BodyRegion) -> bool:
        screening = self.patient.screening
        if Precaution.RECENT_SURGERY not in screening.positive or screening.surgery_region is not region:
            return True
        return confirm_recent_surgery(
            self,
            f"{self._shown_name()} had recent surgery in the {region.label.lower()} region "
            "(screening). Add a needling site there?",
        )

    def move_marker(self, site: int, point: int, moved: TriggerPoint) -> None:
        """A marker dragged (or moved with the arrow keys); a site with one marker follows it to its region."""
        if self.session.is_signed or site >= len(self.rows):
            return
        row = self.rows[site]
        points = list(row.trigger_points)
        points[point] = moved
        row.trigger_points = tuple(points)
        hit = self.figure.region_at(moved.view, moved.x, moved.y)
        if hit is not None and len(points) == 1:
            row.region.set_code(hit[0])
            row.side.set_code(hit[1])
        self.chart.selection = (site, point)
        self._changed()

    def delete_marker(self, site: int, point: int) -> None:
        if self.session.is_signed or site >= len(self.rows):
            return
        row = self.rows[site]
        row.trigger_points = row.trigger_points[:point] + row.trigger_points[point + 1 :]
        self._chart_says(f"Marker removed from site {site + 1}; the site itself stays (remove it with ✕).")
        self._changed()

    def select_site(self, index: int | None, point: int | None = None) -> None:
        """The site the chart highlights, the quick-picks serve and a Shift+tap adds to."""
        if index is not None and not 0 <= index < len(self.rows):
            index = None
        self.selected_site = index
        for i, row in enumerate(self.rows):
            row.number.setStyleSheet("background: #f6c48f; font-weight: bold;" if i == index else "")
        self.chart.set_markers([r.trigger_points for r in self.rows])
        self.chart.select(index, point)
        self._show_quick_picks()

    def _show_quick_picks(self) -> None:
        row = self.rows[self.selected_site] if self.selected_site is not None else None
        region = row.region.code() if row is not None else None
        muscles = list(MUSCLES[region]) if isinstance(region, BodyRegion) else []
        read_only = self.session.is_signed or self.view_only
        self.picks_title.setVisible(bool(muscles) and not read_only)
        for widget in (self.twitch_title, *self.twitch_picks.values()):
            widget.setVisible(row is not None and not read_only)
        for i, button in enumerate(self.quick_picks):
            if i < len(muscles) and not read_only:
                button.setText(muscles[i])
                button.setToolTip(f"Site {(self.selected_site or 0) + 1}: {muscles[i]} (Ctrl+{i + 1})")
                button.show()
            else:
                button.hide()

    def mark_twitch(self, response: TwitchResponse) -> None:
        """The selected site's twitch response, in one click or key (Alt+N, Alt+W, Alt+S)."""
        if self.selected_site is None or self.session.is_signed or self.view_only:
            return
        self.rows[self.selected_site].twitch.set_code(response)

    def pick_muscle(self, index: int) -> None:
        """A quick-pick: the muscle of the selected site, then on to its needle count."""
        if self.selected_site is None or self.session.is_signed:
            return
        row = self.rows[self.selected_site]
        region = row.region.code()
        muscles = MUSCLES[region] if isinstance(region, BodyRegion) else ()
        if index < len(muscles):
            row.muscle.setCurrentText(muscles[index])
            row.needles.setFocus(Qt.FocusReason.OtherFocusReason)
            row.needles.selectAll()

    def _chart_says(self, text: str) -> None:
        self.chart_message.setText(text)
        self.chart_message.setVisible(bool(text))

    def _show_cautions(self, content: TreatmentSession) -> None:
        """The lung-field caution (and its aftercare ticked once), and recent surgery, as sites change."""
        lung = frozenset(i for i, site in enumerate(content.sites) if lung_field_site(site, self.figure))
        if lung:
            numbers = ", ".join(str(i + 1) for i in sorted(lung))
            self.lung_caution.setText(
                f"⚠ Lung field — site {numbers}: a needle here can reach the lung (pneumothorax risk). "
                "Aftercare: seek care at once for shortness of breath or chest pain."
            )
        self.lung_caution.setVisible(bool(lung))
        new = lung - self._lung_sites
        self._lung_sites = lung
        if new and not self._loading and not content.is_signed:
            # A new lung-field site ticks the breathing aftercare; unticking it is the clinician's call
            # (and signing will ask for it back).
            self.aftercare_checks[Aftercare.SEEK_CARE_BREATHING].setChecked(True)
        surgery = self.patient.screening.surgery_region
        operated = [
            i + 1
            for i, site in enumerate(content.sites)
            if Precaution.RECENT_SURGERY in self.patient.screening.positive and site.region is surgery
        ]
        if operated and surgery is not None:
            numbers = ", ".join(map(str, operated))
            self.surgery_caution.setText(
                f"⚠ Recent surgery in the {surgery.label.lower()} region — site {numbers} is there."
            )
        self.surgery_caution.setVisible(bool(operated))

    # --- dwell timers --------------------------------------------------------------------
    def toggle_timer(self, index: int) -> None:
        row = self.rows[index]
        if row.timer_started is None:
            self.start_timer(index)
        elif row.timer_stopped is None:
            self.stop_timer(index)

    def start_timer(self, index: int) -> None:
        """The needles of this site are in: the timer starts now and is saved at once (it must survive a crash)."""
        if self.session.is_signed:
            return
        row = self.rows[index]
        row.timer_started = self.clock()
        row.timer_stopped = None
        self._changed()
        self.save_now()
        self.tick_timers()

    def stop_timer(self, index: int) -> None:
        """The needles are out: the site's dwell is the minutes the timer ran."""
        if self.session.is_signed:
            return
        row = self.rows[index]
        if row.timer_started is None or row.timer_stopped is not None:
            return
        now = self.clock()
        row.timer_stopped = now
        minutes = dwell_minutes(row.timer_started, now)
        recorded = timed_dwell(row.timer_started, now)
        if recorded is not None:
            row.dwell.set_number(recorded)
        else:
            row.dwell.set_number(None)
            self._chart_says(
                f"Site {index + 1}: the needles were in {clock_text(now - row.timer_started)} (about {minutes} min), "
                f"outside {DWELL_MIN}–{DWELL_MAX} minutes; "
                "the timer's times are kept — give the dwell time."
            )
        self._changed()
        self.save_now()
        self.tick_timers()

    def tick_timers(self) -> None:
        now = self.clock()
        running = False
        for row in self.rows:
            row.show_timer(now)
            row.timer.setEnabled(not self.session.is_signed and row.timer_stopped is None)
            running = running or (row.timer_started is not None and row.timer_stopped is None)
        if running and not self._timer_tick.isActive():
            self._timer_tick.start()
        elif not running:
            self._timer_tick.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A count box taking the focus has its number selected: the next digits replace it.
        if event.type() == QEvent.Type.FocusIn and watched in (self.removed, self.pain_before, self.pain_after):
            QTimer.singleShot(0, watched.selectAll)  # type: ignore[attr-defined]
        # A site row's field taking the focus makes that site the selected one (chart and quick-picks).
        if event.type() == QEvent.Type.FocusIn:
            for i, row in enumerate(self.rows):
                if watched in row.widgets():
                    if i != self.selected_site:
                        self.select_site(i)
                    break
        return super().eventFilter(watched, event)

    # --- reading and showing -------------------------------------------------------------
    def content(self) -> TreatmentSession:
        """The session exactly as it is on screen."""
        others = frozenset(r for r, c in self.reaction_checks.items() if c.isChecked())
        return replace(
            self.session,
            service_start=_instant(self.start.dateTime()),
            service_end=_instant(self.end.dateTime()) if self.end_set.isChecked() else None,
            condition=self.condition.code(),  # type: ignore[arg-type]
            technique=self.technique.code(),  # type: ignore[arg-type]
            electrical_stimulation=self.estim.isChecked(),
            sites=tuple(row.site() for row in self.rows),
            pain_before=self.pain_before.number(),
            pain_after=self.pain_after.number(),
            needles_removed=self.removed.value(),
            sharps_disposed=self.sharps.isChecked(),
            reactions=Reactions(self.soreness.code(), others, self.reaction_other.text()),  # type: ignore[arg-type]
            adverse_events=tuple(
                AdverseEvent(kind, self.adverse_text.text()) for kind, c in self.adverse_checks.items() if c.isChecked()
            ),
            aftercare=frozenset(a for a, c in self.aftercare_checks.items() if c.isChecked()),
            precautions_acknowledged=frozenset(p for p, c in self.acks.items() if c.isChecked()),
            notes=self.notes.toPlainText(),
        )

    def show_session(self, session: TreatmentSession) -> None:
        self._loading = True
        try:
            self.session = session
            self.start.setDateTime(_qt_time(session.service_start))
            self.end_set.setChecked(session.service_end is not None)
            self.end.setEnabled(session.service_end is not None)
            self.end.setDateTime(_qt_time(session.service_end or session.service_start))
            self.condition.set_code(session.condition)
            self.technique.set_code(session.technique)
            self.estim.setChecked(session.electrical_stimulation)
            for row in self.rows:
                for widget in (*row.widgets(), row.error):
                    self.sites_grid.removeWidget(widget)
                    widget.deleteLater()
            self.rows = []
            for site in session.sites:
                self.add_site(site)
            self.pain_before.set_number(session.pain_before)
            self.pain_after.set_number(session.pain_after)
            self.removed.setValue(session.needles_removed)
            self.sharps.setChecked(session.sharps_disposed)
            self.soreness.set_code(session.reactions.soreness)
            for reaction, check in self.reaction_checks.items():
                check.setChecked(reaction in session.reactions.others)
            self.reaction_other.setText(session.reactions.other_text)
            for kind, check in self.adverse_checks.items():
                check.setChecked(any(e.kind is kind for e in session.adverse_events))
            self.adverse_text.setText(session.adverse_events[0].description if session.adverse_events else "")
            for item, check in self.aftercare_checks.items():
                check.setChecked(item in session.aftercare)
            for precaution, check in self.acks.items():
                check.setChecked(precaution in session.precautions_acknowledged)
            if self.notes.toPlainText() != session.notes:
                self.notes.setPlainText(session.notes)
        finally:
            self._loading = False
        # What was charted is not new: loading never ticks the breathing aftercare by itself.
        self._lung_sites = frozenset(i for i, site in enumerate(session.sites) if lung_field_site(site, self.figure))
        self._refresh()
        self._set_read_only(session.is_signed or self.view_only)
        self.select_site(self.selected_site)
        self.tick_timers()
        self._show_amendments()
        if session.is_signed:
            self.save_state.setText(f"Signed {local_time(session.signed_at)} · fingerprint {session.fingerprint[:16]}…")

    def _set_read_only(self, read_only: bool) -> None:
        for widget in self.findChildren(QWidget):
            if isinstance(widget, QCheckBox | QComboBox | QSpinBox | QDateTimeEdit | QLineEdit):
                widget.setEnabled(not read_only)
        # A signed note takes amendments, and only amendments.
        may_amend = read_only and self.services.access.may(Action.AMEND)
        for widget in (self.amend_reason, self.amend_text, self.amend_button):
            widget.setEnabled(may_amend)
        self.notes.setReadOnly(read_only)
        for row in self.rows:
            row.set_read_only(read_only)
        for button in (self.add_site_button, self.count_out, self.sign_button, self.save_button, self.place_button):
            button.setEnabled(not read_only)
        self.chart.set_read_only(read_only)
        self._show_quick_picks()
        if read_only:
            self.save_button.setToolTip("A signed note never changes; correct it with an amendment.")
        if not read_only:
            self.end.setEnabled(self.end_set.isChecked())
        self.sign_button.setToolTip(
            "This note is signed; correct it with an amendment." if read_only else "Sign the note (Ctrl+Enter)"
        )

    # --- change, check, save -------------------------------------------------------------
    def _changed(self, *_: object) -> None:
        if self._loading or self.session.is_signed or self.view_only:
            return
        self._dirty = True
        self._close_refused = False
        self._refresh()
        self.save_state.setText("Changes not yet saved…")
        self.save_button.setEnabled(True)
        self.save_button.setToolTip("Drafts save by themselves; this saves at once (Ctrl+S)")
        if not self._conflict:
            self._autosave.start()

    def _refresh(self) -> None:
        """Show every value problem beside its field, and the ledger, as the user types."""
        content = self.content()
        self.chart.set_markers([site.trigger_points for site in content.sites])
        self._show_cautions(content)
        problems = value_problems(content, self.clock())
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem.message)
        service_day = local_date(content.service_start)
        for i, site in enumerate(content.sites):
            lot = self.lots.get(site.needle_lot.strip())
            if lot is not None and lot.expired_on(service_day):
                by_field.setdefault(f"sites[{i}].needle_lot", []).append(
                    f"Site {i + 1}: needle lot {lot.lot} expired on {lot.expiry.isoformat()}; choose another lot."
                )
        for i, row in enumerate(self.rows):
            messages = [m for f, ms in by_field.items() if f.startswith(f"sites[{i}].") for m in ms]
            row.error.setText(" ".join(messages))
            row.error.setVisible(bool(messages))
        for label, fields in (
            (self.sites_error, ("sites",)),
            (self.pain_error, ("pain_before", "pain_after")),
            (self.visit_error, ("service_start", "service_end")),
        ):
            text = " ".join(m for f in fields for m in by_field.get(f, []))
            label.setText(text)
            label.setVisible(bool(text))
        if not content.is_signed:
            blockers = sign_problems(content, self.patient, self.clinician, self.clock(), self._consent_months)
            self.sign_button.setToolTip(
                "Not ready to sign:\n" + "\n".join(p.message for p in blockers)
                if blockers
                else "Everything is complete: sign the note (Ctrl+Enter)"
            )
        ledger = NeedleLedger.of(content)
        self.inserted.setText(str(ledger.inserted))
        if ledger.reconciled:
            self.ledger_status.setText("✔ All needles counted out and disposed.")
            self.ledger_status.setStyleSheet(OK_STYLE)
        else:
            parts = [p.message.removeprefix("Needle ledger: ") for p in ledger.problems()]
            words = " ".join(part[:1].upper() + part[1:] for part in parts) or "No needles yet."
            self.ledger_status.setText(f"✖ {words}")
            self.ledger_status.setStyleSheet(ERROR_STYLE + " font-weight: bold;" if ledger.outstanding else ERROR_STYLE)

    def savable(self) -> TreatmentSession:
        """What autosave writes: the screen, with any value the rules refuse left empty."""
        content = self.content()
        problems = value_problems(content, self.clock())
        if not problems:
            return content
        sites = list(content.sites)
        changes: dict[str, object] = {}
        for problem in problems:
            if problem.field.startswith("sites[") and "]." in problem.field:
                index = int(problem.field[6 : problem.field.index("]")])
                name = problem.field.split(".", 1)[1]
                site = sites[index]
                if name in ("needles", "dwell_minutes"):
                    sites[index] = replace(site, **{name: None})
                elif name in ("muscle", "needle_size", "needle_lot"):
                    sites[index] = replace(site, **{name: getattr(site, name)[:TEXT_FIELD_MAX]})
                elif name == "timer":
                    sites[index] = replace(site, timer_stopped=None)
                elif name.startswith("trigger_points"):
                    inside = tuple(p for p in site.trigger_points if 0 <= p.x <= 1 and 0 <= p.y <= 1)
                    sites[index] = replace(site, trigger_points=inside)
            elif problem.field in ("pain_before", "pain_after"):
                changes[problem.field] = None
            elif problem.field == "service_end":
                changes["service_end"] = None
            elif problem.field == "service_start":
                changes["service_start"] = self.session.service_start  # the last start that was accepted
                if content.service_end is not None and content.service_end <= self.session.service_start:
                    changes["service_end"] = None
            elif problem.field == "notes":
                changes["notes"] = content.notes[:TEXT_MAX]
            elif problem.field == "reactions.other_text":
                changes["reactions"] = replace(content.reactions, other_text=content.reactions.other_text[:TEXT_MAX])
        if any(p.field == "sites" for p in problems):
            sites = [replace(s, needles=None) for s in sites]
        return replace(content, sites=tuple(sites), **changes)  # type: ignore[arg-type]

    def save_now(self) -> bool:
        """Save the draft now; True when what is stored matches the screen (or it is signed)."""
        self._autosave.stop()
        if self.view_only:
            return True
        if self.session.is_signed or self._conflict:
            return self.session.is_signed
        if not self._dirty:
            return True
        try:
            stored = self.services.sessions.save_draft(self.savable())
        except ConflictError as exc:
            self._enter_conflict(str(exc))
            return False
        except ValidationError as exc:
            self.save_state.setText(f"Not saved: {exc}")
            return False
        except NeedlelogError as exc:
            self.save_state.setText(f"Not saved: {exc}")
            return False
        self.session = replace(self.session, version=stored.version, service_start=stored.service_start)
        self._dirty = False
        self.save_state.setText(f"Draft saved {self.clock().astimezone().strftime('%H:%M:%S')}")
        self.save_button.setEnabled(False)
        self.save_button.setToolTip("Nothing to save: every change is saved.")
        self.saved.emit(stored)
        return True

    def _enter_conflict(self, message: str) -> None:
        self._conflict = True
        self.conflict_text.setText(message)
        self.conflict_bar.show()
        self.save_state.setText("Not saved: this draft was changed elsewhere. Your text is kept here.")

    def save_mine_over_theirs(self) -> None:
        theirs = self.services.sessions.get(self.session.id or 0)
        if theirs.is_signed:
            self.conflict_text.setText("It was signed elsewhere; copy your text into an amendment.")
            return
        self.session = replace(self.session, version=theirs.version)
        self._conflict = False
        self.conflict_bar.hide()
        self.save_now()

    def load_theirs(self) -> None:
        theirs = self.services.sessions.get(self.session.id or 0)
        self._conflict = False
        self.conflict_bar.hide()
        self.show_session(theirs)
        self._dirty = False
        self.save_state.setText("Loaded the version saved elsewhere.")

    # --- signing -------------------------------------------------------------------------
    def sign(self) -> None:
        if self.session.is_signed:
            return
        content = self.content()
        problems = self.services.sessions.sign_problems(content, self.clinician.id or 0)
        if problems:
            self._show_problems(problems)
            self.save_now()
            return
        try:
            signed = self.services.sessions.sign(content, self.clinician.id or 0)
        except ValidationError as exc:
            self._show_problems(list(exc.problems))
            return
        except ConflictError as exc:
            self._enter_conflict(str(exc))
            return
        self.problems.hide()
        self.show_session(signed)
        self.signed.emit(signed)

    def _show_problems(self, problems: list[FieldProblem]) -> None:
        self.problems.clear()
        for problem in problems:
            item = QListWidgetItem(f"• {problem.message}")
            item.setData(Qt.ItemDataRole.UserRole, problem.field)
            self.problems.addItem(item)
        self.problems.show()
        self.sign_button.setToolTip("Not signed yet:\n" + "\n".join(p.message for p in problems))

    def widget_for(self, field: str) -> QWidget | None:
        """The field a problem names, so the user can be taken to it."""
        if field.startswith("sites[") and "]." in field:
            index = int(field[6 : field.index("]")])
            name = field.split(".", 1)[1]
            if index < len(self.rows):
                row = self.rows[index]
                return {
                    "region": row.region,
                    "side": row.side,
                    "needles": row.needles,
                    "dwell_minutes": row.dwell,
                    "twitch": row.twitch,
                    "muscle": row.muscle,
                    "needle_lot": row.lot,
                    "timer": row.timer,
                }.get(name, row.region)
        if field.startswith("precautions."):
            code = field.split(".", 1)[1]
            return self.acks.get(Precaution(code))
        if field.startswith("aftercare."):
            return self.aftercare_checks.get(Aftercare(field.split(".", 1)[1]))
        return {
            "condition": self.condition,
            "service_end": self.end_set if not self.end_set.isChecked() else self.end,
            "service_start": self.start,
            "sites": self.add_site_button,
            "needles_removed": self.removed,
            "sharps_disposed": self.sharps,
            "pain_before": self.pain_before,
            "pain_after": self.pain_after,
            "notes": self.notes,
        }.get(field)

    def _go_to_problem(self, item: QListWidgetItem) -> None:
        widget = self.widget_for(str(item.data(Qt.ItemDataRole.UserRole)))
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- the printed note ----------------------------------------------------------------
    def save_pdf(self) -> Path | None:
        """Save the draft, then write its visit note where the user chooses (a draft prints DRAFT)."""
        self.save_now()
        suggested = self.services.exports.note_filename(self.session.id or 0)
        target = ask_pdf_path(self, str(Path.home() / suggested))
        if not target:
            return None
        return self._write_pdf(Path(target))

    def open_pdf(self) -> Path | None:
        """Write the note to the data folder's print area and show it in the system's PDF viewer."""
        self.save_now()
        folder = self.print_folder
        folder.mkdir(parents=True, exist_ok=True)
        written = self._write_pdf(folder / self.services.exports.note_filename(self.session.id or 0))
        if written is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(written)))
        return written

    def _write_pdf(self, target: Path) -> Path | None:
        try:
            written = self.services.exports.export_note(self.session.id or 0, target)
        except NeedlelogError as exc:
            self.save_state.setText(f"PDF not written: {exc}")
            return None
        self.save_state.setText(f"PDF written: {written}")
        return written

    # --- closing -------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        """The chart takes a fifth of the width, within bounds: the sites need the rest on a small screen."""
        low, high = CHART_WIDTH
        width = min(max(int(event.size().width() * 0.22), low), high)
        if self.chart_box.width() != width:
            self.chart_box.setFixedWidth(width)
        super().resizeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        # No "save?" prompt: the draft is saved as it stands. If it cannot be saved the window
        # stays open with the reason shown (a second close then goes, the user having been told);
        # a conflict always keeps it open, since closing would lose the text still to be merged.
        if not self.try_to_close():
            event.ignore()
            return
        self.closed.emit(self.session.id or 0)
        super().closeEvent(event)

    def try_to_close(self) -> bool:
        """Save before closing; False (and the reason on screen) when closing now would lose text."""
        if self.session.is_signed or self.save_now():
            return True
        if self._conflict:
            return False
        if self._close_refused:
            return True
        self._close_refused = True
        self.save_state.setText(f"{self.save_state.text()} — not closed, so nothing is lost; close again to discard.")
        return False


Term = TypeVar("Term", bound=Coded)


def _check_boxes(
    terms: list[Term], prefix: str, layout: QGridLayout, first_row: int = 0, columns: int = 2
) -> dict[Term, QCheckBox]:
    """A tick box per term of a controlled list, named for tests and screen readers, laid out in columns."""
    boxes: dict[Term, QCheckBox] = {}
    for i, term in enumerate(terms):
        box = QCheckBox(term.label)
        named(box, f"{prefix}_{term.value}", term.label)
        layout.addWidget(box, first_row + i // columns, i % columns)
        boxes[term] = box
    return boxes


def confirm_recent_surgery(parent: QWidget, question: str) -> bool:
    """Ask before a site goes where the patient was recently operated on (a function so tests can answer)."""
    answer = QMessageBox.warning(
        parent,
        "Recent surgery",
        question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def ask_pdf_path(parent: QWidget, suggested: str) -> str:
    """Where to save a PDF (a function of its own so tests can answer it without a dialog)."""
    path, _ = QFileDialog.getSaveFileName(parent, "Save visit note", suggested, "PDF (*.pdf)")
    return path


def _qt_time(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def _instant(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)
