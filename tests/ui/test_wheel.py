"""A mouse wheel never changes a value the user did not click into (SPEC §5, issue 11 item 1).

Real wheel events go to every spin box, date and list of the session editor (with sites charted), the
patient form and the administrator's and manager's windows while none of them holds the focus: every
value stays as it was, and the page behind still scrolls. A field the person clicked into takes the wheel.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QDialog, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Consent, Patient
from needlelog.domain.vocab import ConsentMethod, Role
from needlelog.services.store import Services, open_chart
from needlelog.ui.dialogs.export_dialog import ExportDialog
from needlelog.ui.dialogs.patient_dialog import PatientDialog
from needlelog.ui.dialogs.registers import AdverseRegisterDialog, AuditDialog, NeedleLotsDialog
from needlelog.ui.dialogs.settings import SettingsDialog
from needlelog.ui.dialogs.users import UsersDialog
from needlelog.ui.session_editor import SessionEditor
from needlelog.ui.widgets.wheel_guard import holds_focus
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient
from tests.ui.test_session_editor import chart_site, main_window, pick, type_number

PASSWORD = "wheel-test-password"
MANAGER = Clinician("Kiran Patel", "kpatel", "Manager", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Patient]]:
    services = open_chart(
        tmp_path / "wheel.sqlite", hasher=TEST_HASHER, wrapping=TEST_WRAPPING
    )  # the real clock: the editor's times
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    services.accounts.add_user(MANAGER, PASSWORD)
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    services.accounts.set_password(clinician.id or 0, PASSWORD)
    consent = Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "Dana Whitford")
    patient = services.patients.create(make_patient("C888", consent=consent))
    yield services, clinician, patient
    services.close()


def wheel(widget: QWidget, notches: int) -> QWheelEvent:
    """One real wheel event over the middle of ``widget`` (up is positive), as the window system sends it."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * notches),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)
    return event


def value(widget: QWidget) -> tuple[object, ...]:
    if isinstance(widget, QComboBox):
        return widget.currentIndex(), widget.currentText()
    assert isinstance(widget, QAbstractSpinBox)
    return (widget.text(),)


def guarded_fields(window: QWidget) -> list[QWidget]:
    return [w for w in window.findChildren(QWidget) if isinstance(w, QAbstractSpinBox | QComboBox) and w.isVisible()]


def assert_the_wheel_changes_nothing(window: QWidget, at_least: int) -> None:
    """Every visible spin box and list of ``window``, none focused, turned a notch each way: nothing moves."""
    assert QApplication.activePopupWidget() is None  # Qt drops every wheel while a list is open
    fields = guarded_fields(window)
    assert len(fields) >= at_least, (window.objectName(), len(fields))
    for field in fields:
        assert field.focusPolicy() == Qt.FocusPolicy.StrongFocus, field.objectName()  # click or Tab, never the wheel
        assert window.focusWidget() is not field
        before = value(field)
        for notches in (1, -1, -3, 3):
            wheel(field, notches)
            assert value(field) == before, (window.objectName(), field.objectName(), notches)
        assert window.focusWidget() is not field, field.objectName()


def test_the_wheel_over_the_editor_scrolls_it_and_changes_no_count_list_or_time(
    qtbot: QtBot, clinic: tuple[Services, Clinician, Patient]
) -> None:
    services, clinician, patient = clinic
    services.accounts.login("dwhitford", PASSWORD)
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert isinstance(editor, SessionEditor)
    qtbot.addWidget(editor)
    editor.resize(1100, 640)  # smaller than its content, so the page has somewhere to scroll
    qtbot.waitExposed(editor)
    chart_site(qtbot, editor, "Neck", "Left", 2, "Strong")
    chart_site(qtbot, editor, "Neck", "Right", 1, "No")
    chart_site(qtbot, editor, "Lower", "Bilateral", 6, "Weak")  # a space would open the list
    type_number(qtbot, editor.rows[0].dwell, 10)
    type_number(qtbot, editor.pain_before, 6)
    pick(qtbot, editor.soreness, "Mild")
    editor.notes.setFocus()  # the person is typing a note, not in any number or list

    assert_the_wheel_changes_nothing(editor, at_least=20)
    assert [row.needles.value() for row in editor.rows] == [2, 1, 6]
    assert editor.soreness.currentText() == "Mild"

    scroll = editor.findChild(QScrollArea, "editorScroll")
    assert scroll is not None and scroll.verticalScrollBar().maximum() > 0
    scroll.verticalScrollBar().setValue(0)
    wheel(editor.pain_before, -1)  # a notch down over the pain: the page scrolls, the pain stays
    assert scroll.verticalScrollBar().value() > 0
    assert editor.pain_before.value() == 6


def test_a_spin_box_the_person_clicked_into_takes_the_wheel(
    qtbot: QtBot, clinic: tuple[Services, Clinician, Patient]
) -> None:
    services, clinician, patient = clinic
    services.accounts.login("dwhitford", PASSWORD)
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    qtbot.waitExposed(editor)
    row = chart_site(qtbot, editor, "Neck", "Left", 2, "Strong")
    editor.notes.setFocus()
    wheel(row.needles, 1)
    assert row.needles.value() == 2
    qtbot.mouseClick(row.needles, Qt.MouseButton.LeftButton, pos=QPoint(8, row.needles.height() // 2))
    assert holds_focus(row.needles)
    wheel(row.needles, 1)
    assert row.needles.value() == 3  # clicked into: the wheel is the person's
    wheel(row.needles, -2)
    assert row.needles.value() == 1


def opened(qtbot: QtBot, dialog: QDialog) -> QDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.setFocus()
    if dialog.focusWidget() is not None and isinstance(dialog.focusWidget(), QAbstractSpinBox | QComboBox):
        dialog.focusWidget().clearFocus()
    return dialog


def test_the_wheel_changes_nothing_in_the_patient_form(
    qtbot: QtBot, clinic: tuple[Services, Clinician, Patient]
) -> None:
    services, _clinician, patient = clinic
    services.accounts.login("dwhitford", PASSWORD)
    form = opened(qtbot, PatientDialog(services, services.patients.get(patient.id or 0)))
    assert_the_wheel_changes_nothing(form, at_least=4)


def test_the_wheel_changes_nothing_in_the_settings_users_exports_and_registers(
    qtbot: QtBot, clinic: tuple[Services, Clinician, Patient]
) -> None:
    services, _clinician, _patient = clinic
    services.accounts.login("admin", PASSWORD)
    assert_the_wheel_changes_nothing(opened(qtbot, SettingsDialog(services)), at_least=1)
    users = opened(qtbot, UsersDialog(services))
    assert_the_wheel_changes_nothing(users, at_least=0)
    services.accounts.login("kpatel", PASSWORD)
    for dialog in (ExportDialog(services), AdverseRegisterDialog(services), NeedleLotsDialog(services)):
        assert_the_wheel_changes_nothing(opened(qtbot, dialog), at_least=1)
    assert_the_wheel_changes_nothing(opened(qtbot, AuditDialog(services)), at_least=0)
