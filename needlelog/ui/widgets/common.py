"""What every window needs: names for tests and screen readers, and dates between Qt and Python."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from needlelog.ui.widgets.naming import named  # every window takes it from here or from naming


def qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def day_of(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def html(text: str) -> str:
    """User text made safe inside a rich-text label (a name such as "<b>Lee" shows as typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table_view(object_name: str, accessible: str, row_height: int = 30) -> QTableView:
    """A read-only list of rows, one selected at a time, with large rows for a gloved hand."""
    view = QTableView()
    named(view, object_name, accessible)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(row_height)
    view.horizontalHeader().setHighlightSections(False)
    named(view.horizontalHeader(), f"{object_name}Header", f"{accessible} columns")
    named(view.verticalHeader(), f"{object_name}RowHeader", f"{accessible} rows")
    return view


def fixed_columns(view: QTableView, stretch: int, samples: dict[int, str]) -> None:
    """Column widths from sample text, set once: measuring every row's contents on each new
    page (ResizeToContents) cost more than the search itself."""
    header = view.horizontalHeader()
    metrics = view.fontMetrics()
    for column, sample in samples.items():
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(column, metrics.horizontalAdvance(sample) + 24)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def local_time(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the clinic's wall clock shows it ("" for none); ``pattern`` as strftime's."""
    return "" if moment is None else moment.astimezone().strftime(pattern)
