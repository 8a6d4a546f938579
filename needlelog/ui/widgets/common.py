"""What every window needs: names for tests and screen readers, and dates between Qt and Python."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QWidget


def named(widget: QWidget, object_name: str, accessible: str, tooltip: str = "") -> QWidget:
    """Give a widget its objectName (tests find it) and accessibleName (screen readers read it)."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    if tooltip:
        widget.setToolTip(tooltip)
    return widget


def qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def day_of(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def html(text: str) -> str:
    """User text made safe inside a rich-text label (a name such as "<b>Lee" shows as typed)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
