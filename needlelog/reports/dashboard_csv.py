"""The clinic report as CSV: one long table (a section, who, which month, what, how many, of how many, the rate
and its 95 % Wilson interval), so a spreadsheet can pivot it any way; the same figures as the PDF."""

from __future__ import annotations

import csv
import io

from needlelog.domain.dashboard import MEASURES, PUBLISHED, ClinicianMonth, Dashboard
from needlelog.reports.csv_export import ENCODING, neutralise

COLUMNS = ("Section", "Clinician", "Month", "Measure", "Count", "Out of", "Rate %", "Low %", "High %")


def _percent(value: float) -> str:
    return f"{100 * value:.2f}"


def _rows_of(section: str, m: ClinicianMonth) -> list[list[str]]:
    rows = [
        [section, m.clinician, m.month, "Signed visits", str(m.visits), "", "", "", ""],
        [section, m.clinician, m.month, "Needles", str(m.needles), "", "", "", ""],
    ]
    for key, words in MEASURES:
        rate = m.rate(key)
        low, high = rate.interval
        rows.append(
            [
                section,
                m.clinician,
                m.month,
                words,
                str(rate.events),
                str(rate.visits),
                _percent(rate.proportion) if rate.visits else "",
                _percent(low) if rate.visits else "",
                _percent(high) if rate.visits else "",
            ]
        )
    return rows


def dashboard_rows(found: Dashboard) -> list[list[str]]:
    """Every row of the report's CSV, header first, each cell neutralised for spreadsheets."""
    rows: list[list[str]] = [list(COLUMNS)]
    for month in found.months:
        rows += _rows_of("clinician month", month)
    for each in found.by_clinician():
        rows += _rows_of("clinician total", each)
    rows += _rows_of("clinic total", found.total())
    for key, words in MEASURES:
        for published in PUBLISHED[key]:
            rows.append(
                [
                    "published",
                    published.source,
                    "",
                    f"{words}: {published.what}",
                    "",
                    "",
                    _percent(published.proportion),
                    "",
                    "",
                ]
            )
    by_age: dict[tuple[str, str], int] = {}
    for draft in found.drafts:
        by_age[draft.clinician, draft.age_group] = by_age.get((draft.clinician, draft.age_group), 0) + 1
    for (name, group), count in sorted(by_age.items()):
        rows.append(["unsigned drafts", name, "", group, str(count), "", "", "", ""])
    for twitch in found.twitches:
        label = twitch.twitch.label if twitch.twitch is not None else "Not recorded"
        rows.append(["twitch response", twitch.clinician, "", label, str(twitch.sites), "", "", "", ""])
    return [[neutralise(cell) for cell in row] for row in rows]


def dashboard_csv(found: Dashboard) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, dialect="excel").writerows(dashboard_rows(found))
    return buffer.getvalue().encode(ENCODING)
