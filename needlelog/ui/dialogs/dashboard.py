"""The clinic dashboard (Manager → Clinic dashboard…, issue 15): for a date range, per clinician and month, signed
visits, needles, mild reactions and adverse events as rates with 95 % Wilson intervals beside the published
rates; unsigned drafts by age, each opening the note (for its author to finish; others see it view-only); the
twitch mix; the same as a PDF report and CSV. Every figure comes from the services, counted by the database.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from needlelog.domain.dashboard import MEASURES, PUBLISHED, Dashboard
from needlelog.domain.errors import NeedlelogError
from needlelog.services.store import Services
from needlelog.ui.dialogs.register_base import RegisterDialog
from needlelog.ui.models.dashboard import DraftsModel, RatesModel, TwitchModel
from needlelog.ui.widgets.common import fixed_columns, named
from needlelog.ui.widgets.forms import button, combo, make_table, message_label, row_of


def months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def published_html() -> str:
    rows = "".join(
        f"<tr><td>{words}</td><td>{p.what}{f' ({p.note})' if p.note else ''}</td>"
        f"<td align='right'>{100 * p.proportion:.2f} %</td><td>{p.source}</td></tr>"
        for key, words in MEASURES
        for p in PUBLISHED[key]
    )
    return f"<table cellspacing='0' cellpadding='3'>{rows}</table>"


class DashboardDialog(RegisterDialog):
    """The clinic's oversight for a date range; ``open_note(session_id)`` asks the window to open a draft."""

    open_note = Signal(int)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(
            services,
            parent,
            prefix="dashboard",
            object_name="dashboardDialog",
            title="Clinic dashboard",
            size=(1240, 680),
        )
        self.found: Dashboard | None = None
        layout = QVBoxLayout(self)
        self._build_filters(layout)
        self.summary = message_label("dashboardSummary", "Summary of the range")
        layout.addWidget(self.summary)
        self.tabs = QTabWidget()
        named(self.tabs, "dashboardTabs", "Dashboard sections")
        self.tabs.addTab(self._build_rates(), "Rates")
        self.tabs.addTab(self._build_drafts(), "Unsigned drafts")
        self.tabs.addTab(self._build_twitch(), "Twitch responses")
        layout.addWidget(self.tabs, 1)
        layout.addLayout(row_of(self.save_pdf, self.save_csv, 1))
        self.finish(layout)
        self.reload()

    # --- building ------------------------------------------------------------------------------
    def _build_filters(self, layout: QVBoxLayout) -> None:
        first, last = self.date_pair(months_before(self.today, 11), self.today)
        try:
            people = self.services.clinic.clinicians()
        except NeedlelogError:
            people = []
        choices = [(f"{p.display_name} ({p.username})", p.username) for p in people]
        self.clinician = combo("dashboardClinician", "Clinician", [("All clinicians", None), *choices])
        self.show_button = button("Show", "dashboardShow", "Show the dashboard", "Count the visits in these dates")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.reload)
        dates = self.errors.beside("date_from", first, "the dates")
        layout.addLayout(row_of("Service dates", dates, "to", last, "  Clinician", self.clinician, self.show_button, 1))
        self.save_pdf = self.save_button(
            "Save PDF report…", "SavePdf", "Save the dashboard as a PDF report", self.ask_pdf
        )
        self.save_csv = self.save_button("Save CSV…", "SaveCsv", "Save the dashboard's figures as CSV", self.ask_csv)

    def _build_rates(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.rates = RatesModel(self)
        self.rates_view = make_table("dashboardRates", "Rates per clinician and month")
        self.rates_view.setModel(self.rates)
        fixed_columns(
            self.rates_view,
            stretch=0,
            samples={
                1: "0000-00",
                2: "Signed visits",
                3: "00,000",
                **{c: "0,000 · 00.0 % (00.0–00.0)" for c in range(4, 8)},
            },
        )
        box.addWidget(self.rates_view, 3)
        heading = QLabel("<b>Published rates to hold them against</b> (docs/CLINICAL.md)")
        box.addWidget(heading)
        published = QLabel(published_html())
        named(published, "dashboardPublished", "Published rates")
        published.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(published)
        return page

    def _build_drafts(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.drafts_count = message_label("dashboardDraftCount", "Unsigned drafts by age")
        box.addWidget(self.drafts_count)
        self.drafts = DraftsModel(self)
        self.drafts.private = bool(getattr(self.parent(), "private", False))
        self.drafts_view = make_table("dashboardDrafts", "Unsigned drafts, oldest first")
        self.drafts_view.setModel(self.drafts)
        fixed_columns(
            self.drafts_view,
            stretch=3,
            samples={0: "2–7 days (000 d)", 1: "0000-00-00 00:00", 2: "C000000", 4: "Marie-Ève Gauthier-Tremblay"},
        )
        self.drafts_view.doubleClicked.connect(self._draft_activated)
        self.open_button = button(
            "Open note", "dashboardOpenNote", "Open the chosen draft", "Its author finishes it; others see it view-only"
        )
        self.open_button.clicked.connect(self.open_chosen)
        box.addWidget(self.drafts_view, 1)
        box.addLayout(row_of(self.open_button, 1))
        return page

    def _build_twitch(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        self.twitch = TwitchModel(self)
        self.twitch_view = make_table("dashboardTwitch", "Twitch responses per clinician")
        self.twitch_view.setModel(self.twitch)
        box.addWidget(self.twitch_view, 1)
        return page

    # --- rows ----------------------------------------------------------------------------------
    def reload(self) -> None:
        self.errors.clear()
        self.saved.clear()
        dates = self.dates()
        if dates is None:
            return
        try:
            found = self.services.reports.dashboard(*dates, self.clinician.currentData())
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.found = found
        self.rates.set_rows([*found.by_clinician(), found.total(), *found.months])
        self.drafts.set_rows(list(found.drafts))
        self.twitch.set_rows(sorted(found.twitch_mix().items(), key=lambda item: item[0]))
        total = found.total()
        self.summary.setText(
            f"{total.visits:,} signed visits and {total.needles:,} needles from {found.first} to {found.last}; "
            f"{len(found.drafts):,} unsigned drafts. Clinicians' totals first, the clinic's, then each month."
        )
        ages = found.drafts_by_age()
        self.drafts_count.setText("Unsigned drafts: " + ", ".join(f"{n:,} {group}" for group, n in ages.items()))
        self.open_button.setEnabled(bool(found.drafts))

    def _draft_activated(self, index: QModelIndex) -> None:
        draft = self.drafts.row_at(index.row())
        if draft is not None:
            self.open_note.emit(draft.session_id)

    def open_chosen(self) -> None:
        index = self.drafts_view.currentIndex()
        if not index.isValid():
            self.errors.refuse("drafts", "Choose a draft in the list first.")
            return
        self._draft_activated(index)

    # --- saving --------------------------------------------------------------------------------
    def _stem(self) -> str:
        dates = self.dates() or (self.today, self.today)
        return f"clinic-report_{dates[0].isoformat()}_{dates[1].isoformat()}"

    def ask_pdf(self) -> None:
        self.choose_file("Save the clinic report", f"{self._stem()}.pdf", "PDF (*.pdf)", self.write_pdf)

    def ask_csv(self) -> None:
        self.choose_file("Save the clinic report's figures", f"{self._stem()}.csv", "CSV (*.csv)", self.write_csv)

    def write_pdf(self, path: Path) -> None:
        self._write(pdf=path, csv=None)

    def write_csv(self, path: Path) -> None:
        self._write(pdf=None, csv=path)

    def _write(self, *, pdf: Path | None, csv: Path | None) -> None:
        dates = self.dates()
        if dates is None:
            return

        def write() -> str:
            self.services.reports.write_report(*dates, pdf, csv, self.clinician.currentData())
            return f"Saved {pdf or csv}."

        self.save_with(write)

    def set_private(self, private: bool) -> None:
        self.drafts.set_private(private)
