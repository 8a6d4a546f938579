"""The session editor: chart one dry-needling visit while it happens, then sign it.

The window is composed of panels, each in :mod:`needlelog.ui.editor` (docs/ARCHITECTURE.md draws
them): the sites table, the body chart, the needle ledger, the visit facts, the draft keeper
(autosave and conflicts), the problems list with the Sign button, the amendments and the printed
note. They talk through Qt signals wired here; no panel touches another's widgets. The editor
itself only lays them out, reads the screen into one session, shows a session, and signs.

Every change is saved within two seconds (and on close) without a prompt; see
:mod:`needlelog.ui.editor.draft_keeper`.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from needlelog.domain.access import Action
from needlelog.domain.errors import ConflictError, ValidationError
from needlelog.domain.figure import body_figure
from needlelog.domain.model import Clinician, NeedlingSite, Patient, TreatmentSession, TriggerPoint
from needlelog.domain.rules import screening_problems, value_problems
from needlelog.domain.vocab import BodyRegion, FigureView, Precaution, TwitchResponse
from needlelog.services.store import Services
from needlelog.ui.editor.amendments import AmendmentsPanel
from needlelog.ui.editor.body_chart_panel import BodyChartPanel
from needlelog.ui.editor.draft_discarder import DraftDiscarder
from needlelog.ui.editor.draft_keeper import AUTOSAVE_MS, DraftKeeper
from needlelog.ui.editor.keyboard import letters_move_on
from needlelog.ui.editor.needle_ledger import NeedleLedgerPanel
from needlelog.ui.editor.outcomes_panel import OutcomesPanel
from needlelog.ui.editor.printed_note import PrintedNote
from needlelog.ui.editor.safety_panel import SafetyPanel
from needlelog.ui.editor.sign_problems import ProblemsList
from needlelog.ui.editor.site_row import SiteRow
from needlelog.ui.editor.sites import SitesPanel
from needlelog.ui.editor.visit_facts import VisitFacts
from needlelog.ui.models.patients import initials
from needlelog.ui.widgets.common import html, named
from needlelog.ui.widgets.fields import CodeCombo, OptionalSpin

# Kept importable from here: scripts and tests reach them (and the PDF viewer) through this module.
__all__ = ["AUTOSAVE_MS", "CodeCombo", "OptionalSpin", "QDesktopServices", "SessionEditor", "SiteRow"]


class SessionEditor(QWidget):
    """One draft (or signed note, read-only) in its own window."""

    saved = Signal(object)  # TreatmentSession
    signed = Signal(object)
    discarded = Signal(object)  # TreatmentSession: discarded by its clinician; the editor then closes
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
        self.patient = patient
        self.clinician = clinician
        self.clock = services.clock
        self._loading = False
        self.private = False
        # Who may only read (a manager) sees the same editor, read-only: nothing is ever saved from it.
        # Charting roles edit their own drafts; another clinician's draft is shown, not changed (the services
        # refuse it too).
        user = services.access.user
        self.view_only = not services.access.may(Action.CHART) or (user is not None and user.id != session.clinician_id)
        self.figure = body_figure()
        self.setObjectName("sessionEditor")
        self.setAccessibleName("Session editor")

        self.keeper = DraftKeeper(services, session, self.content, self.view_only, self)
        self.chart_panel = BodyChartPanel(self.figure, patient)
        self.sites = SitesPanel(services, self._confirm_surgery, self.view_only)
        self.facts = VisitFacts(patient, self.clock, self)
        self.outcomes = OutcomesPanel(self)
        self.safety = SafetyPanel(services, patient, clinician, self.view_only)
        self.sites.refuse_site = self.safety.site_refusal
        self.ledger = NeedleLedgerPanel()
        self.problems_list = ProblemsList(services, patient, clinician, self)
        self.amendments = AmendmentsPanel(services)
        self.printed = PrintedNote(services, session.id or 0, lambda path: ask_pdf_path(self, path), self)
        self.discarder = DraftDiscarder(services, self.keeper, self, self)
        self._lay_out()
        self._name_fields()
        self._wire()
        self.resize(1280, 760)
        self.show_session(session)
        self.keeper.clean()

    # --- composing -----------------------------------------------------------------------
    def _lay_out(self) -> None:
        """Banner and conflict bar on top; the chart beside the form (scrolled); problems and buttons below."""
        outer = QVBoxLayout(self)
        self.banner = QLabel("")
        named(self.banner, "editorBanner", "Patient and clinician")
        outer.addWidget(self.banner)
        self._show_names()
        outer.addWidget(self.safety)  # consent and precautions: before anything else (SPEC §2)
        outer.addWidget(self.keeper.conflict_bar)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setObjectName("editorScroll")
        body = QWidget()
        # Rows, not columns: the sites grid gets the whole width, so ten sites fit a 1366-pixel screen.
        # The body chart is a column of its own on the left, beside everything else, so the figure
        # stays in view while the sites are charted.
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.addWidget(self.chart_panel, 0)
        rows = QVBoxLayout()
        columns.addLayout(rows, 1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        facts = self.facts
        top = QHBoxLayout()
        top.addWidget(facts.visit_box, 3)
        top.addWidget(facts.pain_box, 1)
        top.addWidget(self.ledger, 2)
        rows.addLayout(top)
        rows.addWidget(self.sites)
        lower = QHBoxLayout()
        lower.addWidget(facts.reactions_box, 1)
        lower.addWidget(facts.adverse_box, 1)
        rows.addLayout(lower)
        last = QHBoxLayout()
        last.addWidget(facts.aftercare_box, 1)
        rows.addLayout(last)
        last.addWidget(facts.notes_box, 2)
        rows.addWidget(self.outcomes.box)
        rows.addWidget(self.amendments)
        outer.addWidget(self.problems_list.problems)
        bottom = QHBoxLayout()
        bottom.addWidget(self.discarder.discard_button)  # at the far left, away from Sign
        bottom.addWidget(self.keeper.save_state, 1)
        bottom.addWidget(self.printed.pdf_button)
        bottom.addWidget(self.printed.open_pdf_button)
        bottom.addWidget(self.printed.aftercare_button)
        bottom.addWidget(self.keeper.save_button)
        bottom.addWidget(self.problems_list.sign_button)
        outer.addLayout(bottom)

    def _wire(self) -> None:
        """The signals between the panels (the table in docs/ARCHITECTURE.md)."""
        sites, chart, keeper = self.sites, self.chart_panel, self.keeper
        for panel in (self.problems_list, keeper, self.printed):
            panel.bind_keys(self)
        QShortcut(QKeySequence("Ctrl+W"), self, activated=self.close)
        for panel in (sites, self.ledger, self.facts, chart, self.amendments, self.safety):
            panel.bind_keys(self)
        for change in (
            sites.changed,
            self.ledger.changed,
            self.facts.changed,
            self.safety.changed,
            self.outcomes.changed,
        ):
            change.connect(self._changed)
        self.safety.consent_recorded.connect(self._consent_recorded)
        sites.rows_changed.connect(self._update_tab_order)
        letters_move_on(sites, self.facts)  # a region's letter to its side, the condition's to the pain before
        sites.says.connect(chart.say)
        sites.save_wanted.connect(keeper.store_now)  # a timer's start is stored at once, even on an unsaved copy
        sites.timer_resumed.connect(self._timer_resumed)
        sites.needles_all_out.connect(self.facts.needles_out)
        self.ledger.count_one_out.connect(sites.count_one_out)
        sites.site_selected.connect(chart.show_selection)
        sites.picks_changed.connect(chart.show_quick_picks)
        sites.marker_selected.connect(chart.keep_selected)
        chart.place_requested.connect(sites.place)
        chart.marker_moved.connect(sites.move_marker)
        chart.marker_deleted.connect(sites.delete_marker)
        chart.site_clicked.connect(sites.select_site)
        chart.missed.connect(sites.clear_selection)
        chart.twitch_marked.connect(sites.mark_twitch)
        chart.muscle_picked.connect(sites.pick_muscle)
        chart.lung_site_added.connect(self.facts.tick_breathing_aftercare)
        keeper.saved.connect(self.saved)
        keeper.theirs_loaded.connect(self.show_session)
        self.problems_list.sign_requested.connect(self.sign)
        self.problems_list.go_to.connect(self._go_to_problem)
        self.amendments.added.connect(keeper.tell)
        self.printed.save_wanted.connect(self._store_for_print)
        self.printed.says.connect(keeper.tell)
        self.discarder.discarded.connect(self._discarded)

    def _update_tab_order(self) -> None:
        """Tab walks the form in reading order, through each site row from left to right."""
        chain = self.safety.tab_chain() + self.facts.tab_chain_above_sites()
        chain += self.sites.tab_chain() + self.ledger.tab_chain()
        chain += self.facts.tab_chain_below_ledger() + self.outcomes.tab_chain()
        chain += [self.keeper.save_button, self.problems_list.sign_button, self.discarder.discard_button]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _name_fields(self) -> None:
        """The names the editor's fields had before it was split into panels: the main window, scripts and
        tests reach them as ``editor.notes``, ``editor.removed``… Panels never use them."""
        facts, ledger, chart, keeper = self.facts, self.ledger, self.chart_panel, self.keeper
        self.start, self.end, self.end_set = facts.start, facts.end, facts.end_set
        self.condition, self.technique, self.estim = facts.condition, facts.technique, facts.estim
        self.acks, self.visit_error, self.pain_error = self.safety.acks, facts.visit_error, facts.pain_error
        self.pain_before, self.pain_after, self.soreness = facts.pain_before, facts.pain_after, facts.soreness
        self.reaction_checks, self.reaction_other = facts.reaction_checks, facts.reaction_other
        self.adverse_checks, self.adverse_text = facts.adverse_checks, facts.adverse_text
        self.aftercare_checks, self.notes = facts.aftercare_checks, facts.notes
        self.inserted, self.removed, self.count_out = ledger.inserted, ledger.removed, ledger.count_out
        self.sharps, self.ledger_status = ledger.sharps, ledger.status
        self.add_site_button, self.sites_error, self.lots = (
            self.sites.add_site_button,
            self.sites.error,
            self.sites.lots,
        )
        self.chart_box, self.chart, self.chart_message = chart, chart.chart, chart.message
        self.lung_caution, self.surgery_caution = chart.lung_caution, chart.surgery_caution
        self.place_region, self.place_side, self.place_button = chart.place_region, chart.place_side, chart.place_button
        self.twitch_title, self.twitch_picks = chart.twitch_title, chart.twitch_picks
        self.picks_title, self.quick_picks = chart.picks_title, chart.quick_picks
        self.conflict_bar, self.conflict_text = keeper.conflict_bar, keeper.conflict_text
        self.keep_mine, self.take_theirs = keeper.keep_mine, keeper.take_theirs
        self.save_state, self.save_button = keeper.save_state, keeper.save_button
        self.problems, self.sign_button = self.problems_list.problems, self.problems_list.sign_button
        self.pdf_button, self.open_pdf_button = self.printed.pdf_button, self.printed.open_pdf_button
        self.amendments_box, self.amendment_list = self.amendments, self.amendments.amendment_list
        self.amend_reason, self.amend_text = self.amendments.amend_reason, self.amendments.amend_text
        self.amend_button, self.amend_message = self.amendments.amend_button, self.amendments.amend_message

    @property
    def session(self) -> TreatmentSession:
        """The session as last stored or shown (the draft keeper holds it)."""
        return self.keeper.session

    @property
    def rows(self) -> list[SiteRow]:
        return self.sites.rows

    @property
    def selected_site(self) -> int | None:
        return self.sites.selected_site

    @property
    def print_folder(self) -> Path:
        return self.printed.print_folder

    @print_folder.setter
    def print_folder(self, folder: Path) -> None:
        self.printed.print_folder = folder

    # --- the patient's name (the privacy key) --------------------------------------------
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

    def _consent_recorded(self, patient: Patient) -> None:
        """Consent recorded in the safety panel: every panel judges by the patient as now stored."""
        self.patient = patient
        self.problems_list.patient = patient
        self.chart_panel.patient = patient
        self.chart_panel.say("Consent recorded: needling sites can be placed.")
        self._refresh()

    def _confirm_surgery(self, region: BodyRegion) -> bool:
        """Ask before a site goes where the patient was recently operated on (screening)."""
        screening = self.patient.screening
        if Precaution.RECENT_SURGERY not in screening.positive or screening.surgery_region is not region:
            return True
        return confirm_recent_surgery(
            self,
            f"{self._shown_name()} had recent surgery in the {region.label.lower()} region "
            "(screening). Add a needling site there?",
        )

    # --- reading and showing -------------------------------------------------------------
    def content(self) -> TreatmentSession:
        """The session exactly as it is on screen."""
        return replace(
            self.keeper.session,
            **self.facts.values(),  # type: ignore[arg-type]
            **self.safety.values(),  # type: ignore[arg-type]
            sites=self.sites.sites(),
            **self.ledger.values(),  # type: ignore[arg-type]
            **self.outcomes.values(),  # type: ignore[arg-type]
        )

    def show_session(self, session: TreatmentSession) -> None:
        self._loading = True
        try:
            self.keeper.session = session
            self.sites.signed = session.is_signed
            self.facts.show_session(session)
            self.safety.show_session(session)
            self.sites.show_sites(session.sites)
            self.ledger.show_session(session)
            self.outcomes.show_session(session)
        finally:
            self._loading = False
        self.chart_panel.accept_charted(session)
        self._refresh()
        self._set_read_only(session.is_signed or self.view_only)
        self.sites.select_site(self.sites.selected_site)
        self.sites.tick_timers()
        self.amendments.show_session(session)
        self.keeper.show_signature()

    def _set_read_only(self, read_only: bool) -> None:
        panels = (self.facts, self.safety, self.ledger, self.sites, self.amendments, self.keeper, self.problems_list)
        self.outcomes.set_read_only(read_only)
        for panel in panels:
            panel.set_read_only(read_only)
        self.chart_panel.set_read_only(read_only)
        self.discarder.set_read_only(read_only)
        if read_only:  # what the chart said of the draft ("write the reason, or undo the stop") is stale now
            self.chart_panel.say("")

    # --- change and check ----------------------------------------------------------------
    def _changed(self) -> None:
        if self._loading or self.session.is_signed or self.view_only:
            return
        self._refresh()
        self.keeper.note_change()

    def _refresh(self) -> None:
        """Show every value problem beside its field, the cautions and the ledger, as the user types."""
        content = self.content()
        self.chart_panel.show_sites(content)
        self.safety.show_day(content)
        problems = value_problems(content, self.clock()) + self.sites.expired_lot_problems(content)
        problems += screening_problems(content, self.patient)
        by_field: dict[str, list[str]] = {}
        for problem in problems:
            by_field.setdefault(problem.field, []).append(problem.message)
        self.sites.show_problems(by_field)
        self.facts.show_problems(by_field)
        self.outcomes.show_problems(by_field)
        self.problems_list.show_readiness(content, self.sites.expired_lot_problems(content))
        self.ledger.show_ledger(content)

    def widget_for(self, field: str) -> QWidget | None:
        """The field a problem names, so the user can be taken to it."""
        for panel in (self.safety, self.sites, self.facts, self.ledger, self.outcomes):
            widget = panel.widget_for(field)
            if widget is not None:
                return widget
        return None

    def _go_to_problem(self, field: str) -> None:
        widget = self.widget_for(field)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _timer_resumed(self, index: int) -> None:
        """An accidental stop undone on screen: saved at once through the use case that audits it."""
        if self._loading or self.session.is_signed or self.view_only:
            return
        self.facts.needles_back_in()
        self._refresh()
        self.keeper.save_by(lambda content: self.services.sessions.resume_timer(content, index))

    # --- signing -------------------------------------------------------------------------
    def sign(self) -> None:
        if self.session.is_signed:
            return
        if self.session.id is None and not self.keeper.store_now():
            return  # an unsaved copy is written first; why it was not is on the save state line
        content = self.content()
        problems = self.services.sessions.sign_problems(content, self.clinician.id or 0)
        if problems:
            self.problems_list.show_problems(problems)
            self.save_now()
            return
        try:
            signed = self.services.sessions.sign(content, self.clinician.id or 0)
        except ValidationError as exc:
            self.problems_list.show_problems(list(exc.problems))
            return
        except ConflictError as exc:
            self.keeper.enter_conflict(str(exc))
            return
        self.problems_list.signed()
        self.show_session(signed)
        self.signed.emit(signed)

    def _store_for_print(self) -> None:
        """A PDF is of the stored note: an unsaved copy is written first, and the printer learns its id."""
        self.keeper.store_now()
        self.printed.session_id = self.session.id or 0

    def _discarded(self, stored: TreatmentSession) -> None:
        """Discarded (kept in the file, gone from the chart): the window closes, saving nothing more."""
        self.discarded.emit(stored)
        self.close()

    # --- what the main window, scripts and tests call ------------------------------------
    def save_now(self) -> bool:
        return self.keeper.save_now()

    def savable(self) -> TreatmentSession:
        return self.keeper.savable()

    def save_mine_over_theirs(self) -> None:
        self.keeper.save_mine_over_theirs()

    def load_theirs(self) -> None:
        self.keeper.load_theirs()

    def add_site(self, site: NeedlingSite | None = None, focus: bool = False) -> SiteRow:
        return self.sites.add_site(site, focus)

    def remove_site(self, index: int) -> None:
        self.sites.remove_site(index)

    def move_site(self, index: int, step: int) -> None:
        self.sites.move_site(index, step)

    def focused_site(self) -> int | None:
        return self.sites.focused_site()

    def select_site(self, index: int | None, point: int | None = None) -> None:
        self.sites.select_site(index, point)

    def place_marker(self, view: FigureView, x: float, y: float, add: bool = False) -> SiteRow | None:
        """A tap on the figure at (x, y): the site it made or added to, or None."""
        placement = self.chart_panel.placement_at(view, x, y)
        return None if placement is None else self.sites.place(*placement, add)

    def place_from_lists(self) -> SiteRow | None:
        placement = self.chart_panel.placement_from_lists()
        return None if placement is None else self.sites.place(*placement)

    def move_marker(self, site: int, point: int, moved: TriggerPoint) -> None:
        self.chart_panel.move_marker(site, point, moved)

    def delete_marker(self, site: int, point: int) -> None:
        self.sites.delete_marker(site, point)

    def mark_twitch(self, response: TwitchResponse) -> None:
        self.sites.mark_twitch(response)

    def pick_muscle(self, index: int) -> None:
        self.sites.pick_muscle(index)

    def toggle_timer(self, index: int) -> None:
        self.sites.toggle_timer(index)

    def start_timer(self, index: int) -> None:
        self.sites.start_timer(index)

    def stop_timer(self, index: int) -> None:
        self.sites.stop_timer(index)

    def tick_timers(self) -> None:
        self.sites.tick_timers()

    def amend(self) -> bool:
        return self.amendments.amend()

    def discard(self) -> bool:
        """Discard draft…: asks the reason; True when discarded (the window then closes)."""
        return self.discarder.discard()

    def save_pdf(self) -> Path | None:
        return self.printed.save_pdf()

    def open_pdf(self) -> Path | None:
        return self.printed.open_pdf()

    def open_aftercare(self) -> Path | None:
        return self.printed.open_aftercare()

    # --- size and closing ----------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        """The chart takes a fifth of the width, within bounds: the sites need the rest on a small screen."""
        self.chart_panel.fit_to(event.size().width())
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
        return self.keeper.try_to_close()


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
