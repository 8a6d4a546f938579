"""Rows of the patient search."""

from __future__ import annotations

from needlelog.domain.model import PatientSummary
from needlelog.domain.vocab import Precaution
from needlelog.ui.models.paged import PagedTableModel


class PatientTableModel(PagedTableModel[PatientSummary]):
    headers = ("Name", "Chart", "Born", "Alerts")
    private = False  # the privacy key: initials instead of names

    def set_private(self, private: bool) -> None:
        if private == self.private:
            return
        self.beginResetModel()
        self.private = private
        self._cells = [self._display_row(r) for r in self._rows]
        self.endResetModel()

    def display(self, row: PatientSummary, column: int) -> str:
        if column == 0:
            if self.private:
                return initials(row.given_name, row.family_name)
            return f"{row.family_name}, {row.given_name}"
        if column == 1:
            return row.chart_number
        if column == 2:
            return row.date_of_birth.isoformat()
        return "⚠" if row.flags - {Precaution.UNDER_12} else ""

    def tooltip(self, row: PatientSummary, column: int) -> str | None:
        if column == 3 and row.flags:
            return "\n".join(sorted(p.label for p in row.flags))
        return None


def initials(given: str, family: str) -> str:
    """ "Z. N." for Zoë Nguyễn: enough to tell two patients apart at the desk, not to name them."""
    return " ".join(f"{part.strip()[0]}." for part in (given, family) if part.strip()) or "•"
