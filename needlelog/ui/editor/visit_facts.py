"""The visit facts: when the visit ran, the condition and technique, pain before and after, post-session
reactions, adverse events, aftercare given and the notes. (The precautions acknowledged are the safety panel's,
at the top of the editor: :mod:`needlelog.ui.editor.safety_panel`.)

These are several boxes the editor lays out around the sites (visit and pain above them,
reactions, adverse events, aftercare and notes below); one class owns them, reads them and shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.model import AdverseEvent, Patient, Reactions, TreatmentSession
from needlelog.domain.vocab import AdverseEventKind, Aftercare, Condition, Precaution, Reaction, Soreness, Technique
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.fields import (
    CodeCombo,
    OptionalSpin,
    SelectAllOnFocus,
    check_boxes,
    instant,
    problem_label,
    qt_time,
    set_inputs_enabled,
)

ESTIM_REFUSED = "Electrical stimulation refused: the patient has an implanted electrical device (screening)."


class VisitFacts(QObject):
    """Every fact of the visit that is not a site or the needle ledger."""

    changed = Signal()

    def __init__(self, patient: Patient, clock: Callable[[], datetime], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self._loading = False
        self._estim_refused = False
        self._end_by_timers = False  # the end was stamped by the last timer's stop, not by hand
        self._select_all = SelectAllOnFocus(self)
        # An implanted electrical device (screening) refuses electrical stimulation: the box cannot be ticked.
        self.no_estim = Precaution.IMPLANTED_DEVICE in patient.screening.positive
        self.visit_box = self._build_visit()
        self.pain_box = self._build_pain()
        self.reactions_box = self._build_reactions()
        self.adverse_box = self._build_adverse()
        self.aftercare_box = QGroupBox("Aftercare given")
        self.aftercare_checks = check_boxes(list(Aftercare), "aftercare", QGridLayout(self.aftercare_box), columns=1)
        self.notes_box = QGroupBox("Notes")
        notes_layout = QVBoxLayout(self.notes_box)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setMinimumHeight(90)
        named(self.notes, "notes", "Notes")
        notes_layout.addWidget(self.notes)
        self._connect_changes()

    # --- building ------------------------------------------------------------------------
    def _build_visit(self) -> QGroupBox:
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
        named(self.end_set, "serviceEnded", "Service has ended")
        self.end_set.setToolTip("Tick when the needles are out and the visit is over (Alt+E)")
        end_row = QHBoxLayout()
        end_row.addWidget(self.end, 1)
        end_row.addWidget(self.end_set)
        self.condition = CodeCombo(list(Condition))
        named(self.condition, "condition", "Condition treated")
        self.technique = CodeCombo(list(Technique))
        named(self.technique, "technique", "Technique")
        self.estim = QCheckBox("with electrical stimulation")
        named(self.estim, "electricalStimulation", "With electrical stimulation")
        if self.no_estim:
            self.estim.setText("with electrical stimulation — not with an implanted electrical device")
            self.estim.setToolTip("Screening: implanted electrical device. Electrical stimulation is refused.")
            self.estim.toggled.connect(self._refuse_estim)
        form.addRow("Service start", self.start)
        form.addRow("Service end", end_row)
        form.addRow("Condition", self.condition)
        form.addRow("Technique", self.technique)
        form.addRow("", self.estim)
        self.visit_error = problem_label("visitError", "Visit problems")
        form.addRow(self.visit_error)
        return visit

    def _build_pain(self) -> QGroupBox:
        pain = QGroupBox("Pain (0-10)")
        layout = QFormLayout(pain)
        self.pain_before = OptionalSpin(0, 10)
        named(self.pain_before, "painBefore", "Pain before treatment")
        self.pain_after = OptionalSpin(0, 10)
        self._select_all.watch(self.pain_before, self.pain_after)
        named(self.pain_after, "painAfter", "Pain after treatment")
        self.pain_error = problem_label("painError", "Pain problems")
        layout.addRow("Before", self.pain_before)
        layout.addRow("After", self.pain_after)
        layout.addRow(self.pain_error)
        return pain

    def _build_reactions(self) -> QGroupBox:
        reactions = QGroupBox("Post-session reactions")
        layout = QGridLayout(reactions)
        self.soreness = CodeCombo(list(Soreness))
        named(self.soreness, "soreness", "Muscle soreness")
        layout.addWidget(QLabel("Soreness"), 0, 0)
        layout.addWidget(self.soreness, 0, 1)
        self.reaction_checks = check_boxes(list(Reaction), "reaction", layout, first_row=1)
        self.reaction_other = QLineEdit()
        self.reaction_other.setPlaceholderText("other reaction")
        named(self.reaction_other, "reactionOther", "Other reaction")
        layout.addWidget(self.reaction_other, 6, 0, 1, 2)
        return reactions

    def _build_adverse(self) -> QGroupBox:
        adverse = QGroupBox("Adverse events (serious)")
        layout = QGridLayout(adverse)
        self.adverse_checks = check_boxes(list(AdverseEventKind), "adverse", layout)
        self.adverse_text = QLineEdit()
        self.adverse_text.setPlaceholderText("what happened, what was done")
        named(self.adverse_text, "adverseDescription", "Adverse event description")
        layout.addWidget(self.adverse_text, 3, 0, 1, 2)
        return adverse

    def _connect_changes(self) -> None:
        for widget in (self.start, self.end):
            widget.dateTimeChanged.connect(self._changed)
        self.end_set.toggled.connect(self._end_toggled)
        for signal in (
            self.end_set.toggled,
            self.condition.currentIndexChanged,
            self.technique.currentIndexChanged,
            self.estim.toggled,
            self.pain_before.valueChanged,
            self.pain_after.valueChanged,
            self.soreness.currentIndexChanged,
            self.reaction_other.textChanged,
            self.adverse_text.textChanged,
            self.notes.textChanged,
        ):
            signal.connect(self._changed)
        for check in self._checks():
            check.toggled.connect(self._changed)

    def _checks(self) -> list[QCheckBox]:
        return [
            *self.reaction_checks.values(),
            *self.adverse_checks.values(),
            *self.aftercare_checks.values(),
        ]

    def bind_keys(self, window: QWidget) -> None:
        QShortcut(QKeySequence("Alt+E"), window, activated=self.end_set.toggle)
        QShortcut(QKeySequence("Alt+P"), window, activated=self.go_to_pain)

    def go_to_pain(self) -> None:
        """Alt+P: to the pain score still to be asked — before, then after — ready for its digit."""
        field = self.pain_after if self.pain_before.number() is not None else self.pain_before
        field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        field.selectAll()

    def needles_out(self) -> None:
        """Every site's needles are out (the last running timer stopped): the visit's end is stamped unless
        one was entered, and the focus goes to the pain after, the next thing asked."""
        if not self.end_set.isChecked():
            self.end_set.setChecked(True)
            self._end_by_timers = True
        if self.pain_after.number() is None:
            self.pain_after.setFocus(Qt.FocusReason.OtherFocusReason)
            self.pain_after.selectAll()

    def needles_back_in(self) -> None:
        """A stop undone: the needles are in again, so the end that stop stamped is taken back (the real last
        stop stamps it again); an end entered by hand stays."""
        if self._end_by_timers and self.end_set.isChecked():
            self.end_set.setChecked(False)
        self._end_by_timers = False

    def tab_chain_above_sites(self) -> list[QWidget]:
        return [self.start, self.end_set, self.end, self.condition, self.technique, self.estim]

    def tab_chain_below_ledger(self) -> list[QWidget]:
        return [
            self.pain_before,
            self.pain_after,
            self.soreness,
            *self.reaction_checks.values(),
            self.reaction_other,
            *self.adverse_checks.values(),
            self.adverse_text,
            *self.aftercare_checks.values(),
            self.notes,
        ]

    # --- change --------------------------------------------------------------------------
    def _changed(self, *_: object) -> None:
        self.changed.emit()

    def _refuse_estim(self, ticked: bool) -> None:
        """Ticked by hand for a patient with an implanted electrical device: refused at once, saying why. A draft
        stored with it ticked shows it (signing refuses it, naming the field)."""
        if ticked and not self._loading:
            self.estim.setChecked(False)
            self._estim_refused = True
            self.visit_error.setText(ESTIM_REFUSED)
            self.visit_error.setVisible(True)

    def _end_toggled(self, ended: bool) -> None:
        """Ticking "ended" stamps the end with the time it is now (the needles have just come out)."""
        self._end_by_timers = False
        self.end.setEnabled(ended)
        if ended and not self._loading:
            start = instant(self.start.dateTime())
            now = self.clock().replace(second=0, microsecond=0)
            self.end.setDateTime(qt_time(max(now, start + timedelta(minutes=1))))

    def tick_breathing_aftercare(self) -> None:
        """A new lung-field site ticks the breathing aftercare; unticking it is the clinician's call."""
        self.aftercare_checks[Aftercare.SEEK_CARE_BREATHING].setChecked(True)

    # --- reading and showing -------------------------------------------------------------
    def values(self) -> dict[str, object]:
        """The facts of the session, as on screen."""
        others = frozenset(r for r, c in self.reaction_checks.items() if c.isChecked())
        return {
            "service_start": instant(self.start.dateTime()),
            "service_end": instant(self.end.dateTime()) if self.end_set.isChecked() else None,
            "condition": self.condition.code(),
            "technique": self.technique.code(),
            "electrical_stimulation": self.estim.isChecked(),
            "pain_before": self.pain_before.number(),
            "pain_after": self.pain_after.number(),
            "reactions": Reactions(self.soreness.code(), others, self.reaction_other.text()),  # type: ignore[arg-type]
            "adverse_events": tuple(
                AdverseEvent(kind, self.adverse_text.text()) for kind, c in self.adverse_checks.items() if c.isChecked()
            ),
            "aftercare": frozenset(a for a, c in self.aftercare_checks.items() if c.isChecked()),
            "notes": self.notes.toPlainText(),
        }

    def show_session(self, session: TreatmentSession) -> None:
        self._loading = True
        try:
            self.start.setDateTime(qt_time(session.service_start))
            self.end_set.setChecked(session.service_end is not None)
            self.end.setEnabled(session.service_end is not None)
            self.end.setDateTime(qt_time(session.service_end or session.service_start))
            self.condition.set_code(session.condition)
            self.technique.set_code(session.technique)
            self.estim.setChecked(session.electrical_stimulation)
            self.pain_before.set_number(session.pain_before)
            self.pain_after.set_number(session.pain_after)
            self.soreness.set_code(session.reactions.soreness)
            for reaction, check in self.reaction_checks.items():
                check.setChecked(reaction in session.reactions.others)
            self.reaction_other.setText(session.reactions.other_text)
            for kind, check in self.adverse_checks.items():
                check.setChecked(any(e.kind is kind for e in session.adverse_events))
            self.adverse_text.setText(session.adverse_events[0].description if session.adverse_events else "")
            for item, check in self.aftercare_checks.items():
                check.setChecked(item in session.aftercare)
            if self.notes.toPlainText() != session.notes:
                self.notes.setPlainText(session.notes)
        finally:
            self._loading = False

    def show_problems(self, by_field: dict[str, list[str]]) -> None:
        for label, fields in (
            (self.pain_error, ("pain_before", "pain_after")),
            (self.visit_error, ("service_start", "service_end", "electrical_stimulation")),
        ):
            text = " ".join(m for f in fields for m in by_field.get(f, []))
            if label is self.visit_error and self._estim_refused and not text:
                text = ESTIM_REFUSED
            label.setText(text)
            label.setVisible(bool(text))

    def widget_for(self, field: str) -> QWidget | None:
        if field.startswith("aftercare."):
            return self.aftercare_checks.get(Aftercare(field.split(".", 1)[1]))
        return {
            "condition": self.condition,
            "service_end": self.end_set if not self.end_set.isChecked() else self.end,
            "service_start": self.start,
            "pain_before": self.pain_before,
            "pain_after": self.pain_after,
            "notes": self.notes,
            "electrical_stimulation": self.estim,
        }.get(field)

    def set_read_only(self, read_only: bool) -> None:
        for box in self.boxes():
            set_inputs_enabled(box, not read_only)
        self.notes.setReadOnly(read_only)
        if not read_only:
            self.end.setEnabled(self.end_set.isChecked())

    def boxes(self) -> list[QGroupBox]:
        """The boxes the editor lays out: visit, pain, reactions, adverse, aftercare, notes."""
        return [self.visit_box, self.pain_box, self.reactions_box, self.adverse_box, self.aftercare_box, self.notes_box]
