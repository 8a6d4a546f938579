"""Outcome measures on the visit: the Patient-Specific Functional Scale's activities and scores, and the totals of
the licensed instruments the clinic scores on their own forms (NDI, ODI, QuickDASH, LEFS).

Every number is a spin box that may stay empty ("–") and takes the wheel only once clicked into; an activity's
name is a line of at most 80 characters. The PSFS score (the mean of the rated activities) is shown as it is
typed. Problems come from the domain's ``outcome_problems`` through the editor, one sentence naming the field.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QLineEdit, QWidget

from needlelog.domain.model import TreatmentSession
from needlelog.domain.outcomes import (
    ACTIVITY_NAME_MAX,
    LICENSED,
    PSFS_ACTIVITIES_MAX,
    SCALES,
    Instrument,
    OutcomeMeasure,
    PsfsActivity,
    psfs_score,
    shown,
)
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.fields import OptionalSpin, problem_label, set_inputs_enabled
from needlelog.ui.widgets.wheel_guard import guard_wheels

FIELD = re.compile(r"outcomes\[(\d+)\](?:\.activities\[(\d+)\]\.(activity|score)|\.(total))?$")


class OptionalDecimal(QDoubleSpinBox):
    """A total with one decimal place that may be left empty (shown as '–' just below the range)."""

    def __init__(self, low: float, high: float, decimals: int) -> None:
        super().__init__()
        guard_wheels()
        self._step = 10**-decimals
        self.setDecimals(decimals)
        self.setRange(low - self._step, high)
        self.setSingleStep(self._step)
        self.setSpecialValueText("–")
        self.setMinimumHeight(30)
        self.setMinimumWidth(80)

    def number(self) -> float | None:
        return None if self.value() <= self.minimum() else round(self.value(), self.decimals())

    def set_number(self, value: float | None) -> None:
        self.setValue(self.minimum() if value is None else value)


class OutcomesPanel(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loading = False
        self._listed: list[tuple[Instrument, list[int]]] = []  # what values() gave: instrument, PSFS rows used
        self.box = QGroupBox("Outcome measures")
        named(self.box, "outcomesBox", "Outcome measures")
        grid = QGridLayout(self.box)
        grid.addWidget(QLabel("PSFS: activities the patient finds hard (0 unable … 10 as before)"), 0, 0, 1, 2)
        self.activities: list[QLineEdit] = []
        self.activity_scores: list[OptionalSpin] = []
        for row in range(PSFS_ACTIVITIES_MAX):
            name = QLineEdit()
            name.setMaxLength(ACTIVITY_NAME_MAX)
            name.setPlaceholderText(f"Activity {row + 1}")
            named(name, f"psfsActivity{row + 1}", f"PSFS activity {row + 1}")
            score = OptionalSpin(0, 10)
            named(score, f"psfsScore{row + 1}", f"PSFS activity {row + 1} score, 0 to 10")
            grid.addWidget(name, row + 1, 0)
            grid.addWidget(score, row + 1, 1)
            self.activities.append(name)
            self.activity_scores.append(score)
        self.psfs_score = QLabel("PSFS score: –")
        named(self.psfs_score, "psfsScore", "PSFS score")
        grid.addWidget(self.psfs_score, PSFS_ACTIVITIES_MAX + 1, 0, 1, 2)
        self.totals: dict[Instrument, OptionalSpin | OptionalDecimal] = {}
        for i, instrument in enumerate(LICENSED):
            scale = SCALES[instrument]
            total: OptionalSpin | OptionalDecimal = (
                OptionalDecimal(scale.low, scale.high, scale.decimals)
                if scale.decimals
                else OptionalSpin(int(scale.low), int(scale.high))
            )
            unit = " %" if scale.unit.startswith("%") else ""
            words = f"{scale.short} total ({scale.low:g}–{scale.high:g}{unit})"
            named(total, f"outcomeTotal_{instrument.value}", words)
            grid.addWidget(QLabel(words), i, 2)
            grid.addWidget(total, i, 3)
            self.totals[instrument] = total
        self.error = problem_label("outcomesError", "Outcome measure problems")
        grid.addWidget(self.error, PSFS_ACTIVITIES_MAX + 2, 0, 1, 4)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(2, 1)
        for name in self.activities:
            name.textChanged.connect(self._changed)
        for spin in (*self.activity_scores, *self.totals.values()):
            spin.valueChanged.connect(self._changed)

    def _changed(self, *_: object) -> None:
        score = psfs_score(self._activities())
        self.psfs_score.setText(f"PSFS score: {shown(Instrument.PSFS, score) if score is not None else '–'}")
        if not self._loading:
            self.changed.emit()

    def _activities(self) -> list[PsfsActivity]:
        return [
            PsfsActivity(name.text(), score.number())
            for name, score in zip(self.activities, self.activity_scores, strict=True)
            if name.text().strip() or score.number() is not None
        ]

    # --- reading and showing -------------------------------------------------------------
    def values(self) -> dict[str, object]:
        """The outcomes on screen: the PSFS when any activity is written, each total given, in a fixed order."""
        outcomes: list[OutcomeMeasure] = []
        self._listed = []
        rows = [
            i
            for i, (name, score) in enumerate(zip(self.activities, self.activity_scores, strict=True))
            if name.text().strip() or score.number() is not None
        ]
        if rows:
            outcomes.append(OutcomeMeasure(Instrument.PSFS, activities=tuple(self._activities())))
            self._listed.append((Instrument.PSFS, rows))
        for instrument, total in self.totals.items():
            if total.number() is not None:
                outcomes.append(OutcomeMeasure(instrument, total=total.number()))
                self._listed.append((instrument, []))
        return {"outcomes": tuple(outcomes)}

    def show_session(self, session: TreatmentSession) -> None:
        self._loading = True
        try:
            by_instrument = {o.instrument: o for o in session.outcomes}
            psfs = by_instrument.get(Instrument.PSFS)
            activities = psfs.activities if psfs is not None else ()
            for row, (name, score) in enumerate(zip(self.activities, self.activity_scores, strict=True)):
                item = activities[row] if row < len(activities) else PsfsActivity("")
                if name.text() != item.activity:
                    name.setText(item.activity)
                score.set_number(item.score)
            for instrument, total in self.totals.items():
                measure = by_instrument.get(instrument)
                total.set_number(measure.total if measure is not None else None)
        finally:
            self._loading = False
        self._changed()

    def show_problems(self, by_field: dict[str, list[str]]) -> None:
        text = " ".join(m for field, messages in by_field.items() if field.startswith("outcomes") for m in messages)
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def widget_for(self, field: str) -> QWidget | None:
        """The input a problem names: its position in the outcomes is read back to the instrument on screen."""
        found = FIELD.match(field)
        if found is None or int(found.group(1)) >= len(self._listed):
            return None
        instrument, rows = self._listed[int(found.group(1))]
        if instrument is not Instrument.PSFS:
            return self.totals[instrument]
        if found.group(2) is None:
            return self.activities[0]
        row = rows[int(found.group(2))] if int(found.group(2)) < len(rows) else 0
        return self.activities[row] if found.group(3) == "activity" else self.activity_scores[row]

    def set_read_only(self, read_only: bool) -> None:
        set_inputs_enabled(self.box, not read_only)

    def tab_chain(self) -> list[QWidget]:
        chain: list[QWidget] = []
        for name, score in zip(self.activities, self.activity_scores, strict=True):
            chain += [name, score]
        return chain + list(self.totals.values())
