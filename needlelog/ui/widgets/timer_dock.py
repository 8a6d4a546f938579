"""The dock of running dwell timers: every patient, every room, time left, and an alarm at 15 minutes.

The timers themselves are instants stored with each draft's site; this dock only reads them (on
every save, and once a second against the program's clock) so it shows the same after an editor
is closed or the program restarted. At the planned dwell a timer turns amber; at 15 minutes it
turns red, the dock flashes, the system beeps and the window asks for attention until stopped.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QGridLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.limits import DWELL_MAX
from needlelog.domain.timers import RunningTimer, TimerLevel, clock_text, dwell_clock
from needlelog.ui.widgets.common import html, named

if TYPE_CHECKING:  # the sign-in window shows this dock before the chart's storage is loaded
    from needlelog.services.store import Services

ROW_STYLES = {
    TimerLevel.RUNNING: "QFrame#timerRow { background: #eef6ee; border: 1px solid #9cc29c; border-radius: 4px; }",
    TimerLevel.WARNING: "QFrame#timerRow { background: #f9c96b; border: 2px solid #b9770e; border-radius: 4px; }",
    TimerLevel.ALARM: "QFrame#timerRow { background: #c0392b; border: 3px solid #641e16; border-radius: 4px; }"
    " QLabel { color: white; }",
}
FLASH_STYLE = "QFrame#timerRow { background: #ffd400; border: 3px solid #c0392b; border-radius: 4px; }"


class TimerRow(QFrame):
    def __init__(self, timer: RunningTimer, index: int, private: bool = False) -> None:
        super().__init__()
        self.timer = timer
        self.setObjectName("timerRow")
        self.level: TimerLevel | None = None
        who = "Patient hidden" if private else f"<b>{html(timer.patient_name)}</b> ({html(timer.chart_number)})"
        self.who = QLabel(who)
        named(self.who, f"timer{index + 1}Patient", f"Timer {index + 1} patient")
        self.site = QLabel("" if private else html(timer.site_label))
        self.site.setWordWrap(True)
        named(self.site, f"timer{index + 1}Site", f"Timer {index + 1} site")
        self.left = QLabel("")
        font = self.left.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.left.setFont(font)
        named(self.left, f"timer{index + 1}Left", f"Timer {index + 1} time left")
        self.state = QLabel("")
        named(self.state, f"timer{index + 1}State", f"Timer {index + 1} state")
        self.stop = QPushButton("Stop: needles out")
        self.stop.setMinimumHeight(34)
        named(self.stop, f"timer{index + 1}Stop", f"Stop timer {index + 1}", "Stop this timer: the needles are out")
        self.who.setWordWrap(True)
        self.state.setWordWrap(True)
        layout = QGridLayout(self)
        layout.addWidget(self.who, 0, 0)
        layout.addWidget(self.left, 0, 1, 2, 1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.site, 1, 0)
        layout.addWidget(self.state, 2, 0, 1, 2)
        layout.addWidget(self.stop, 3, 0, 1, 2)
        layout.setColumnStretch(0, 1)

    def show_time(self, now_level: TimerLevel, now: datetime, flash: bool) -> None:
        # One way of counting, here and on the site's row in the editor (domain.timers.dwell_clock).
        self.left.setText(dwell_clock(self.timer.started, self.timer.planned_minutes, now))
        elapsed = self.timer.elapsed(now)
        if now_level is TimerLevel.ALARM:
            self.state.setText(f"⚠ {DWELL_MAX} MINUTES — take the needles out now ({clock_text(elapsed)} in)")
        elif now_level is TimerLevel.WARNING:
            self.state.setText(f"Planned {self.timer.planned_minutes} min reached — {clock_text(elapsed)} in")
        else:
            planned = f"planned {self.timer.planned_minutes} min" if self.timer.planned_minutes else "no dwell planned"
            self.state.setText(f"to go · {planned}")
        style = FLASH_STYLE if now_level is TimerLevel.ALARM and flash else ROW_STYLES[now_level]
        if self.styleSheet() != style:
            self.setStyleSheet(style)
        self.level = now_level


class TimerDock(QDockWidget):
    stop_requested = Signal(object)  # the RunningTimer

    def __init__(self, services: Services, parent: QWidget | None = None, *, can_stop: bool = True) -> None:
        super().__init__("Dwell timers", parent)
        self.services = services
        # Stopping is charting: who does not chart sees the timers and hears the alarm, without Stop.
        self.can_stop = can_stop
        self.clock = services.clock
        self.setObjectName("timerDock")
        self.setAccessibleName("Dwell timers")
        features = QDockWidget.DockWidgetFeature
        # It cannot be closed by accident: a hidden alarm is no alarm (View > Dwell timers shows it).
        self.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable)
        self.timers: list[RunningTimer] = []
        self.rows: list[TimerRow] = []
        self._flash = False
        self.alarming = False
        self.private = False  # names hidden (the privacy key, the idle lock): the alarm still sounds
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self.empty = QLabel("No timer running. Start one from a site's ▶ in the session editor.")
        self.empty.setWordWrap(True)
        named(self.empty, "timersEmpty", "No timer running")
        self._layout.addWidget(self.empty)
        self._layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.setMinimumWidth(300)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.tick)

    def reload(self) -> None:
        """Read the running timers again (after any save): a stopped one leaves, a new one arrives."""
        try:
            timers = self.services.sessions.running_timers()
        except NeedlelogError:
            return  # the chart cannot be read just now; the next save or tick tries again
        if timers == self.timers and len(self.rows) == len(timers):
            self.tick()
            return
        for row in self.rows:
            self._layout.removeWidget(row)
            row.hide()  # at once: deleteLater waits for the event loop, and a name must not stay on screen
            row.deleteLater()
        self.timers = timers
        self.rows = []
        for index, timer in enumerate(timers):
            row = TimerRow(timer, index, self.private)
            row.stop.clicked.connect(lambda _=False, t=timer: self.stop_requested.emit(t))
            row.stop.setVisible(self.can_stop)
            self._layout.insertWidget(index, row)
            self.rows.append(row)
        self.empty.setVisible(not timers)
        self.tick()

    def set_private(self, private: bool) -> None:
        if private != self.private:
            self.private = private
            self.timers = []  # rebuilt with or without names
            self.reload()

    def levels(self) -> list[TimerLevel]:
        now = self.clock()
        return [timer.level(now) for timer in self.timers]

    def tick(self) -> None:
        now = self.clock()
        self._flash = not self._flash
        alarming = False
        for row in self.rows:
            level = row.timer.level(now)
            row.show_time(level, now, self._flash)
            alarming = alarming or level is TimerLevel.ALARM
        self.alarming = alarming
        count = len(self.rows)
        if alarming:
            self.setWindowTitle(f"⚠ DWELL ALARM — Dwell timers ({count})")
            QApplication.beep()
            window = self.window()
            QApplication.alert(window, 0)
        else:
            self.setWindowTitle(f"Dwell timers ({count})" if count else "Dwell timers")
        if count and not self._tick.isActive():
            self._tick.start()
        elif not count:
            self._tick.stop()
