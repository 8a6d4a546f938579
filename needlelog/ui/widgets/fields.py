"""The pieces every form is made of: a choice from a controlled list, a number that may be left empty,
a tick box per term, a label that shows a problem in words, and instants between Qt and Python.

One place, so that a coded list picks by one key and a problem is the same red in every window.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

from PySide6.QtCore import QDateTime, QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from needlelog.domain.vocab import Coded
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.styles import CAUTION_STYLE, ERROR_STYLE, OK_STYLE  # noqa: F401 - every form's colours
from needlelog.ui.widgets.wheel_guard import guard_wheels

Term = TypeVar("Term", bound=Coded)


class CodeCombo(QComboBox):
    """A choice from a controlled list; the first item '–' means not chosen yet. One key picks an item."""

    def __init__(self, terms: list[Coded], blank: str = "–") -> None:
        super().__init__()
        guard_wheels()  # a wheel turn never picks an item the person did not click into
        # The terms are kept here, not as item data: Qt hands a str enum back as a plain str.
        self._terms: list[Coded | None] = [None, *terms]
        self.addItem(blank)
        for term in terms:
            self.addItem(term.label)
        self.setMinimumHeight(30)

    def code(self) -> Coded | None:
        index = self.currentIndex()
        return self._terms[index] if 0 <= index < len(self._terms) else None

    def set_code(self, value: Coded | None) -> None:
        self.setCurrentIndex(self._terms.index(value) if value in self._terms else 0)


class OptionalSpin(QSpinBox):
    """A whole number that may be left empty (shown as '–' at the bottom of the range)."""

    def __init__(self, low: int, high: int) -> None:
        super().__init__()
        guard_wheels()
        self.setRange(low - 1, high)
        self.setSpecialValueText("–")
        self.setMinimumHeight(30)
        self.setMinimumWidth(64)
        self._empty = low - 1

    def number(self) -> int | None:
        return None if self.value() == self._empty else self.value()

    def set_number(self, value: int | None) -> None:
        self.setValue(self._empty if value is None else value)


def check_boxes(
    terms: list[Term], prefix: str, layout: QGridLayout, first_row: int = 0, columns: int = 2
) -> dict[Term, QCheckBox]:
    """A tick box per term of a controlled list, named for tests and screen readers, laid out in columns."""
    boxes: dict[Term, QCheckBox] = {}
    for i, term in enumerate(terms):
        box = QCheckBox(term.label)
        named(box, f"{prefix}_{term.value}", term.label)
        layout.addWidget(box, first_row + i // columns, i % columns)
        boxes[term] = box
    return boxes


def problem_label(object_name: str, accessible: str) -> QLabel:
    """An empty label, in the error colour, where a field's problems are shown in words."""
    label = QLabel("")
    label.setStyleSheet(ERROR_STYLE)
    named(label, object_name, accessible)
    return label


def set_inputs_enabled(root: QWidget, enabled: bool) -> None:
    """Every tick box, list, number, date and line of text under ``root`` on or off (a read-only note)."""
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QCheckBox | QComboBox | QSpinBox | QDateTimeEdit | QLineEdit):
            widget.setEnabled(enabled)


class SelectAllOnFocus(QObject):
    """A count box taking the focus has its number selected: the next digits replace it."""

    def watch(self, *boxes: QAbstractSpinBox) -> None:
        for box in boxes:
            box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QAbstractSpinBox):
            QTimer.singleShot(0, watched.selectAll)
        return super().eventFilter(watched, event)


def qt_time(moment: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(moment.timestamp()))


def instant(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)
