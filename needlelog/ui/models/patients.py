"""Rows of the patient search."""

from __future__ import annotations

from needlelog.domain.model import PatientSummary
from needlelog.domain.vocab import Precaution
from needlelog.ui.models.paged import PagedTableModel


class PatientTableModel(PagedTableModel[PatientSummary]):
    headers = ("Name", "Chart", "Born", "Alerts")

    def display(self, row: PatientSummary, column: int) -> str:
        if column == 0:
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
