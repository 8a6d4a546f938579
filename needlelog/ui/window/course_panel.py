"""The patient's course at a glance, on the chart: their episodes of care and where each stands, the pain before
and after at every signed visit (the figure the visit note prints), and where past markers were placed.

It reads one :class:`~needlelog.services.course.PatientCourse` per patient shown (three indexed queries, even
for 200 visits) and starts a new episode through a small dialog. Nothing here changes a visit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from needlelog.domain.access import Action
from needlelog.domain.course import pain_figure
from needlelog.domain.episodes import PlanProgress
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.outcomes import SCALES, Instrument, outcome_figure
from needlelog.services.course import PatientCourse
from needlelog.services.store import Services
from needlelog.ui.dialogs.episode_dialog import EpisodeDialog
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.course_chart import CourseChart
from needlelog.ui.widgets.heat_map import MarkerHeatMap
from needlelog.ui.widgets.wheel_guard import guard_wheels

REASSESS_STYLE = "color: #8a4b00; font-weight: bold;"


def plan_words(plan: PlanProgress) -> str:
    """ "Acute · Neck pain and headaches · since 2026-03-01: visit 2 of 2–3" (and the prompt when reached)."""
    episode = plan.episode
    condition = episode.condition.label if episode.condition is not None else "any condition"
    return f"{episode.kind.capitalize()} · {condition} · since {episode.started_on.isoformat()}: {plan.words}"


class CoursePanel(QWidget):
    episode_started = Signal(object)  # the stored Episode

    def __init__(self, services: Services, today: Callable[[], date], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.today = today
        self.patient_id: int | None = None
        self.course = PatientCourse()
        self.dialog: EpisodeDialog | None = None
        self.plans = QLabel("")
        named(self.plans, "episodePlans", "Episodes of care")
        self.plans.setWordWrap(True)
        self.new_episode_button = QPushButton("New episode…")
        named(self.new_episode_button, "newEpisode", "New episode of care")
        self.new_episode_button.setToolTip("Start a new episode of care: condition, acute or chronic, start date")
        self.new_episode_button.setEnabled(False)
        self.new_episode_button.clicked.connect(self.open_episode_dialog)
        self.message = QLabel("")
        named(self.message, "courseMessage", "Course message")
        self.message.setStyleSheet("color: #a11a1a;")
        self.chart = CourseChart("painCourse", "Pain before and after, signed visits")
        guard_wheels()  # a wheel over the choice of plot never changes it unless clicked into
        self.plot_choice = QComboBox()
        named(self.plot_choice, "plotChoice", "Plot: pain or an outcome measure")
        self.plot_choice.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plot_choice.currentIndexChanged.connect(self._plot)
        self.heat_map = MarkerHeatMap()
        top = QHBoxLayout()
        top.addWidget(self.plans, 1)
        top.addWidget(self.plot_choice)
        top.addWidget(self.new_episode_button)
        figures = QHBoxLayout()
        figures.addWidget(self.chart, 3)
        figures.addWidget(self.heat_map, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addLayout(figures, 1)

    def show_patient(self, patient_id: int | None) -> PatientCourse:
        """The patient's course read and drawn (an empty one for none, or when it cannot be read: said why)."""
        self.patient_id = patient_id
        self.message.clear()
        self.course = PatientCourse()
        if patient_id is not None:
            try:
                self.course = self.services.course.course(patient_id)
            except NeedlelogError as exc:
                self.message.setText(str(exc))
        may_start = patient_id is not None and self.services.access.may(Action.EDIT_PATIENT)
        self.new_episode_button.setEnabled(may_start)
        self._show_plans()
        self._fill_plot_choice()
        self.heat_map.set_cells(self.course.heat, len(self.course.pain))
        return self.course

    def _fill_plot_choice(self) -> None:
        """Pain, and each instrument the patient's signed visits recorded; the choice kept where it still applies."""
        kept = self.plot_choice.currentData()
        recorded = [i for i in Instrument if any(v.instrument is i for v in self.course.outcomes)]
        self.plot_choice.blockSignals(True)
        self.plot_choice.clear()
        self.plot_choice.addItem("Pain", "pain")
        for instrument in recorded:
            self.plot_choice.addItem(SCALES[instrument].short, instrument.value)
        self.plot_choice.setCurrentIndex(max(0, self.plot_choice.findData(kept)))
        self.plot_choice.blockSignals(False)
        self.plot_choice.setVisible(bool(recorded))
        self._plot()

    def _plot(self, *_: object) -> None:
        chosen = self.plot_choice.currentData()
        if self.patient_id is None:
            self.chart.set_figure(None)
        elif chosen in (None, "pain"):
            self.chart.set_figure(pain_figure(self.course.pain))
        else:
            self.chart.set_figure(outcome_figure(Instrument(chosen), self.course.outcomes))

    def _show_plans(self) -> None:
        open_plans = self.course.open_plans
        if self.patient_id is None:
            self.plans.clear()
        elif not open_plans:
            self.plans.setText("No open episode of care: start one with New episode…")
        else:
            self.plans.setText("\n".join(plan_words(plan) for plan in open_plans))
        reassess = any(plan.reached for plan in open_plans)
        self.plans.setStyleSheet(REASSESS_STYLE if reassess else "")

    def open_episode_dialog(self) -> EpisodeDialog | None:
        if self.patient_id is None:
            return None
        self.dialog = EpisodeDialog(self.services, self.patient_id, self.today(), self.window())
        self.dialog.started.connect(self.episode_started)
        self.dialog.open()  # window-modal, never a nested event loop
        return self.dialog
