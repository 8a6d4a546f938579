"""Rows of a patient's session history."""

from __future__ import annotations

from needlelog.domain.model import SessionSummary
from needlelog.domain.vocab import SessionStatus
from needlelog.ui.models.paged import PagedTableModel


def _pain(value: int | None) -> str:
    return "–" if value is None else str(value)


class SessionHistoryModel(PagedTableModel[SessionSummary]):
    headers = ("Date", "Clinician", "Condition", "Sites", "Needles", "Pain", "Status")

    def display(self, row: SessionSummary, column: int) -> str:
        if column == 0:
            return row.service_start.astimezone().strftime("%Y-%m-%d %H:%M")
        if column == 1:
            return row.clinician_name
        if column == 2:
            return row.condition.label if row.condition else ""
        if column == 3:
            return str(row.site_count)
        if column == 4:
            return str(row.needles)
        if column == 5:
            return f"{_pain(row.pain_before)} → {_pain(row.pain_after)}"
        return "Signed" if row.status is SessionStatus.SIGNED else "Draft"
