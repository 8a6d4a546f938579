"""The manager's registers: adverse events with follow-up notes, needle lots and recalls, the audit trail.

Each dialog is shown with ``open()`` (window-modal, never a nested event loop), asks the services
for its rows and shows every refusal (a field's problem, a missing right) in words beside the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError, ValidationError
from needlelog.domain.lots import NeedleLot
from needlelog.domain.registers import AuditLine, RecallHit, RegisterEntry
from needlelog.domain.rules import local_date
from needlelog.services.store import Services
from needlelog.ui.models.paged import PagedTableModel
from needlelog.ui.widgets.common import day_of, fixed_columns, html, local_time, named, qdate, table_view

ERROR_STYLE = "color: #a11a1a;"
EXPIRED = QColor("#a11a1a")
# The audit service returns at most this many rows (newest first); the count line says when it did.
AUDIT_ROWS_SHOWN = 2000
AUDIT_DAYS = 30

Index = QModelIndex | QPersistentModelIndex


# --- shared pieces (the users dialog uses them too) -----------------------------------------


def counted(number: int, word: str, words: str | None = None) -> str:
    return f"{number:,} {word if number == 1 else words or word + 's'}"


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def name_initials(name: str) -> str:
    """ "Z. N." for "Zoë Nguyễn": what the privacy key shows instead of a patient's name."""
    return " ".join(f"{part[0]}." for part in name.split()) or "•"


def make_table(object_name: str, accessible: str) -> QTableView:
    return table_view(object_name, accessible, row_height=28)


def date_edit(object_name: str, accessible: str, day: date) -> QDateEdit:
    edit = QDateEdit()
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setCalendarPopup(True)
    edit.setDate(qdate(day))
    named(edit, object_name, accessible)
    return edit


def button(text: str, object_name: str, accessible: str, tooltip: str = "") -> QPushButton:
    push = QPushButton(text)
    named(push, object_name, accessible, tooltip)
    push.setAutoDefault(False)
    push.setMinimumHeight(32)
    return push


def message_label(object_name: str, accessible: str, *, error: bool = False) -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if error:
        label.setStyleSheet(ERROR_STYLE)
    named(label, object_name, accessible)
    return label


class FieldErrors:
    """Error labels beside the fields, keyed by the services' field names.

    ``show`` places each problem of a :class:`ValidationError` under its field and puts the
    rest (and every other refusal: a missing right, a record gone) in the general label.
    """

    def __init__(self, prefix: str, general: QLabel) -> None:
        self.prefix = prefix
        self.general = general
        self.labels: dict[str, QLabel] = {}
        self.widgets: dict[str, QWidget] = {}

    def beside(self, field: str, widget: QWidget, words: str) -> QVBoxLayout:
        """``widget`` with its (hidden until needed) error label under it."""
        label = message_label(f"{self.prefix}Error_{field}", f"Problem with {words}", error=True)
        label.hide()
        self.labels[field] = label
        self.widgets[field] = widget
        box = QVBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(label)
        return box

    def add(self, field: str, label: QLabel, widget: QWidget | None = None) -> None:
        label.hide()
        self.labels[field] = label
        if widget is not None:
            self.widgets[field] = widget

    def clear(self) -> None:
        for label in self.labels.values():
            label.clear()
            label.hide()
        self.general.clear()

    def show(self, exc: NeedlelogError) -> None:
        self.clear()
        unplaced: list[str] = []
        first: QWidget | None = None
        problems = exc.problems if isinstance(exc, ValidationError) else ()
        for problem in problems:
            label = self.labels.get(problem.field)
            if label is None:
                unplaced.append(problem.message)
                continue
            label.setText(f"{label.text()} {problem.message}".strip())
            label.show()
            first = first or self.widgets.get(problem.field)
        if not problems:
            unplaced.append(" ".join(str(exc).split()))
        self.general.setText(" ".join(unplaced))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def refuse(self, field: str, message: str) -> None:
        """A problem the dialog itself finds (two passwords that differ, dates in the wrong order)."""
        self.show(ValidationError.single(field, message))


def close_row(dialog: QDialog, prefix: str) -> tuple[QHBoxLayout, QPushButton]:
    row = QHBoxLayout()
    row.addStretch(1)
    close = button("Close", f"{prefix}Close", "Close")
    close.clicked.connect(dialog.reject)
    row.addWidget(close)
    return row, close


