"""The adverse-event register: visits with adverse events in a date range, and their follow-up notes.

Shown with ``open()`` (window-modal, never a nested event loop); asks the services for its rows
and shows every refusal (a field's problem, a missing right) in words beside the field.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.registers import RegisterEntry
from needlelog.services.store import Services
from needlelog.ui.dialogs.adverse_review import LateReportBox, ReviewBox, late_reports_html
from needlelog.ui.dialogs.register_base import RegisterDialog
from needlelog.ui.models.registers import AdverseRegisterModel
from needlelog.ui.widgets.common import fixed_columns, html, local_time, named
from needlelog.ui.widgets.forms import (
    button,
    counted,
    make_table,
    message_label,
    row_of,
)


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _paragraph(text: str) -> str:
    return html(text).replace("\n", "<br>")


class AdverseRegisterDialog(RegisterDialog):
    """Visits with adverse events (on the note or reported later) in a date range; the chosen one's events,
    follow-up notes and review; an event reported later; the register as CSV and PDF."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(
            services,
            parent,
            prefix="adverse",
            object_name="adverseRegisterDialog",
            title="Adverse-event register",
            size=(1180, 700),
        )
        layout = QVBoxLayout(self)
        self._build_dates(layout, self.today)
        self._build_table(private=bool(getattr(parent, "private", False)))
        forms = self._build_forms()
        layout.addWidget(self._build_split(forms), 1)
        self.finish(layout)
        self.reload()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- building ------------------------------------------------------------------------------
    def _build_dates(self, layout: QVBoxLayout, today: date) -> None:
        """The service dates to list (a year up to today), the Show and Save buttons and the count line."""
        self.date_pair(year_before(today), today)
        self.show_button = button("Show", "adverseShow", "Show the adverse events", "List the visits in these dates")
        self.show_button.clicked.connect(self.reload)
        dates_error = message_label("adverseError_dates", "Problem with the dates", error=True)
        self.errors.add("dates", dates_error, self.date_from)
        self.save_csv = self.save_button("Save CSV…", "SaveCsv", "Save the register as CSV", self.ask_csv)
        self.save_pdf = self.save_button("Save PDF…", "SavePdf", "Save the register as a PDF", self.ask_pdf)
        layout.addLayout(
            row_of(
                "Service dates", self.date_from, "to", self.date_to, self.show_button, 1, self.save_csv, self.save_pdf
            )
        )
        layout.addWidget(dates_error)
        self.count = message_label("adverseCount", "Number of visits with adverse events")
        layout.addWidget(self.count)

    def _build_table(self, *, private: bool) -> None:
        """The visits with adverse events (initials instead of names while ``private``)."""
        self.model = AdverseRegisterModel(self)
        self.model.private = private
        self.view = make_table("adverseTable", "Visits with adverse events")
        self.view.setModel(self.model)
        fixed_columns(
            self.view,
            stretch=4,
            samples={
                0: "0000-00-00 00:00",
                1: "C000000",
                2: "Firstname Familyname",
                3: "Marie-Ève Gauthier",
                5: "Signed",
                6: "Follow-ups",
                7: "Not graded",
                8: "Closed",
            },
        )
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)

    def _build_follow_up(self) -> QGroupBox:
        """The chosen visit's details and the form that adds a follow-up note to it."""
        self.detail = QTextBrowser()
        named(self.detail, "adverseDetail", "The visit's adverse events and follow-up notes")
        self.detail.setOpenLinks(False)
        self.follow_up = QPlainTextEdit()
        named(self.follow_up, "followUpText", "Follow-up note")
        self.follow_up.setPlaceholderText("What was done or learned since: a phone call, a referral, the outcome…")
        self.follow_up.setTabChangesFocus(True)
        self.add_button = button(
            "Add follow-up", "addFollowUp", "Add follow-up note", "Add this note to the chosen visit's adverse event"
        )
        self.add_button.clicked.connect(self.add_follow_up)
        follow_box = QGroupBox("New follow-up note")
        follow_layout = QVBoxLayout(follow_box)
        follow_layout.addLayout(self.errors.beside("follow_up", self.follow_up, "the follow-up note"))
        follow_layout.addLayout(row_of(1, self.add_button))
        self.status = message_label("adverseStatus", "Follow-up status")
        follow_layout.addWidget(self.status)
        return follow_box

    def _build_forms(self) -> QTabWidget:
        """The follow-up note, the review and the event reported later, one tab each."""
        self.review = ReviewBox(self.services, self.errors)
        self.late = LateReportBox(self.services, self.errors, self.today)
        for form in (self.review, self.late):
            form.changed.connect(self._load)
        tabs = QTabWidget()
        named(tabs, "adverseForms", "Follow-up, review, event reported later")
        tabs.addTab(self._build_follow_up(), "Follow-up")
        tabs.addTab(self.review, "Review")
        tabs.addTab(self.late, "Reported later")
        self.forms = tabs
        return tabs

    def _build_split(self, forms: QTabWidget) -> QSplitter:
        """The table above; the chosen visit and the forms below."""
        below = QWidget()
        below_layout = QHBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.detail, 3)
        below_layout.addWidget(forms, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        named(split, "adverseSplit", "Register and chosen visit")
        split.setChildrenCollapsible(False)
        split.addWidget(self.view)
        split.addWidget(below)
        split.setSizes([300, 300])
        return split

    # --- rows --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Ask for the visits in the dates on screen."""
        self._load(None)

    def _load(self, keep: int | None) -> None:
        """The rows again; the visit ``keep`` (else the one chosen now) stays chosen if it is still there."""
        if keep is None and (chosen := self.selected()) is not None:
            keep = chosen.session_id
        self.errors.clear()
        dates = self.dates("dates")
        if dates is None:
            return
        first, last = dates
        try:
            entries = self.services.registers.adverse_events(first, last)
        except NeedlelogError as exc:
            self.errors.show(exc)
            entries = []
        self.model.set_rows(entries)
        signed = sum(1 for entry in entries if entry.signed)
        self.count.setText(
            f"{counted(len(entries), 'visit')} with adverse events from {first.isoformat()} to {last.isoformat()}"
            + (f" ({signed:,} signed, {len(entries) - signed:,} draft)." if entries else ".")
        )
        row = next((i for i, e in enumerate(entries) if e.session_id == keep), 0 if entries else -1)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))
        self._show_entry(self.selected())

    def selected(self) -> RegisterEntry | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.status.clear()
        self._show_entry(self.model.row_at(current.row()) if current.isValid() else None)

    def _show_entry(self, entry: RegisterEntry | None) -> None:
        self.review.show_entry(entry)
        self.late.prefill(entry)
        self.add_button.setEnabled(entry is not None)
        self.follow_up.setEnabled(entry is not None)
        if entry is None:
            self.detail.setHtml("<p><i>Choose a visit above to see its adverse events and follow-up notes.</i></p>")
            return
        state = "signed note" if entry.signed else "draft, not yet signed"
        on_note = html("; ".join(kind.label for kind in entry.kinds))
        parts = [
            f"<p><b>{html(local_time(entry.service_start))} · chart {html(entry.chart_number)} · "
            f"{html(self.model.patient(entry.patient_name))}</b><br>"
            f"Clinician: {html(entry.clinician)} ({state})</p>",
            f"<p><b>Adverse events on the note:</b> {on_note or '<i>none</i>'}</p>",
            f"<p><b>Description:</b> {_paragraph(entry.description) if entry.description else '<i>none written</i>'}"
            "</p>",
            late_reports_html(entry),
            f"<p><b>Follow-up notes ({len(entry.follow_ups)})</b></p>",
        ]
        if not entry.follow_ups:
            parts.append("<p><i>No follow-up notes yet.</i></p>")
        for note in entry.follow_ups:
            parts.append(
                f"<p><b>{html(note.author)}</b>, {html(local_time(note.written_at))}<br>{_paragraph(note.text)}</p>"
            )
        self.detail.setHtml("".join(parts))

    # --- follow-up -----------------------------------------------------------------------------
    def add_follow_up(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        self.errors.clear()
        self.status.clear()
        try:
            self.services.registers.add_follow_up(entry.session_id, self.follow_up.toPlainText())
        except NeedlelogError as exc:
            self.errors.show(exc)
            return
        self.follow_up.clear()
        self._load(entry.session_id)
        self.status.setText(
            f"Follow-up note added to the visit of {local_time(entry.service_start)} (chart {entry.chart_number})."
        )

    # --- saving ---------------------------------------------------------------------------------
    def _stem(self) -> str:
        dates = self.dates("dates") or (self.today, self.today)
        return f"adverse-events_{dates[0].isoformat()}_{dates[1].isoformat()}"

    def ask_csv(self) -> None:
        self.choose_file("Save the adverse-event register", f"{self._stem()}.csv", "CSV (*.csv)", self.write_csv)

    def ask_pdf(self) -> None:
        self.choose_file("Save the adverse-event register", f"{self._stem()}.pdf", "PDF (*.pdf)", self.write_pdf)

    def write_csv(self, path: Path) -> None:
        self._write(path, None)

    def write_pdf(self, path: Path) -> None:
        self._write(None, path)

    def _write(self, csv: Path | None, pdf: Path | None) -> None:
        dates = self.dates("dates")
        if dates is None:
            return

        def write() -> str:
            count = self.services.registers.export_adverse_events(*dates, csv, pdf)
            return f"{counted(count, 'visit')} saved to {csv or pdf}."

        self.save_with(write)

    def set_private(self, private: bool) -> None:
        """The privacy key: initials instead of patients' names."""
        chosen = self.selected()
        self.model.set_private(private)
        self._load(chosen.session_id if chosen else None)
