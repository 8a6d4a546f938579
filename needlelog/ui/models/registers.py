"""The registers' item models: adverse events, needle lots, recall hits, audit lines.

Fed rows by their dialog; they never query. The two that show patients' names show initials
instead while the privacy key is on.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from needlelog.domain.lots import NeedleLot
from needlelog.domain.registers import AuditLine, RecallHit, RegisterEntry
from needlelog.ui.models.paged import PagedTableModel
from needlelog.ui.widgets.common import local_time

EXPIRED = QColor("#a11a1a")

Index = QModelIndex | QPersistentModelIndex


def name_initials(name: str) -> str:
    """ "Z. N." for "Zoë Nguyễn": what the privacy key shows instead of a patient's name."""
    return " ".join(f"{part[0]}." for part in name.split()) or "•"


class PatientRows:
    """A mixin of :class:`PagedTableModel` for rows that name a patient."""

    private = False

    def patient(self, name: str) -> str:
        return name_initials(name) if self.private else name

    def set_private(self, private: bool) -> None:
        self.private = private
        self.set_rows(list(self._rows))  # type: ignore[attr-defined]  # (a mixin of PagedTableModel)


class AdverseRegisterModel(PatientRows, PagedTableModel[RegisterEntry]):
    headers = ("Date", "Chart", "Patient", "Clinician", "Adverse events", "Signed", "Follow-ups", "Severity", "Status")

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
            later = " (reported later)" if row.late_reports else ""
            return "; ".join(kind.label for kind in row.all_kinds()) + later
        if column == 5:
            return "Signed" if row.signed else "Draft"
        if column == 6:
            return str(len(row.follow_ups)) if row.follow_ups else "–"
        if column == 7:
            return row.severity.label if row.severity is not None else "Not graded"
        return row.status.label

    def tooltip(self, row: RegisterEntry, column: int) -> str | None:
        if column == 4:
            return "\n".join(kind.label for kind in row.all_kinds()) + (
                f"\n\n{row.description}" if row.description else ""
            )
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


class RecallModel(PatientRows, PagedTableModel[RecallHit]):
    headers = ("Service date", "Chart", "Patient", "Phone", "Clinician", "Site #", "Needles")

    def display(self, row: RecallHit, column: int) -> str:
        if column == 0:
            return local_time(row.service_start)
        if column == 1:
            return row.chart_number
        if column == 2:
            return self.patient(row.patient_name)
        if column == 3:
            return "•••" if self.private and row.phone else row.phone
        if column == 4:
            return row.clinician
        if column == 5:
            return str(row.site_number)
        return "–" if row.needles is None else str(row.needles)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and index.isValid() and index.column() >= 5:
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