def row_of(*items: QWidget | QLayout | str | int) -> QHBoxLayout:
    """A horizontal row: widgets, layouts, words (as labels) and stretches (ints)."""
    row = QHBoxLayout()
    for item in items:
        if isinstance(item, str):
            row.addWidget(QLabel(item))
        elif isinstance(item, int):
            row.addStretch(item)
        elif isinstance(item, QLayout):
            row.addLayout(item)
        else:
            row.addWidget(item)
    return row


# --- item models (fed rows by their dialog; they never query) -------------------------------


class _PatientRows:
    private = False

    def patient(self, name: str) -> str:
        return name_initials(name) if self.private else name

    def set_private(self, private: bool) -> None:
        self.private = private
        self.set_rows(list(self._rows))  # type: ignore[attr-defined]  # (a mixin of PagedTableModel)


class AdverseRegisterModel(_PatientRows, PagedTableModel[RegisterEntry]):
    headers = ("Date", "Chart", "Patient", "Clinician", "Adverse events", "Signed", "Follow-ups")

    def display(self, row: RegisterEntry, column: int) -> str:
        if column == 0:
            return local_time(row.service_start)
        if column == 1:
            return row.chart_number
        if column == 2:
            return self.patient(row.patient_name)
        if column == 3:
            return row.clinician
        if column == 4:
            return "; ".join(kind.label for kind in row.kinds)
        if column == 5:
            return "Signed" if row.signed else "Draft"
        return str(len(row.follow_ups)) if row.follow_ups else "–"

    def tooltip(self, row: RegisterEntry, column: int) -> str | None:
        if column == 4:
            return "\n".join(kind.label for kind in row.kinds) + (f"\n\n{row.description}" if row.description else "")
        return None


class LotModel(PagedTableModel[NeedleLot]):
    headers = ("Lot", "Brand", "Size", "Expiry", "Status")
    today = date.min

    def display(self, row: NeedleLot, column: int) -> str:
        if column == 0:
            return row.lot
        if column == 1:
            return row.brand
        if column == 2:
            return row.size
        if column == 3:
            return row.expiry.isoformat()
        return "EXPIRED" if row.expired_on(self.today) else "In date"

    def tooltip(self, row: NeedleLot, column: int) -> str | None:
        if row.expired_on(self.today):
            return f"Lot {row.lot} expired on {row.expiry.isoformat()}: it cannot be used for new sessions."
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole):
            lot = self.row_at(index.row()) if index.isValid() else None
            if lot is None or not lot.expired_on(self.today):
                return None
            if role == Qt.ItemDataRole.ForegroundRole:
                return EXPIRED
            if index.column() == 4:
                font = QFont()
                font.setBold(True)
                return font
            return None
        return super().data(index, role)


class RecallModel(_PatientRows, PagedTableModel[RecallHit]):
    headers = ("Service date", "Chart", "Patient", "Clinician", "Site #", "Needles")

    def display(self, row: RecallHit, column: int) -> str:
        if column == 0:
            return local_time(row.service_start)
        if column == 1:
            return row.chart_number
        if column == 2:
            return self.patient(row.patient_name)
        if column == 3:
            return row.clinician
        if column == 4:
            return str(row.site_number)
        return "–" if row.needles is None else str(row.needles)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and index.isValid() and index.column() >= 4:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().data(index, role)


class AuditModel(PagedTableModel[AuditLine]):
    headers = ("Time", "User", "Role", "Action", "Chart", "Session", "Detail")

    def display(self, row: AuditLine, column: int) -> str:
        entry = row.entry
        if column == 0:
            return local_time(entry.at, "%Y-%m-%d %H:%M:%S")
        if column == 1:
            return entry.user
        if column == 2:
            return entry.role
        if column == 3:
            return entry.action.value.replace("_", " ")
        if column == 4:
            return row.chart_number
        if column == 5:
            return "" if entry.session_id is None else str(entry.session_id)
        return " ".join(entry.detail.split())  # one line in the table; the tooltip keeps its breaks

    def tooltip(self, row: AuditLine, column: int) -> str | None:
        return (row.entry.detail or None) if column == 6 else None


# --- the adverse-event register --------------------------------------------------------------


