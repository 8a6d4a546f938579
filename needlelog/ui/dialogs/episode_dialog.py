"""Start a new episode of care from the chart: the condition, acute or chronic, and the day it started.

Each field's problem is shown under it in the services' words; nothing is stored until every field is right.
The lists and the date take the wheel only once clicked into (``guard_wheels``), so scrolling past them
changes nothing.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.vocab import Condition, TreatmentPlan
from needlelog.services.store import Services
from needlelog.ui.widgets.common import day_of, named
from needlelog.ui.widgets.fields import CodeCombo
from needlelog.ui.widgets.forms import FieldErrors, button, date_edit, message_label
from needlelog.ui.widgets.wheel_guard import guard_wheels


class EpisodeDialog(QDialog):
    """Shown with ``open()`` (window-modal, no nested event loop); emits ``started`` with the stored episode."""

    started = Signal(object)

    def __init__(self, services: Services, patient_id: int, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        guard_wheels()
        self.services = services
        self.patient_id = patient_id
        self.setObjectName("episodeDialog")
        self.setAccessibleName("New episode of care")
        self.setWindowTitle("New episode of care")
        self.condition = CodeCombo(list(Condition))
        named(self.condition, "episodeCondition", "Condition")
        self.plan = CodeCombo(list(TreatmentPlan))
        named(self.plan, "episodePlan", "Plan: acute or chronic")
        self.plan.setToolTip("Acute: expect 2–3 visits · chronic: expect 4–6")
        self.started_on = date_edit("episodeStarted", "Started on", today)
        general = message_label("episodeError", "Problems", error=True)
        self.errors = FieldErrors("episode", general)
        form = QFormLayout()
        form.addRow("Condition", self.errors.beside("condition", self.condition, "the condition"))
        form.addRow("Plan", self.errors.beside("plan", self.plan, "the plan"))
        form.addRow("Started", self.errors.beside("started_on", self.started_on, "the start date"))
        explain = QLabel(
            "The open episode for the same condition is closed on this date; its signed visits keep counting there."
        )
        explain.setWordWrap(True)
        self.start_button = button("Start episode", "episodeStart", "Start episode")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        cancel = button("Cancel", "episodeCancel", "Cancel")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(explain)
        layout.addWidget(general)
        layout.addLayout(buttons)

    def start(self) -> None:
        plan = self.plan.code()
        condition = self.condition.code()
        try:
            episode = self.services.course.start_episode(
                self.patient_id,
                TreatmentPlan(plan) if plan is not None else None,
                Condition(condition) if condition is not None else None,
                day_of(self.started_on.date()),
            )
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.started.emit(episode)
        self.accept()
