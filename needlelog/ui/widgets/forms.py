"""The pieces the manager's and the administrator's windows are built from.

Named buttons, date fields and tables, message labels, a row of widgets, the Close row, and
:class:`FieldErrors`, which shows every refusal of the services in words beside its field.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError, ValidationError
from needlelog.ui.widgets.common import named, qdate, table_view
from needlelog.ui.widgets.fields import ERROR_STYLE
from needlelog.ui.widgets.wheel_guard import guard_wheels


def counted(number: int, word: str, words: str | None = None) -> str:
    return f"{number:,} {word if number == 1 else words or word + 's'}"


def make_table(object_name: str, accessible: str) -> QTableView:
    return table_view(object_name, accessible, row_height=28)


def date_edit(object_name: str, accessible: str, day: date) -> QDateEdit:
    guard_wheels()
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


def combo(object_name: str, accessible: str, items: list[tuple[str, object]]) -> QComboBox:
    """A named list of choices (its drop-down list named too, for tests and screen readers); the wheel guard
    keeps a wheel turn over it from changing the choice unless the person is in it."""
    guard_wheels()
    box = QComboBox()
    named(box, object_name, accessible)
    named(box.view(), f"{object_name}Choices", f"{accessible}: the choices")
    for text, value in items:
        box.addItem(text, value)
    return box