class AdverseRegisterDialog(QDialog):
    """Visits with adverse events in a date range; the chosen one's description and follow-up notes."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        named(self, "adverseRegisterDialog", "Adverse-event register")
        self.setWindowTitle("Adverse-event register")
        self.resize(1120, 660)
        today = local_date(services.clock())
        layout = QVBoxLayout(self)

        self.date_from = date_edit("adverseFrom", "From date", year_before(today))
        self.date_to = date_edit("adverseTo", "To date", today)
        self.show_button = button("Show", "adverseShow", "Show the adverse events", "List the visits in these dates")
        self.show_button.clicked.connect(self.reload)
        self.general = message_label("adverseError", "Problem", error=True)
        self.errors = FieldErrors("adverse", self.general)
        dates_error = message_label("adverseError_dates", "Problem with the dates", error=True)
        self.errors.add("dates", dates_error, self.date_from)
        layout.addLayout(row_of("Service dates", self.date_from, "to", self.date_to, self.show_button, 1))
        layout.addWidget(dates_error)
        self.count = message_label("adverseCount", "Number of visits with adverse events")
        layout.addWidget(self.count)

        self.model = AdverseRegisterModel(self)
        self.model.private = bool(getattr(parent, "private", False))
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
            },
        )
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)

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

        below = QWidget()
        below_layout = QHBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(self.detail, 3)
        below_layout.addWidget(follow_box, 2)
        split = QSplitter(Qt.Orientation.Vertical)
        named(split, "adverseSplit", "Register and chosen visit")
        split.setChildrenCollapsible(False)
        split.addWidget(self.view)
        split.addWidget(below)
        split.setSizes([330, 260])
        layout.addWidget(split, 1)
        layout.addWidget(self.general)
        closing, self.close_button = close_row(self, "adverse")
        layout.addLayout(closing)
        self.reload()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    # --- rows --------------------------------------------------------------------------------
    def reload(self) -> None:
        """Ask for the visits in the dates on screen."""
        self._load(None)

    def _load(self, keep: int | None) -> None:
        """The rows again; the visit ``keep`` (else the one chosen now) stays chosen if it is still there."""
        if keep is None and (chosen := self.selected()) is not None:
            keep = chosen.session_id
        self.errors.clear()
        first, last = day_of(self.date_from.date()), day_of(self.date_to.date())
        if first > last:
            self.errors.refuse("dates", "The from date is after the to date.")
            return
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
        self.add_button.setEnabled(entry is not None)
        self.follow_up.setEnabled(entry is not None)
        if entry is None:
            self.detail.setHtml("<p><i>Choose a visit above to see its adverse events and follow-up notes.</i></p>")
            return
        state = "signed note" if entry.signed else "draft, not yet signed"
        parts = [
            f"<p><b>{html(local_time(entry.service_start))} · chart {html(entry.chart_number)} · "
            f"{html(self.model.patient(entry.patient_name))}</b><br>"
            f"Clinician: {html(entry.clinician)} ({state})</p>",
            f"<p><b>Adverse events:</b> {html('; '.join(kind.label for kind in entry.kinds))}</p>",
            f"<p><b>Description:</b> {_paragraph(entry.description) if entry.description else '<i>none written</i>'}"
            "</p>",
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

    def set_private(self, private: bool) -> None:
        """The privacy key: initials instead of patients' names."""
        chosen = self.selected()
        self.model.set_private(private)
        self._load(chosen.session_id if chosen else None)


def _paragraph(text: str) -> str:
    return html(text).replace("\n", "<br>")


# --- needle lots and recall ------------------------------------------------------------------


