"""The sites panel: the table of needling sites, one :class:`SiteRow` each, and everything done to a site —
added, removed, reordered, placed from the body chart, selected, given a muscle or a twitch in one key,
and its dwell timer started and stopped.

It owns the rows; the body chart panel only hears which markers to draw and which site is selected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QCompleter, QGridLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.lots import lot_key, session_lot_problems, usable_lots
from needlelog.domain.model import NeedlingSite, TreatmentSession, TriggerPoint
from needlelog.domain.rules import FieldProblem, local_date
from needlelog.domain.timers import TimerLevel, resume_site_timer, stop_site_timer, timer_level, untimed_dwell_message
from needlelog.domain.vocab import MUSCLES, BodyRegion, Side, TwitchResponse
from needlelog.services.store import Services
from needlelog.ui.editor.site_row import SiteRow
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.fields import problem_label, set_inputs_enabled

# "Out": the site's needles counted out, beside the timer whose stop counts them.
# Short titles (their columns say the rest in their tooltips): the whole row fits a 1366-pixel screen.
COLUMNS = ("#", "Region", "Side", "Muscle", "In", "Dwell", "Twitch", "Size", "Lot", "Timer", "Out", *[""] * 4)
TITLE_TIPS = {"In": "Needles in at the site", "Dwell": "Planned dwell, minutes", "Out": "Needles counted out"}


class SitesPanel(QGroupBox):
    """The "Needling sites" box: a row per site, an Add button, and the sites' problems in words."""

    changed = Signal()  # a value of a site changed (the draft is to be saved)
    rows_changed = Signal()  # rows were added, removed or reordered: the tab order follows
    says = Signal(str)  # a message for the body chart's message line ("" clears it)
    save_wanted = Signal()  # a dwell timer started or stopped: saved at once, to survive a crash
    timer_resumed = Signal(int)  # an accidental stop of this site's timer undone: saved at once, and audited
    needles_all_out = Signal()  # a stop left no timer running: every site's needles are out
    site_selected = Signal(object, object, object)  # markers of every site, selected site or None, point or None
    picks_changed = Signal(object, object)  # selected site or None, its region or None: the quick-picks follow
    marker_selected = Signal(int, int)  # site, point: the marker just moved stays the chart's selection

    def __init__(
        self,
        services: Services,
        confirm_site_in: Callable[[BodyRegion], bool],
        view_only: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Needling sites", parent)
        self.clock = services.clock
        self.confirm_site_in = confirm_site_in  # asks before a site goes where the patient was operated on
        # Why no site may be placed (there) now: no valid consent, under 12, a limb with lymphoedema (the editor
        # sets it to the safety panel's); None when it may.
        self.refuse_site: Callable[[BodyRegion | None, Side | None], str | None] = lambda _region, _side: None
        self.view_only = view_only
        self.signed = False
        self.default_dwell = self._clinic_default_dwell(services)
        self.rows: list[SiteRow] = []
        self.selected_site: int | None = None
        self._loading = False
        # The clinic's needle lots: offered as the lot is typed (never an expired one), and checked.
        try:
            self.lots = {lot.lot: lot for lot in services.registers.lots()}
        except NeedlelogError:
            self.lots = {}
        # Running dwell timers are redrawn every second (the main window's dock sounds the alarm).
        self._timer_tick = QTimer(self)
        self._timer_tick.setInterval(1000)
        self._timer_tick.timeout.connect(self.tick_timers)
        layout = QVBoxLayout(self)
        self.grid = QGridLayout()
        for column, title in enumerate(COLUMNS):
            heading = QLabel(f"<b>{title}</b>")
            heading.setToolTip(TITLE_TIPS.get(title, ""))
            self.grid.addWidget(heading, 0, column)
        # Region and muscle share what a wide screen gives; at 1366 pixels both are at their narrowest.
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(3, 2)
        self.grid.setHorizontalSpacing(3)  # fourteen gaps: every pixel counts on a 1366-pixel screen
        layout.addLayout(self.grid)
        self.add_site_button = QPushButton("Add site (Alt+A)")
        named(self.add_site_button, "addSite", "Add a needling site", "Add a needling site (Alt+A)")
        self.add_site_button.setMinimumHeight(34)
        self.add_site_button.clicked.connect(self.add_site_by_hand)
        self.error = problem_label("sitesError", "Sites problems")
        self.error.setWordWrap(True)  # a long problem wraps: it never widens the editor past the screen
        layout.addWidget(self.error)
        layout.addWidget(self.add_site_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.reasons = QVBoxLayout()  # below the table and Add: a reason asked there moves no row, no button
        layout.addLayout(self.reasons)
        layout.addStretch(1)

    @staticmethod
    def _clinic_default_dwell(services: Services) -> int:
        clinic = services.clinic.clinic_or_none()
        return clinic.default_dwell_minutes if clinic else 10

    def bind_keys(self, window: QWidget) -> None:
        """Window-wide keys, whichever field has the focus (a button's own is not, when it is scrolled away)."""
        QShortcut(QKeySequence("Alt+A"), window, activated=self.add_site_button.click)
        QShortcut(QKeySequence("Alt+Up"), window, activated=lambda: self._move_focused(-1))
        QShortcut(QKeySequence("Alt+Down"), window, activated=lambda: self._move_focused(+1))
        QShortcut(QKeySequence("Alt+T"), window, activated=self.timer_in_hand)
        QShortcut(QKeySequence("Shift+Alt+T"), window, activated=self.stop_timers_past_dwell)

    # --- the rows ------------------------------------------------------------------------
    def add_site(self, site: NeedlingSite | None = None, focus: bool = False) -> SiteRow:
        row = SiteRow(len(self.rows), self.default_dwell, self._row_changed)
        today = local_date(self.clock())
        usable = sorted(lot.lot for lot in usable_lots(self.lots.values(), today))
        if usable:
            completer = QCompleter(usable, row.lot)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            row.lot.setCompleter(completer)
        if site is not None:
            row.show_site(site)
        if not row.lot.text().strip():
            self._take_the_box(row)
        row.remove.clicked.connect(lambda: self.remove_site(self.rows.index(row)))
        row.up.clicked.connect(lambda: self.move_site(self.rows.index(row), -1))
        row.down.clicked.connect(lambda: self.move_site(self.rows.index(row), +1))
        row.timer.clicked.connect(lambda: self.toggle_timer(self.rows.index(row)))
        row.undo.clicked.connect(lambda: self.undo_stop(self.rows.index(row)))
        for widget in row.widgets():
            widget.installEventFilter(self)
        row.region.currentIndexChanged.connect(self._announce_picks)
        self.rows.append(row)
        self._place_rows()
        row.show_timer(self.clock())
        if focus:
            row.region.setFocus(Qt.FocusReason.OtherFocusReason)
        self._row_changed()
        if not self._loading:
            self.select_site(len(self.rows) - 1)
        return row

    def add_site_by_hand(self) -> SiteRow | None:
        """Add site (Alt+A): an empty row to fill in, unless no site may be placed now (the reason is said)."""
        refusal = self.refuse_site(None, None)
        if refusal is not None:
            self.says.emit(refusal)
            self.error.setText(refusal)
            self.error.setVisible(True)
            return None
        return self.add_site(focus=True)

    def remove_site(self, index: int) -> None:
        row = self.rows[index]
        if row.timer_started is not None and row.timer_stopped is None:
            self.says.emit(f"Site {index + 1}: stop its dwell timer first — its needles are still in.")
            row.timer.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        sites = [r.site() for r in self.rows]
        del sites[index]
        self._rebuild(sites, focus=min(index, len(sites) - 1))

    def move_site(self, index: int, step: int) -> None:
        """Reorder: the site's number follows its place in the list."""
        target = index + step
        if not 0 <= target < len(self.rows):
            return
        sites = [r.site() for r in self.rows]
        sites[index], sites[target] = sites[target], sites[index]
        self._rebuild(sites, focus=target)

    def show_sites(self, sites: tuple[NeedlingSite, ...]) -> None:
        """The rows of a session as stored (nothing new: no change is announced, no site selected)."""
        loading, self._loading = self._loading, True
        try:
            self._clear()
            for site in sites:
                self.add_site(site)
        finally:
            self._loading = loading

    def sites(self) -> tuple[NeedlingSite, ...]:
        return tuple(row.site() for row in self.rows)

    def _rebuild(self, sites: list[NeedlingSite], focus: int | None = None) -> None:
        # Rows are rebuilt from their values so that names ("Site 2 dwell time") follow the position; a
        # message naming a site by its old number ("Site 2: the stop is undone") goes with them.
        self.says.emit("")
        self.show_sites(tuple(sites))
        if focus is not None and 0 <= focus < len(self.rows):
            self.rows[focus].region.setFocus(Qt.FocusReason.OtherFocusReason)
        self._row_changed()

    def _clear(self) -> None:
        for row in self.rows:
            for widget in (*row.widgets(), row.reason):
                for holder in (self.grid, self.reasons):
                    holder.removeWidget(widget)
                widget.deleteLater()
        self.rows = []

    def _row_changed(self, *_: object) -> None:
        if not self._loading:
            self.changed.emit()

    def _place_rows(self) -> None:
        for i, row in enumerate(self.rows):
            for column, widget in enumerate(row.widgets()):
                self.grid.addWidget(widget, 1 + i, column)
                # Shown now, not on the layout's next pass, so the new row can take the focus at once.
                widget.setVisible(True)
            self.reasons.addWidget(row.reason)  # never under its row: see SiteRow.reason
            row.show_undo_and_reason(self.signed or self.view_only)
        self.rows_changed.emit()

    def tab_chain(self) -> list[QWidget]:
        """The panel's fields in the order Tab walks them: each row from left to right, then Add."""
        chain: list[QWidget] = []
        for row in self.rows:
            chain += [*row.widgets()[1:], row.reason]
        return [*chain, self.add_site_button]

    def focused_site(self) -> int | None:
        focus = self.window().focusWidget()
        for i, row in enumerate(self.rows):
            if focus in row.widgets():
                return i
        return None

    def _move_focused(self, step: int) -> None:
        index = self.focused_site()
        if index is not None:
            self.move_site(index, step)

    # --- placing from the body chart -----------------------------------------------------
    def place(
        self, region: BodyRegion, side: Side, points: tuple[TriggerPoint, ...], add: bool = False
    ) -> SiteRow | None:
        """A marker placed on the chart: a new site there, or the selected site's (next) trigger point."""
        if self.signed:
            return None
        refusal = self.refuse_site(region, side)
        if refusal is not None:
            self.says.emit(refusal)
            return None
        if not self.confirm_site_in(region):
            self.says.emit("Site not added.")
            return None
        self.says.emit("")
        target = self._placement_target(region, add)
        if target is None:
            row = self.add_site(
                NeedlingSite(region=region, side=side, dwell_minutes=self.default_dwell, trigger_points=points)
            )
        else:
            row = self.rows[target]
            row.trigger_points = row.trigger_points + points
            if row.region.code() is None:
                row.region.set_code(region)
            if row.side.code() is None:
                row.side.set_code(side)
            elif row.is_mirror_of(region, side):
                # the same muscle on the patient's other side: one site, both sides, two markers
                row.side.set_code(Side.BILATERAL)
                self.says.emit(f"Site {target + 1} is now bilateral: a marker on each side.")
            self._row_changed()
        index = self.rows.index(row)
        self.select_site(index, point=len(row.trigger_points) - 1)
        row.focus_count()
        return row

    def _placement_target(self, region: BodyRegion, add: bool) -> int | None:
        """The selected site takes the marker when it has none yet (added from the table), or with Shift."""
        index = self.selected_site
        if index is None or index >= len(self.rows):
            return None
        row = self.rows[index]
        if add:
            return index
        if not row.trigger_points and row.region.code() in (None, region):
            return index
        return None

    def move_marker(self, site: int, point: int, moved: TriggerPoint, hit: tuple[BodyRegion, Side] | None) -> None:
        """A marker dragged to ``hit`` (the region under it); a site with one marker follows it to its region."""
        if self.signed or site >= len(self.rows):
            return
        row = self.rows[site]
        points = list(row.trigger_points)
        points[point] = moved
        row.trigger_points = tuple(points)
        if hit is not None and len(points) == 1:
            row.region.set_code(hit[0])
            row.side.set_code(hit[1])
        self.marker_selected.emit(site, point)
        self._row_changed()

    def delete_marker(self, site: int, point: int) -> None:
        if self.signed or site >= len(self.rows):
            return
        row = self.rows[site]
        row.trigger_points = row.trigger_points[:point] + row.trigger_points[point + 1 :]
        self.says.emit(f"Marker removed from site {site + 1}; the site itself stays (remove it with ✕).")
        self._row_changed()

    # --- the selected site ---------------------------------------------------------------
    def select_site(self, index: int | None, point: int | None = None) -> None:
        """The site the chart highlights, the quick-picks serve and a Shift+tap adds to."""
        if index is not None and not 0 <= index < len(self.rows):
            index = None
        self.selected_site = index
        for i, row in enumerate(self.rows):
            row.show_number(selected=i == index)
        self.site_selected.emit([r.trigger_points for r in self.rows], index, point)
        self._announce_picks()

    def _announce_picks(self) -> None:
        row = self.rows[self.selected_site] if self.selected_site is not None else None
        self.picks_changed.emit(self.selected_site, row.region.code() if row is not None else None)

    def clear_selection(self) -> None:
        """A tap that found no region: no site is selected, so a quick pick cannot land on an old one."""
        self.select_site(None)

    def quick_pick_site(self) -> int | None:
        """The site a quick pick acts on: the one whose field has the focus, else the one just placed or selected
        on the chart; None after a missed tap (the quick pick then does nothing and says so)."""
        index = self.focused_site()
        if index is None:
            index = self.selected_site
        if index is None or index >= len(self.rows):
            self.says.emit("No site selected: tap the figure or click into a site's row first.")
            return None
        if index != self.selected_site:
            self.select_site(index)
        return index

    def mark_twitch(self, response: TwitchResponse) -> None:
        """The twitch response of the site in hand, in one click or key (Alt+N, Alt+W, Alt+S)."""
        if self.signed or self.view_only:
            return
        index = self.quick_pick_site()
        if index is not None:
            self.rows[index].twitch.set_code(response)

    def pick_muscle(self, index: int) -> None:
        """A quick-pick: the muscle of the site in hand, then on to its needle count."""
        if self.signed:
            return
        site = self.quick_pick_site()
        if site is None:
            return
        row = self.rows[site]
        region = row.region.code()
        muscles = MUSCLES[region] if isinstance(region, BodyRegion) else ()
        if index < len(muscles):
            row.muscle.setCurrentText(muscles[index])
            row.focus_count()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A site row's field taking the focus makes that site the selected one (chart and quick-picks).
        if event.type() == QEvent.Type.FocusIn:
            for i, row in enumerate(self.rows):
                if watched in row.widgets():
                    if i != self.selected_site:
                        self.select_site(i)
                    break
        # Leaving a site's lot field (not for the completer's list) makes that lot the session's box.
        leaving = event.type() == QEvent.Type.FocusOut and isinstance(event, QFocusEvent)
        if leaving and event.reason() != Qt.FocusReason.PopupFocusReason:  # type: ignore[attr-defined]
            for row in self.rows:
                if watched is row.lot:
                    self._share_the_box(row)
        return super().eventFilter(watched, event)

    # --- dwell timers --------------------------------------------------------------------
    def toggle_timer(self, index: int) -> None:
        row = self.rows[index]
        if row.timer_started is None:
            self.start_timer(index)
        elif row.timer_stopped is None:
            self.stop_timer(index)

    def timer_in_hand(self) -> None:
        """Alt+T: start or stop the timer of the site in hand; once that one has stopped, the needles that went
        in first come out (the earliest running timer), so the keyboard stops them in the order they went in."""
        index = self.quick_pick_site()
        if index is None or self.signed or self.view_only:
            return
        if self.rows[index].timer_stopped is not None:
            running = [(r.timer_started, i) for i, r in enumerate(self.rows) if r.timer_started and not r.timer_stopped]
            if not running:
                return
            index = min(running)[1]
        self.toggle_timer(index)
        if self.rows[index].timer_stopped is None:  # the needles are in: a region's letter on Add starts the next
            self.add_site_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def stop_timers_past_dwell(self) -> None:
        """Shift+Alt+T: the needles out of every site whose timer reached its planned dwell, in the order they
        went in, each stopped and counted out as its own stop would; a timer short of its dwell runs on."""
        if self.signed or self.view_only:
            return
        now = self.clock()
        due = sorted(
            (r.timer_started, i)
            for i, r in enumerate(self.rows)
            if r.timer_started
            and not r.timer_stopped
            and timer_level(r.timer_started, r.dwell.number(), now) is not TimerLevel.RUNNING
        )
        for _, index in due:
            self.stop_timer(index)
        out = [f"site {i + 1} ({self.rows[i].out.value()})" for _, i in due]
        notes = [untimed_dwell_message(i, self.rows[i].site()) for _, i in due]
        said = "Needles out, each counted: " + ", ".join(out) + "." if out else "No timer has reached its dwell yet."
        self.says.emit(" ".join([said, *(n for n in notes if n)]))

    def start_timer(self, index: int) -> None:
        """The needles of this site are in: the timer starts now and is saved at once (it must survive a crash)."""
        if self.signed:
            return
        row = self.rows[index]
        row.timer_started = self.clock()
        row.timer_stopped = None
        self._row_changed()
        self.save_wanted.emit()
        self.tick_timers()

    def stop_timer(self, index: int) -> None:
        """The needles are out: the site records what the timer ran."""
        if self.signed:
            return
        row = self.rows[index]
        if row.timer_started is None or row.timer_stopped is not None:
            return
        self.record_stopped_timer(index, self.clock())
        self._row_changed()
        running = any(r.timer_started is not None and r.timer_stopped is None for r in self.rows)
        if not running and all(r.out.value() >= (r.needles.number() or 0) for r in self.rows):  # none still in
            self.needles_all_out.emit()
        self.save_wanted.emit()
        self.tick_timers()

    def record_stopped_timer(self, index: int, now: datetime) -> None:
        """What a stopped timer records (the domain's rule): its stop, the site's needles counted out, and the
        minutes it ran as the dwell when they are within the rules; else the timer's time is the record, the
        site asks for the reason, and the chart says why. The site as it was is kept for an undo."""
        row = self.rows[index]
        row.before_stop = row.site()
        stopped = stop_site_timer(row.before_stop, now)
        row.timer_stopped = stopped.timer_stopped
        row.dwell.set_number(stopped.dwell_minutes)
        row.out.setValue(stopped.needles_out)
        message = untimed_dwell_message(index, stopped)
        if message is not None:
            self.says.emit(message)

    def undo_stop(self, index: int) -> None:
        """An accidental Stop undone: the timer runs on from its original start, the needles are back in (the
        domain's rule), and the draft is saved at once with the undo audited (``timer_resumed``)."""
        row = self.rows[index]
        if self.signed or self.view_only or row.timer_started is None or row.timer_stopped is None:
            return
        resumed = resume_site_timer(row.site(), row.before_stop)
        said = f"Site {index + 1}: the stop is undone; its timer runs on from its start."
        if row.before_stop is None:  # stopped before the editor was last opened: the planned dwell was not kept
            resumed = replace(resumed, dwell_minutes=self.default_dwell)
            said += f" Its planned dwell is the clinic's {self.default_dwell} min again; change it if it was not."
        loading, self._loading = self._loading, True
        try:
            row.timer_stopped = None
            row.dwell.set_number(resumed.dwell_minutes)
            row.out.setValue(resumed.needles_out)
            row.reason.setText(resumed.dwell_reason)
        finally:
            self._loading = loading
        row.before_stop = None
        self.says.emit(said)
        self.tick_timers()
        self.timer_resumed.emit(index)

    def count_one_out(self) -> None:
        """One needle counted out (Alt+O): of the selected site while it has needles in, else of the first site
        that has; the timer's stop counts a whole site."""
        if self.signed or self.view_only:
            return

        def has_needles_in(row: SiteRow) -> bool:
            return row.out.value() < (row.needles.number() or 0)

        chosen = self.selected_site if self.selected_site is not None and self.selected_site < len(self.rows) else None
        if chosen is None or not has_needles_in(self.rows[chosen]):
            chosen = next((i for i, row in enumerate(self.rows) if has_needles_in(row)), None)
        if chosen is None:
            self.says.emit("Every site's needles are counted out.")
            return
        row = self.rows[chosen]
        row.out.setValue(row.out.value() + 1)

    def tick_timers(self) -> None:
        now = self.clock()
        running = False
        for row in self.rows:
            row.show_timer(now)
            row.timer.setEnabled(not self.signed and row.timer_stopped is None)
            row.show_undo_and_reason(self.signed or self.view_only)
            running = running or (row.timer_started is not None and row.timer_stopped is None)
        if running and not self._timer_tick.isActive():
            self._timer_tick.start()
        elif not running:
            self._timer_tick.stop()

    # --- one needle box per session (issue 11, item 6) ------------------------------------------
    def _box(self) -> tuple[str, str] | None:
        """The session's needle box: the lot (and size) of the last site that names one."""
        for row in reversed(self.rows):
            if row.lot.text().strip():
                return row.lot.text().strip(), row.size.currentText().strip()
        return None

    def _take_the_box(self, row: SiteRow) -> None:
        """A new site takes the session's box; the clinician may still type another lot on it."""
        box = self._box() or self._only_usable_lot()
        if box is not None:
            row.lot.setText(box[0])
            row.size.setCurrentText(box[1])

    def _only_usable_lot(self) -> tuple[str, str] | None:
        """Where the clinic's inventory holds one lot that may be used today, that is the box in hand."""
        usable = usable_lots(self.lots.values(), local_date(self.clock()))
        return (usable[0].lot, usable[0].size) if len(usable) == 1 else None

    def _share_the_box(self, row: SiteRow) -> None:
        """A lot typed once is the session's: its size from the inventory, and every site still without a
        lot takes both (a site with its own lot keeps it)."""
        lot = row.lot.text().strip()
        if not lot or self.signed:
            return
        known = {lot_key(name): stock for name, stock in self.lots.items()}.get(lot_key(lot))
        if known is not None:
            row.lot.setText(known.lot)
            row.size.setCurrentText(known.size)
        for other in self.rows:
            if other is not row and not other.lot.text().strip():
                other.lot.setText(row.lot.text())
                other.size.setCurrentText(row.size.currentText())

    def expired_lot_problems(self, content: TreatmentSession) -> list[FieldProblem]:
        """A site whose needle lot, one of the clinic's, had expired on the service day (the domain's rule)."""
        return session_lot_problems(content, self.lots.values(), inventory_kept=bool(self.lots))

    def show_problems(self, by_field: dict[str, list[str]]) -> None:
        """Each site's problems on its row's number, and all of them under the table (below the last row, so
        no row moves when one comes or goes)."""
        lines = list(by_field.get("sites", []))
        for i, row in enumerate(self.rows):
            messages = [m for f, ms in by_field.items() if f.startswith(f"sites[{i}].") for m in ms]
            row.show_problems(messages)
            lines += messages
        text = "\n".join(lines)
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def widget_for(self, field: str) -> QWidget | None:
        """The field of a site a problem names ("sites[2].dwell_minutes"), or the Add button for "sites"."""
        if field == "sites":
            return self.add_site_button
        if not (field.startswith("sites[") and "]." in field):
            return None
        index = int(field[6 : field.index("]")])
        name = field.split(".", 1)[1]
        if index >= len(self.rows):
            return None
        row = self.rows[index]
        return {
            "region": row.region,
            "side": row.side,
            "needles": row.needles,
            "needles_out": row.out,
            "dwell_minutes": row.dwell,
            "dwell_reason": row.reason,
            "twitch": row.twitch,
            "muscle": row.muscle,
            "needle_lot": row.lot,
            "timer": row.timer,
        }.get(name, row.region)

    def set_read_only(self, read_only: bool) -> None:
        set_inputs_enabled(self, not read_only)
        for row in self.rows:
            row.set_read_only(read_only)
        self.add_site_button.setEnabled(not read_only)
