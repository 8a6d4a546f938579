"""A mouse wheel never changes a value the user did not click into (SPEC §5).

Qt's spin boxes, lists and date fields take every wheel turn that passes over them, so scrolling
a long form changed a needle count from 2 to 1 on the way down. :class:`WheelGuard` is one event
filter on the application that sees every wheel event before any widget does:

- a wheel over a spin box, a list (combo box) or a date that does not hold the focus is passed on
  to the widgets behind it, so the scroll area still scrolls; the value stays;
- once the person has clicked or tabbed into the field it takes the wheel as usual;
- every such field takes the focus by click or Tab only (``StrongFocus``), never by a wheel turn,
  which Qt's default (``WheelFocus``) gives before the field even sees the wheel.

It is installed once per application by :func:`guard_wheels`, which the composition root calls and
every window and coded field calls from its constructor, so a form opened by a test is guarded too.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QAbstractSpinBox, QComboBox)  # QDateEdit and QDateTimeEdit are spin boxes
_PROPERTY = "needlelogWheelGuard"


def holds_focus(widget: QWidget) -> bool:
    """Whether the person is in this field: it (or its inner line of text) is its window's focus widget."""
    focused = widget.window().focusWidget()
    return focused is not None and (focused is widget or widget.isAncestorOf(focused))


def pass_on(widget: QWidget, event: QWheelEvent) -> bool:
    """Offer the wheel to the widgets behind ``widget``, nearest first, until one takes it (a scroll area)."""
    target = widget.parentWidget()
    while target is not None:
        copy = QWheelEvent(
            target.mapFromGlobal(event.globalPosition()),
            event.globalPosition(),
            event.pixelDelta(),
            event.angleDelta(),
            event.buttons(),
            event.modifiers(),
            event.phase(),
            event.inverted(),
            event.source(),
            event.pointingDevice(),
        )
        QCoreApplication.sendEvent(target, copy)
        if copy.isAccepted():
            return True
        if target.isWindow():
            return False
        target = target.parentWidget()
    return False


class WheelGuard(QObject):
    """The application's event filter: unfocused fields hand the wheel on; fields never take focus by wheel."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(watched, GUARDED):  # nearly every event: answered before Qt's event type is read
            return False
        kind = event.type()
        if kind == QEvent.Type.Wheel and not holds_focus(watched):
            assert isinstance(event, QWheelEvent)
            pass_on(watched, event)
            event.accept()  # handled here: Qt neither gives it to the field nor sends it on a second time
            return True
        wheel_focus = Qt.FocusPolicy.WheelFocus
        if kind == QEvent.Type.Polish and watched.focusPolicy() == wheel_focus:
            watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        return False


def guard_wheels() -> WheelGuard | None:
    """Install the guard on the running application, once; returns it (None before a QApplication exists)."""
    app = QApplication.instance()
    if app is None:
        return None
    guard = app.findChild(WheelGuard, _PROPERTY)
    if guard is None:
        guard = WheelGuard(app)  # the application owns it: it lives as long as the program
        guard.setObjectName(_PROPERTY)
        app.installEventFilter(guard)
    return guard
