"""The clinic dashboard's item models: rates per clinician, unsigned drafts by age, the twitch mix. Fed rows by
the dashboard window; they never query."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from needlelog.domain.dashboard import MEASURES, ClinicianMonth, UnsignedDraft
from needlelog.domain.vocab import TwitchResponse
from needlelog.ui.models.paged import PagedTableModel
from needlelog.ui.models.registers import Index, PatientRows
from needlelog.ui.widgets.common import local_time

TWITCH_ORDER: tuple[TwitchResponse | None, ...] = (*TwitchResponse, None)


class RatesModel(PagedTableModel[ClinicianMonth]):
    headers = ("Clinician", "Month", "Signed visits", "Needles", *(words for _, words in MEASURES))

    def display(self, row: ClinicianMonth, column: int) -> str:
        if column == 0:
            return row.clinician
        if column == 1:
            return "all" if row.month == "all" else row.month
        if column == 2:
            return f"{row.visits:,}"
        if column == 3:
            return f"{row.needles:,}"
        rate = row.rate(MEASURES[column - 4][0])
        return f"{rate.events:,} · {rate.percent()}" if rate.visits else "–"

    def tooltip(self, row: ClinicianMonth, column: int) -> str | None:
        if column < 4:
            return None
        return f"{MEASURES[column - 4][1]}: visits with it out of signed visits, with the 95 % Wilson interval"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.TextAlignmentRole and index.isValid() and index.column() >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().data(index, role)


class DraftsModel(PatientRows, PagedTableModel[UnsignedDraft]):
    headers = ("Age", "Service date", "Chart", "Patient", "Clinician")

    def display(self, row: UnsignedDraft, column: int) -> str:
        if column == 0:
            return f"{row.age_group} ({row.age_days:,} d)" if row.age_days > 1 else row.age_group
        if column == 1:
            return local_time(row.service_start)
        if column == 2:
            return row.chart_number
        if column == 3:
            return self.patient(row.patient_name) if row.patient_name else "–"
        return row.clinician


TwitchRow = tuple[str, dict[TwitchResponse | None, int]]


class TwitchModel(PagedTableModel[TwitchRow]):
    headers = ("Clinician", *(t.label if t is not None else "Not recorded" for t in TWITCH_ORDER), "Sites")

    def display(self, row: TwitchRow, column: int) -> str:
        name, counts = row
        total = sum(counts.values())
        if column == 0:
            return name
        if column == len(TWITCH_ORDER) + 1:
            return f"{total:,}"
        count = counts.get(TWITCH_ORDER[column - 1], 0)
        return f"{count:,} ({100 * count / total:.0f} %)" if total else "–"
