"""Names for tests and screen readers (ARCHITECTURE habit 11), in a module of their own: the sign-in window
names its fields without loading the tables' helpers beside it in ``common``, which bring Qt's ``Qt``
namespace (its hundred-odd enums cost about 14 ms of CPU when first touched; issue 14)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def named(widget: QWidget, object_name: str, accessible: str, tooltip: str = "") -> QWidget:
    """Give a widget its objectName (tests find it) and accessibleName (screen readers read it)."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    if tooltip:
        widget.setToolTip(tooltip)
    return widget
