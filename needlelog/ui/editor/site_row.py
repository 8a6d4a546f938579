"""One needling site as one row of the sites table: region, side, muscle, needles in and out, dwell, twitch,
needle size and lot, its dwell timer (and the undo of an accidental stop), and the buttons that move or
remove it; and the reason for a timed dwell outside 5-15 minutes when one is needed (asked below the
table, not under the row).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QWidget

from needlelog.domain.model import NeedlingSite, TriggerPoint
from needlelog.domain.rules import DWELL_MAX, DWELL_MIN, REASON_MAX
from needlelog.domain.timers import TimerLevel, dwell_clock, dwell_minutes, timed_outside_range, timer_level
from needlelog.domain.vocab import MUSCLES, BodyRegion, Side, TwitchResponse
from needlelog.ui.widgets.common import local_time, named
from needlelog.ui.widgets.fields import ERROR_STYLE, CodeCombo, OptionalSpin

NEEDLE_SIZES = ("0.16 x 15 mm", "0.20 x 15 mm", "0.25 x 30 mm", "0.25 x 40 mm", "0.30 x 50 mm", "0.30 x 60 mm")
SELECTED_NUMBER_STYLE = "background: #f6c48f; font-weight: bold;"
PROBLEM_NUMBER_STYLE = "color: #a11a1a; border: 2px solid #c0392b; border-radius: 3px;"
TIMER_STYLES = {
    TimerLevel.RUNNING: "",
    TimerLevel.WARNING: "background: #f5b041; font-weight: bold;",
    TimerLevel.ALARM: "background: #c0392b; color: white; font-weight: bold;",
}


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
        self.muscle.setMinimumHeight(30)
        named(self.muscle, f"{prefix}Muscle", f"{label} muscle", "Muscle: pick or type")
        self.needles = OptionalSpin(1, 99)
        named(self.needles, f"{prefix}Needles", f"{label} needle count", "Needles at this site (1 to 20)")
        self.dwell = OptionalSpin(1, 99)
        self.dwell.set_number(default_dwell)
        dwell_range = f"Planned dwell time, {DWELL_MIN} to {DWELL_MAX} minutes"
        named(self.dwell, f"{prefix}Dwell", f"{label} dwell time", dwell_range)
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
            button.setFixedSize(24, 30)
        self.timer = QPushButton("▶ Start")
        named(
            self.timer, f"{prefix}Timer", f"{label} dwell timer", "Start the dwell timer as the needles go in (Alt+T)"
        )
        self.timer.setMinimumHeight(30)
        self.timer_started: datetime | None = None
        self.timer_stopped: datetime | None = None
        self._build_ledger_and_undo(prefix, label)
        self._fit_narrow()
        self.remove = QPushButton("✕")
        named(self.remove, f"{prefix}Remove", f"Remove {label.lower()}", f"Remove {label.lower()}")
        self.remove.setFixedSize(24, 30)
        # The site's problems in words. Never laid out under the row (a line appearing there would push the rows
        # below away from the pointer): the number turns red and carries them as its tooltip, and the sites
        # panel lists them under the table.
        self.error = QLabel("")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        named(self.error, f"{prefix}Error", f"{label} problems")
        self.selected = False
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number.setMinimumWidth(22)
        self.trigger_points: tuple[TriggerPoint, ...] = ()  # kept as charted; the body chart edits them
        self.region.currentIndexChanged.connect(self._region_changed)
        for signal in (
            self.region.currentIndexChanged,
            self.side.currentIndexChanged,
            self.twitch.currentIndexChanged,
            self.needles.valueChanged,
            self.out.valueChanged,
            self.dwell.valueChanged,
            self.muscle.currentTextChanged,
            self.lot.textChanged,
            self.size.currentTextChanged,
            self.reason.textChanged,
        ):
            signal.connect(changed)

    def _build_ledger_and_undo(self, prefix: str, label: str) -> None:
        """The site's needles out, the undo of an accidental stop, and the reason for a dwell outside 5-15."""
        # Stopping the timer counts the site's needles out; adjustable until the note is signed.
        self.out = OptionalSpin(0, 99)
        self.out.setRange(0, 99)
        self.out.setSpecialValueText("")
        self.out.setValue(0)
        out_tip = "Needles counted out of this site (stopping its timer counts them all; Alt+O counts one)"
        named(self.out, f"{prefix}Out", f"{label} needles out", out_tip)
        # The site as it was just before its timer was stopped here: an undo gives it all back.
        self.before_stop: NeedlingSite | None = None
        self.undo = QPushButton("↶")
        undo_tip = "Undo an accidental stop: the timer runs on from its start and the needles are back in"
        named(self.undo, f"{prefix}UndoStop", f"Undo the stop of {label.lower()}'s timer", undo_tip)
        self.undo.setFixedSize(24, 30)
        # Its column keeps its width while no stop is to undo: a ↶ appearing never shifts the row's buttons.
        policy = self.undo.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.undo.setSizePolicy(policy)
        # Asked in the list below the table (SitesPanel.reasons), never under the row: a field appearing there
        # pushed the next site 28 px down, from under the pointer, at the moment a stop was clicked.
        self.reason = QLineEdit()
        self.reason.setMaxLength(REASON_MAX)
        self.reason.setPlaceholderText(
            f"{label}: why the needles stayed in outside {DWELL_MIN}–{DWELL_MAX} minutes (printed on the note)"
        )
        named(self.reason, f"{prefix}DwellReason", f"{label} reason for the dwell time", "Printed on the note")

    def _fit_narrow(self) -> None:
        """The row fits beside the body chart on a 1366-pixel screen, and its longest words are shown whole:
        each list is as wide as its longest common entry in this font (the region's longest name, a lot
        number, "Bilateral"), plus room for its arrow, and no wider."""
        advance = self.region.fontMetrics().horizontalAdvance
        arrow = 30  # the list's arrow and frame
        for widget, widest_text in (
            (self.region, max((region.label for region in BodyRegion), key=advance)),
            (self.side, max((side.label for side in Side), key=advance)),
            (self.twitch, max((twitch.label for twitch in TwitchResponse), key=advance)),
            (self.size, max(NEEDLE_SIZES, key=advance)),
            (self.muscle, "lumbar multifidus"),
        ):
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumContentsLength(1)
            widget.setMinimumWidth(advance(widest_text) + arrow)
        self.side.setMaximumWidth(self.side.minimumWidth())
        self.twitch.setMaximumWidth(self.twitch.minimumWidth())
        self.size.setMaximumWidth(self.size.minimumWidth())
        self.region.setMaximumWidth(self.region.minimumWidth() + 40)
        self.lot.setMinimumWidth(advance("L2304-27") + 16)  # a lot number of the usual length, whole
        self.lot.setMaximumWidth(self.lot.minimumWidth() + 30)
        for spin in (self.needles, self.dwell):
            spin.setMinimumWidth(46)
            spin.setMaximumWidth(52)
        self.out.setMinimumWidth(40)
        self.out.setMaximumWidth(44)
        self.timer.setMinimumWidth(advance("■ +10:00") + 16)

    def show_problems(self, messages: list[str]) -> None:
        """The site's problems: on its number (red, the words as its tooltip), never as a line that moves rows."""
        text = " ".join(messages)
        if text != self.error.text():
            self.error.setText(text)
            self.show_number()

    def show_number(self, selected: bool | None = None) -> None:
        """The site's number: highlighted while the site is selected, red while it has a problem."""
        if selected is not None:
            self.selected = selected
        problems = self.error.text()
        style = SELECTED_NUMBER_STYLE if self.selected else ""
        if problems:
            style += PROBLEM_NUMBER_STYLE
        self.number.setStyleSheet(style)
        self.number.setToolTip(problems)
        self.number.setAccessibleDescription(problems)

    def focus_count(self) -> None:
        """The needle count takes the focus with its text selected: the next digit typed replaces the empty "–"
        (typed after it, "–3" is not a number and the spin box drops the digit)."""
        self.needles.setFocus(Qt.FocusReason.OtherFocusReason)
        self.needles.selectAll()

    def is_mirror_of(self, region: BodyRegion, side: Side) -> bool:
        """A tap on the same region as this one-sided site, on the patient's other side."""
        return self.region.code() is region and {self.side.code(), side} == {Side.LEFT, Side.RIGHT}

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
            self.out,
            self.undo,
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
            needles_out=self.out.value(),
            dwell_reason=self.reason.text().strip(),
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
        self.out.setValue(site.needles_out)
        self.reason.setText(site.dwell_reason)

    def show_timer(self, now: datetime) -> None:
        """The timer button: start it, the minutes running (coloured at the planned dwell and at 15), or done."""
        if self.timer_started is None:
            text, style, tip = "▶ Start", "", "Start the dwell timer as the needles go in (Alt+T)"
        elif self.timer_stopped is None:
            # Counted as the dock counts: the time left to the planned dwell, then "+" the time past it.
            level = timer_level(self.timer_started, self.dwell.number(), now)
            text, style = f"■ {dwell_clock(self.timer_started, self.dwell.number(), now)}", TIMER_STYLES[level]
            tip = (
                f"Needles in since {local_time(self.timer_started, '%H:%M')}: the time left to the planned dwell "
                "(then + the time past it); stop when they come out (Alt+T; Shift+Alt+T stops every timer past its "
                "dwell, each site counted out)"
            )
        else:
            minutes = dwell_minutes(self.timer_started, self.timer_stopped)
            text, style = f"✔ {minutes} min", ""
            tip = (
                f"Timed {local_time(self.timer_started, '%H:%M')}–{local_time(self.timer_stopped, '%H:%M')}: "
                "the dwell on the record; ↶ undoes an accidental stop"
            )
        if self.timer.text() != text:
            self.timer.setText(text)
        if self.timer.styleSheet() != style:
            self.timer.setStyleSheet(style)
        self.timer.setToolTip(tip)

    def show_undo_and_reason(self, read_only: bool) -> None:
        """The undo of a stop while the draft is open; the reason field once a timer ran outside 5-15 minutes
        (or a reason was written). Called once the row is in the grid (a parentless widget shown is a window)."""
        self.undo.setVisible(not read_only and self.timer_stopped is not None)
        self.reason.setVisible(timed_outside_range(self.site()) or bool(self.reason.text()))

    def set_read_only(self, read_only: bool) -> None:
        for widget in self.widgets()[1:]:
            widget.setEnabled(not read_only)
        self.reason.setReadOnly(read_only)
        self.timer.setEnabled(not read_only and self.timer_stopped is None)