class NeedleLotsDialog(QDialog):
    """The needle-lot inventory, adding a lot, and the recall search: which visits used lot X."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        named(self, "needleLotsDialog", "Needle lots and recall")
        self.setWindowTitle("Needle lots and recall")
        self.resize(1240, 640)
        self.today = local_date(services.clock())
        layout = QVBoxLayout(self)
        columns = QHBoxLayout()
        layout.addLayout(columns, 1)

        # The inventory and the form that adds to it.
        inventory = QGroupBox("Inventory")
        inventory_layout = QVBoxLayout(inventory)
        self.lot_model = LotModel(self)
        self.lot_model.today = self.today
        self.lot_view = make_table("lotTable", "Needle lots")
        self.lot_view.setModel(self.lot_model)
        samples = {0: "L0000-00-XX", 2: "0.25 x 30 mm", 3: "0000-00-00", 4: "EXPIRED"}
        fixed_columns(self.lot_view, stretch=1, samples=samples)
        self.lot_view.setToolTip("Double-click a lot to find the patients who got it")
        self.lot_view.activated.connect(self._lot_activated)
        inventory_layout.addWidget(self.lot_view, 1)
        self.lot_count = message_label("lotCount", "Number of lots")
        inventory_layout.addWidget(self.lot_count)

        adding = QGroupBox("Add a lot")
        form = QFormLayout(adding)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.add_general = message_label("addLotError", "Problem adding the lot", error=True)
        self.add_errors = FieldErrors("addLot", self.add_general)
        self.brand = QLineEdit()
        named(self.brand, "lotBrand", "Brand")
        self.brand.setPlaceholderText("e.g. Seirin J-type")
        self.lot_size = QLineEdit()
        named(self.lot_size, "lotSize", "Needle size")
        self.lot_size.setPlaceholderText("e.g. 0.25 x 30 mm")
        self.lot = QLineEdit()
        named(self.lot, "lotNumber", "Lot number")
        self.lot.setPlaceholderText("As printed on the box")
        # Today, not a guess years ahead: a lot added without its real date expires at once (the safe side).
        self.expiry = date_edit("lotExpiry", "Expiry date", self.today)
        self.expiry.setToolTip("The expiry date printed on the box")
        for words, widget, field in (
            ("Brand", self.brand, "brand"),
            ("Size", self.lot_size, "size"),
            ("Lot number", self.lot, "lot"),
            ("Expiry", self.expiry, "expiry"),
        ):
            form.addRow(words, self.add_errors.beside(field, widget, words.lower()))
        self.add_button = button("Add lot", "addLot", "Add the lot", "Add this lot to the inventory")
        self.add_button.clicked.connect(self.add_lot)
        self.lot.returnPressed.connect(self.add_lot)
        self.add_status = message_label("addLotStatus", "Lot added")
        form.addRow("", row_of(self.add_button, 1))
        form.addRow(self.add_general)
        form.addRow(self.add_status)
        inventory_layout.addWidget(adding)
        columns.addWidget(inventory, 4)

        # The recall.
        recall = QGroupBox("Recall: which patients got a lot")
        recall_layout = QVBoxLayout(recall)
        self.recall_general = message_label("recallError", "Problem with the recall search", error=True)
        self.recall_errors = FieldErrors("recall", self.recall_general)
        self.recall_lot = QLineEdit()
        named(self.recall_lot, "recallLot", "Lot number to recall")
        self.recall_lot.setPlaceholderText("Lot number, e.g. L2300-11")
        self.recall_lot.returnPressed.connect(self.find_patients)
        self.find_button = button(
            "Find patients", "findPatients", "Find patients", "List every visit whose needles came from this lot"
        )
        self.find_button.clicked.connect(self.find_patients)
        recall_layout.addLayout(
            row_of("Lot", self.recall_errors.beside("lot", self.recall_lot, "the lot number"), self.find_button)
        )
        self.recall_count = message_label("recallCount", "Recall result")
        font = self.recall_count.font()
        font.setBold(True)
        self.recall_count.setFont(font)
        recall_layout.addWidget(self.recall_count)
        self.recall_model = RecallModel(self)
        self.recall_model.private = bool(getattr(parent, "private", False))
        self.recall_view = make_table("recallTable", "Visits that used the lot")
        self.recall_view.setModel(self.recall_model)
        fixed_columns(
            self.recall_view,
            stretch=2,
            samples={0: "0000-00-00 00:00", 1: "C000000", 3: "Marie-Ève Gauthier", 4: "Site #", 5: "Needles"},
        )
        recall_layout.addWidget(self.recall_view, 1)
        recall_layout.addWidget(self.recall_general)
        columns.addWidget(recall, 5)

        closing, self.close_button = close_row(self, "lots")
        layout.addLayout(closing)
        self.last_recall: list[RecallHit] = []
        self.lots: list[NeedleLot] = []
        self.reload()

    def reload(self) -> None:
        try:
            lots = self.services.registers.lots()
        except NeedlelogError as exc:
            self.add_errors.show(exc)
            lots = []
        self.lots = lots
        self.lot_model.set_rows(lots)
        expired = sum(1 for lot in lots if lot.expired_on(self.today))
        self.lot_count.setText(f"{counted(len(lots), 'lot')}" + (f", {expired:,} expired." if expired else "."))

    def add_lot(self) -> None:
        self.add_status.clear()
        lot = NeedleLot(self.brand.text(), self.lot_size.text(), self.lot.text(), day_of(self.expiry.date()))
        try:
            added = self.services.registers.add_lot(lot)
        except NeedlelogError as exc:
            self.add_errors.show(exc)
            return
        self.add_errors.clear()
        self.reload()
        for row in range(self.lot_model.rowCount()):
            shown = self.lot_model.row_at(row)
            if shown is not None and shown.lot == added.lot:
                self.lot_view.setCurrentIndex(self.lot_model.index(row, 0))
        self.lot.clear()
        self.add_status.setText(f"Lot {added.lot} added ({added.brand} {added.size}, expires {added.expiry}).")
        self.lot.setFocus(Qt.FocusReason.OtherFocusReason)

    def _lot_activated(self, index: QModelIndex) -> None:
        lot = self.lot_model.row_at(index.row())
        if lot is not None:
            self.recall_lot.setText(lot.lot)
            self.find_patients()

    def find_patients(self) -> None:
        lot = self.recall_lot.text().strip()
        try:
            hits = self.services.registers.recall(lot)
        except NeedlelogError as exc:
            self.recall_errors.show(exc)
            return
        self.recall_errors.clear()
        self.last_recall = hits
        self.recall_model.set_rows(hits)
        known = any(stocked.lot.lower() == lot.lower() for stocked in self.lots)
        self.recall_count.setText(recall_summary(hits, lot, known=known))

    def set_private(self, private: bool) -> None:
        """The privacy key: initials instead of patients' names."""
        self.recall_model.set_private(private)


def recall_summary(hits: Sequence[RecallHit], lot: str, *, known: bool = True) -> str:
    if not hits:
        return f"No visit used lot {lot}." + ("" if known else " (It is not in the inventory either.)")
    visits = len({hit.session_id for hit in hits})
    patients = len({hit.chart_number for hit in hits})
    sites = len(hits)
    return (
        f"{counted(visits, 'visit')}, {counted(patients, 'patient')} used lot {lot} "
        f"({counted(sites, 'needling site')})."
    )


# --- the audit trail -------------------------------------------------------------------------


class AuditDialog(QDialog):
    """Who did what and when: by dates, user name and patient chart number, newest first."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        named(self, "auditDialog", "Audit trail")
        self.setWindowTitle("Audit trail")
        self.resize(1180, 640)
        today = local_date(services.clock())
        layout = QVBoxLayout(self)
        self.general = message_label("auditError", "Problem", error=True)
        self.errors = FieldErrors("audit", self.general)
        self.date_from = date_edit("auditFrom", "From date", today - timedelta(days=AUDIT_DAYS))
        self.date_to = date_edit("auditTo", "To date", today)
        self.user = QLineEdit()
        named(self.user, "auditUser", "User name", "Only this user's actions (their user name, e.g. kpatel)")
        self.user.setPlaceholderText("Any user")
        self.chart = QLineEdit()
        named(self.chart, "auditChart", "Patient chart number", "Only actions about this patient")
        self.chart.setPlaceholderText("Any patient")
        for edit in (self.user, self.chart):
            edit.setClearButtonEnabled(True)
            edit.setMaximumWidth(200)  # Enter in either runs the search: "Show" is the default button
        self.show_button = button("Show", "auditShow", "Show the audit trail", "List the actions that match")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.reload)
        filters = row_of(
            "From",
            self.errors.beside("date_from", self.date_from, "the dates"),
            "to",
            self.date_to,
            "  User",
            self.errors.beside("user", self.user, "the user name"),
            "  Chart",
            self.errors.beside("chart_number", self.chart, "the chart number"),
            self.show_button,
            1,
        )
        filters.setAlignment(Qt.AlignmentFlag.AlignTop)
        layout.addLayout(filters)
        self.count = message_label("auditCount", "Number of audit entries")
        layout.addWidget(self.count)
        self.model = AuditModel(self)
        self.view = make_table("auditTable", "Audit trail")
        self.view.setModel(self.model)
        fixed_columns(
            self.view,
            stretch=6,
            samples={
                0: "0000-00-00 00:00:00",
                1: "kpatel (command line)",
                2: "clinician manager",
                3: "session amended",
                4: "C000000",
                5: "Session",
            },
        )
        layout.addWidget(self.view, 1)
        layout.addWidget(self.general)
        closing, self.close_button = close_row(self, "audit")
        layout.addLayout(closing)
        self.lines: list[AuditLine] = []
        self.reload()

    def reload(self) -> None:
        self.errors.clear()
        first, last = day_of(self.date_from.date()), day_of(self.date_to.date())
        if first > last:
            self.errors.refuse("date_from", "The from date is after the to date.")
            return
        user, chart = self.user.text().strip(), self.chart.text().strip()
        try:
            self.lines = self.services.registers.audit(first, last, user or None, chart or None)
        except NeedlelogError as exc:
            self.errors.show(exc)
            self.lines = []
        self.model.set_rows(self.lines)
        which = [f"from {first.isoformat()} to {last.isoformat()}"]
        which += [f"user {user}"] if user else []
        which += [f"chart {chart.upper()}"] if chart else []
        text = f"{counted(len(self.lines), 'entry', 'entries')} ({', '.join(which)}), newest first."
        if len(self.lines) >= AUDIT_ROWS_SHOWN:
            text += f" Only the newest {AUDIT_ROWS_SHOWN:,} are shown: narrow the dates or filters to see older ones."
        self.count.setText(text)
