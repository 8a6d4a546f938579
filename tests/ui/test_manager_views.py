"""The manager's and the administrator's windows, driven with the real widgets on a real chart.

Adverse-event register with follow-up notes, needle lots and recall, the audit trail, user accounts
and the idle-lock setting; every refusal is shown in words beside its field, none crashes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TypeVar

import pytest
from PySide6.QtCore import QAbstractItemModel, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QCheckBox,
    QDateEdit,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from needlelog.domain.access import AuditAction
from needlelog.domain.errors import PermissionDenied
from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import AdverseEvent, Clinician
from needlelog.domain.vocab import AdverseEventKind, Role
from needlelog.services.seeding import NEEDLE_LOTS
from needlelog.services.store import Services
from needlelog.ui.dialogs.registers import AdverseRegisterDialog, AuditDialog, NeedleLotsDialog
from needlelog.ui.dialogs.settings import SettingsDialog
from needlelog.ui.dialogs.users import UsersDialog

PASSWORD = "needle-test-pass"
MANAGER = Clinician(
    "Kiran Patel", "kpatel", "Clinic manager", authorised_to_needle=False, roles=frozenset({Role.MANAGER})
)
W = TypeVar("W", bound=QWidget)


@pytest.fixture
def clinic(seeded_chart: Services) -> Services:
    """The seeded clinic with an administrator and a manager (nobody signed in yet)."""
    seeded_chart.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    seeded_chart.accounts.add_user(MANAGER, PASSWORD)
    return seeded_chart


def sign_in(services: Services, username: str) -> Clinician:
    return services.accounts.login(username, PASSWORD)


def opened(qtbot: QtBot, dialog: W) -> W:
    """Shown as the main window shows it: ``open()``, window-modal, closed by qtbot at the end."""
    qtbot.addWidget(dialog)
    assert isinstance(dialog, QDialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def child(parent: QWidget, kind: type[W], name: str) -> W:
    found = parent.findChild(kind, name)
    assert found is not None, name
    return found


def click(qtbot: QtBot, parent: QWidget, name: str) -> None:
    widget = child(parent, QAbstractButton, name)
    assert widget.isEnabled() and widget.isVisible(), name
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def type_into(qtbot: QtBot, parent: QWidget, name: str, text: str) -> None:
    widget = child(parent, QWidget, name)
    widget.setFocus()
    if isinstance(widget, QLineEdit):
        widget.selectAll()
    qtbot.keyClicks(widget, text)


def tick(qtbot: QtBot, parent: QWidget, name: str) -> None:
    box = child(parent, QCheckBox, name)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(9, box.height() // 2))


def click_row(qtbot: QtBot, view: QTableView, row: int) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def cells(view: QTableView) -> list[list[str]]:
    model = view.model()
    return [
        [str(model.data(model.index(r, c)) or "") for c in range(model.columnCount())] for r in range(model.rowCount())
    ]


def error_beside(parent: QWidget, name: str) -> str:
    label = child(parent, QLabel, name)
    return label.text() if label.isVisible() else ""


def adverse_visit(services: Services, description: str) -> int:
    """A draft visit with an adverse event, charted as the system (before anyone signs in)."""
    patient = services.patients.search("")[0]
    clinician = services.clinic.clinicians()[0]
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    event = AdverseEvent(AdverseEventKind.FAINTING_INJURY, description)
    saved = services.sessions.save_draft(replace(draft, adverse_events=(event,)))
    return saved.id or 0


# --- every window --------------------------------------------------------------------------------


def test_every_interactive_widget_is_named(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "kpatel")
    dialogs: list[QDialog] = [
        opened(qtbot, AdverseRegisterDialog(clinic)),
        opened(qtbot, NeedleLotsDialog(clinic)),
        opened(qtbot, AuditDialog(clinic)),
    ]
    sign_in(clinic, "admin")
    dialogs += [opened(qtbot, UsersDialog(clinic)), opened(qtbot, SettingsDialog(clinic))]
    interactive = (QAbstractButton, QAbstractSpinBox, QLineEdit, QPlainTextEdit, QAbstractItemView)
    for dialog in dialogs:
        assert dialog.objectName() and dialog.accessibleName()
        widgets = [w for w in dialog.findChildren(QWidget) if isinstance(w, interactive)]
        assert len(widgets) >= 3, dialog.objectName()
        for widget in widgets:
            parent = widget.parentWidget()
            if widget.objectName().startswith("qt_") or isinstance(parent, QAbstractSpinBox | QLineEdit | QTableView):
                continue  # Qt's own parts of a compound widget (a spin box's editor, a clear button, a corner)
            assert widget.objectName(), (dialog.objectName(), widget)
            assert widget.accessibleName(), widget.objectName()


def test_the_tables_keep_qt_s_model_contract(qtbot: QtBot, qtmodeltester, clinic: Services) -> None:  # type: ignore[no-untyped-def]
    adverse_visit(clinic, "Fainted on standing.")
    clinic.registers.add_lot(NeedleLot("Seirin", "0.25 x 30 mm", NEEDLE_LOTS[0], date(2028, 1, 31)))
    sign_in(clinic, "kpatel")
    register = opened(qtbot, AdverseRegisterDialog(clinic))
    lots = opened(qtbot, NeedleLotsDialog(clinic))
    lots.recall_lot.setText(NEEDLE_LOTS[0])
    lots.find_patients()
    audit = opened(qtbot, AuditDialog(clinic))
    sign_in(clinic, "admin")
    users = opened(qtbot, UsersDialog(clinic))
    models: list[QAbstractItemModel] = [register.model, lots.lot_model, lots.recall_model, audit.model, users.model]
    for model in models:
        assert model.rowCount() > 0, type(model).__name__
        qtmodeltester.check(model)


# --- needle lots and recall ----------------------------------------------------------------------


def test_a_manager_adds_a_lot_and_finds_every_patient_of_a_recalled_lot(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "kpatel")
    dialog = opened(qtbot, NeedleLotsDialog(clinic))
    assert cells(dialog.lot_view) == []
    type_into(qtbot, dialog, "lotBrand", "Seirin J-type")
    type_into(qtbot, dialog, "lotSize", "0.25 x 30 mm")
    type_into(qtbot, dialog, "lotNumber", "L9999-01")
    expiry = child(dialog, QDateEdit, "lotExpiry")
    expiry.setFocus()
    expiry.setSelectedSection(QDateEdit.Section.YearSection)  # where a person clicks: the year
    qtbot.keyClicks(expiry, "20280930")
    click(qtbot, dialog, "addLot")
    assert cells(dialog.lot_view) == [["L9999-01", "Seirin J-type", "0.25 x 30 mm", "2028-09-30", "In date"]]
    assert "Lot L9999-01 added" in dialog.add_status.text()
    assert [lot.lot for lot in clinic.registers.lots()] == ["L9999-01"]

    recalled = NEEDLE_LOTS[0]  # a lot the seeded visits used
    type_into(qtbot, dialog, "recallLot", recalled.lower())  # as a person types it: case does not matter
    click(qtbot, dialog, "findPatients")
    expected = clinic.registers.recall(recalled)
    visits = len({hit.session_id for hit in expected})
    patients = len({hit.chart_number for hit in expected})
    assert visits > 1 and patients > 1
    rows = cells(dialog.recall_view)
    assert len(rows) == len(expected)
    assert {row[1] for row in rows} == {hit.chart_number for hit in expected}
    first = expected[0]
    assert rows[0] == [
        first.service_start.astimezone().strftime("%Y-%m-%d %H:%M"),
        first.chart_number,
        first.patient_name,
        first.phone,
        first.clinician,
        str(first.site_number),
        "–" if first.needles is None else str(first.needles),
    ]
    count = child(dialog, QLabel, "recallCount").text()
    assert count.startswith(f"{visits} visits, {patients} patients used lot {recalled.lower()}"), count


def test_an_expired_lot_is_marked_and_a_double_click_recalls_it(qtbot: QtBot, clinic: Services) -> None:
    clinic.registers.add_lot(NeedleLot("Seirin", "0.25 x 30 mm", NEEDLE_LOTS[1], date(2025, 6, 30)))
    clinic.registers.add_lot(NeedleLot("Seirin", "0.30 x 50 mm", "L-NEW", date(2028, 1, 31)))
    sign_in(clinic, "kpatel")
    dialog = opened(qtbot, NeedleLotsDialog(clinic))
    status = {row[0]: row[4] for row in cells(dialog.lot_view)}
    assert status == {NEEDLE_LOTS[1]: "EXPIRED", "L-NEW": "In date"}
    assert "1 expired" in dialog.lot_count.text()
    expired_row = [row[0] for row in cells(dialog.lot_view)].index(NEEDLE_LOTS[1])
    rect = dialog.lot_view.visualRect(dialog.lot_model.index(expired_row, 0))
    # A double-click as the system delivers it: press and release, then the double-click.
    qtbot.mouseClick(dialog.lot_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(dialog.lot_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert dialog.recall_lot.text() == NEEDLE_LOTS[1]
    assert dialog.recall_model.rowCount() == len(clinic.registers.recall(NEEDLE_LOTS[1])) > 0


def test_a_duplicate_lot_and_missing_fields_are_refused_beside_their_fields(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "kpatel")
    dialog = opened(qtbot, NeedleLotsDialog(clinic))
    click(qtbot, dialog, "addLot")  # nothing filled in
    assert error_beside(dialog, "addLotError_brand") == "Brand is required."
    assert error_beside(dialog, "addLotError_size") == "Size is required."
    assert error_beside(dialog, "addLotError_lot") == "Lot number is required."
    assert dialog.focusWidget() is dialog.brand

    for name, text in (("lotBrand", "Seirin"), ("lotSize", "0.25 x 30 mm"), ("lotNumber", "L2300-11")):
        type_into(qtbot, dialog, name, text)
    click(qtbot, dialog, "addLot")
    assert error_beside(dialog, "addLotError_brand") == ""
    type_into(qtbot, dialog, "lotNumber", "L2300-11")
    click(qtbot, dialog, "addLot")
    assert error_beside(dialog, "addLotError_lot") == "Lot L2300-11 is already in the inventory."
    assert dialog.lot_model.rowCount() == 1

    type_into(qtbot, dialog, "recallLot", "   ")
    click(qtbot, dialog, "findPatients")
    assert error_beside(dialog, "recallError_lot") == "Give the lot number to search for."


# --- the adverse-event register ------------------------------------------------------------------


def test_a_manager_adds_a_follow_up_to_an_adverse_event(qtbot: QtBot, clinic: Services) -> None:
    session_id = adverse_visit(clinic, "Fainted <b>on</b> standing; cut to the chin.")
    manager = sign_in(clinic, "kpatel")
    dialog = opened(qtbot, AdverseRegisterDialog(clinic))
    rows = cells(dialog.view)
    assert len(rows) == 1
    (entry,) = clinic.registers.adverse_events(date(2025, 1, 1), date(2026, 12, 31))
    assert rows[0][1:] == [
        entry.chart_number,
        entry.patient_name,
        entry.clinician,
        "Fainting with injury",
        "Draft",
        "–",
        "Not graded",
        "Open",
    ]
    assert "1 visit with adverse events" in child(dialog, QLabel, "adverseCount").text()
    click_row(qtbot, dialog.view, 0)
    detail = dialog.detail.toPlainText()
    assert "Fainted <b>on</b> standing; cut to the chin." in detail  # shown as typed, not as markup
    assert "No follow-up notes yet." in detail

    click(qtbot, dialog, "addFollowUp")  # an empty note is refused in words beside the box
    assert error_beside(dialog, "adverseError_follow_up") == "Write the follow-up note."
    type_into(qtbot, dialog, "followUpText", "Phoned next day: no more dizziness; cut healing.")
    click(qtbot, dialog, "addFollowUp")
    assert error_beside(dialog, "adverseError_follow_up") == ""
    assert dialog.follow_up.toPlainText() == ""
    assert cells(dialog.view)[0][6] == "1"
    detail = dialog.detail.toPlainText()
    when = clinic.clock().astimezone().strftime("%Y-%m-%d %H:%M")
    assert f"{manager.display_name}, {when}" in detail
    assert "Phoned next day: no more dizziness; cut healing." in detail
    assert "Follow-up notes (1)" in detail
    actions = [line.entry.action for line in clinic.registers.audit(date(2025, 1, 1), date(2026, 12, 31))]
    assert AuditAction.FOLLOW_UP in actions
    assert dialog.selected() is not None and dialog.selected().session_id == session_id  # type: ignore[union-attr]


def test_the_register_refuses_a_reversed_date_range_in_words(qtbot: QtBot, clinic: Services) -> None:
    adverse_visit(clinic, "Bumped knee on the plinth.")
    sign_in(clinic, "kpatel")
    dialog = opened(qtbot, AdverseRegisterDialog(clinic))
    dialog.date_from.setDate(dialog.date_to.date().addDays(1))
    click(qtbot, dialog, "adverseShow")
    assert error_beside(dialog, "adverseError_dates") == "The from date is after the to date."
    dialog.date_from.setDate(dialog.date_to.date().addDays(-400))
    click(qtbot, dialog, "adverseShow")
    assert error_beside(dialog, "adverseError_dates") == ""
    assert dialog.model.rowCount() == 1


def test_someone_without_the_right_reads_why_and_nothing_crashes(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "admin")  # users and settings; not the register, not recalls
    register = opened(qtbot, AdverseRegisterDialog(clinic))
    assert "may not see the adverse-event register" in child(register, QLabel, "adverseError").text()
    assert not register.add_button.isEnabled()
    lots = opened(qtbot, NeedleLotsDialog(clinic))
    type_into(qtbot, lots, "recallLot", NEEDLE_LOTS[0])
    click(qtbot, lots, "findPatients")
    assert "may not search needle-lot recalls" in child(lots, QLabel, "recallError").text()
    sign_in(clinic, "kpatel")
    users = opened(qtbot, UsersDialog(clinic))
    assert "may not manage users" in child(users, QLabel, "usersError").text()
    settings = opened(qtbot, SettingsDialog(clinic))
    click(qtbot, settings, "saveSettings")
    assert "may not change settings" in child(settings, QLabel, "settingsError").text()
    assert settings.isVisible() and settings.result() == QDialog.DialogCode.Rejected


# --- the audit trail -----------------------------------------------------------------------------


def test_the_audit_trail_filters_by_user_newest_first_with_the_full_detail_in_a_tooltip(
    qtbot: QtBot, clinic: Services
) -> None:
    sign_in(clinic, "kpatel")
    clinic.clock.advance(minutes=5)  # type: ignore[attr-defined]
    clinic.registers.recall(NEEDLE_LOTS[0])
    dialog = opened(qtbot, AuditDialog(clinic))
    everyone = cells(dialog.view)
    assert "kpatel" in {row[1] for row in everyone} and len({row[1] for row in everyone}) > 1
    type_into(qtbot, dialog, "auditUser", "KPatel")
    click(qtbot, dialog, "auditShow")
    rows = cells(dialog.view)
    assert rows and all(row[1] == "kpatel" for row in rows)
    assert [row[0] for row in rows] == sorted((row[0] for row in rows), reverse=True)
    # reading the trail is audited as what it is (the opening just now), the recall search as a recall search
    assert [row[3] for row in rows[:2]] == ["audit viewed", "recall searched"] and rows[-1][3] == "login"
    count = child(dialog, QLabel, "auditCount").text()
    assert count.startswith(f"{len(rows)} entries") and "user KPatel" in count and "newest first" in count
    detail = dialog.model.index(1, 6)
    full = dialog.model.data(detail, Qt.ItemDataRole.ToolTipRole)
    assert full == f"lot {NEEDLE_LOTS[0]}, {len(clinic.registers.recall(NEEDLE_LOTS[0]))} site(s)"
    assert dialog.view.textElideMode() == Qt.TextElideMode.ElideRight and not dialog.view.wordWrap()

    type_into(qtbot, dialog, "auditUser", "nobody")
    qtbot.keyClick(dialog.user, Qt.Key.Key_Return)  # Enter searches, as "Show" does
    assert dialog.model.rowCount() == 0
    assert child(dialog, QLabel, "auditCount").text().startswith("0 entries")


def test_the_audit_trail_filters_by_patient_chart_number(qtbot: QtBot, clinic: Services) -> None:
    session_id = adverse_visit(clinic, "Bumped knee.")
    chart = clinic.patients.search("")[0].chart_number
    sign_in(clinic, "kpatel")
    clinic.registers.add_follow_up(session_id, "Knee fine.")
    dialog = opened(qtbot, AuditDialog(clinic))
    type_into(qtbot, dialog, "auditChart", chart.lower())
    click(qtbot, dialog, "auditShow")
    rows = cells(dialog.view)
    assert rows and {row[4] for row in rows} == {chart}
    assert rows[0][3] == "follow up" and rows[0][5] == str(session_id)


# --- users and settings --------------------------------------------------------------------------


def test_an_admin_adds_a_clinician_with_roles_who_can_then_sign_in(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "admin")
    dialog = opened(qtbot, UsersDialog(clinic))
    before = dialog.model.rowCount()
    type_into(qtbot, dialog, "newUserName", "Sam Okafor")
    type_into(qtbot, dialog, "newUserUsername", "sokafor")
    type_into(qtbot, dialog, "newUserCredentials", "PT, DPT")
    type_into(qtbot, dialog, "newUserRegistration", "PT-07731")
    tick(qtbot, dialog, "newUserRole_manager")  # clinician is ticked already: both roles
    type_into(qtbot, dialog, "newUserPassword", "okafor-2026-pass")
    type_into(qtbot, dialog, "newUserPasswordAgain", "okafor-2026-pass")
    click(qtbot, dialog, "addUser")
    assert child(dialog, QLabel, "addUserError").text() == ""
    assert dialog.model.rowCount() == before + 1
    row = next(r for r in cells(dialog.view) if r[1] == "sokafor")
    assert row == ["Sam Okafor, PT, DPT", "sokafor", "Clinician, Manager", "Yes", "Yes", "PT-07731"]
    assert "Sam Okafor (sokafor) added" in dialog.edit_status.text()
    assert dialog.chosen() is not None and dialog.chosen().username == "sokafor"  # type: ignore[union-attr]
    assert dialog.new.display_name.text() == "" and dialog.new_password.text() == ""
    signed_in = clinic.accounts.login("sokafor", "okafor-2026-pass")
    assert signed_in.roles == frozenset({Role.CLINICIAN, Role.MANAGER}) and signed_in.authorised_to_needle


def test_an_admin_edits_a_user_deactivates_them_and_sets_a_password_inline(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "admin")
    dialog = opened(qtbot, UsersDialog(clinic))
    row = next(i for i, r in enumerate(cells(dialog.view)) if r[1] == "dwhitford")
    click_row(qtbot, dialog.view, row)
    assert child(dialog, QLabel, "editUserUsername").text() == "dwhitford"
    assert dialog.findChild(QLineEdit, "editUserUsername") is None  # the user name cannot be changed
    type_into(qtbot, dialog, "editUserCredentials", "PT, MScPT, FCAMPT")
    click(qtbot, dialog, "saveUser")
    assert child(dialog, QLabel, "editUserError").text() == ""
    assert next(r for r in cells(dialog.view) if r[1] == "dwhitford")[0] == "Dana Whitford, PT, MScPT, FCAMPT"

    panel = child(dialog, QWidget, "setPasswordPanel")
    assert not panel.isVisible()
    click(qtbot, dialog, "showSetPassword")  # inline, not a nested dialog
    assert panel.isVisible()
    type_into(qtbot, dialog, "setPasswordPassword", "whitford-new-pass")
    type_into(qtbot, dialog, "setPasswordPasswordAgain", "whitford-new-typo")
    click(qtbot, dialog, "setPassword")
    assert error_beside(dialog, "setPasswordError_password_again").startswith("The two passwords differ")
    type_into(qtbot, dialog, "setPasswordPasswordAgain", "whitford-new-pass")
    click(qtbot, dialog, "setPassword")
    assert not panel.isVisible()
    assert "New password set for dwhitford" in dialog.edit_status.text()

    tick(qtbot, dialog, "editUserActive")
    click(qtbot, dialog, "saveUser")
    assert next(r for r in cells(dialog.view) if r[1] == "dwhitford")[4] == "No"
    with pytest.raises(PermissionDenied, match="Wrong user name or password"):
        clinic.accounts.login("dwhitford", "whitford-new-pass")  # inactive: cannot sign in


def test_a_short_password_and_a_missing_role_are_refused_naming_their_fields(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "admin")
    dialog = opened(qtbot, UsersDialog(clinic))
    before = dialog.model.rowCount()
    type_into(qtbot, dialog, "newUserName", "Sam Okafor")
    type_into(qtbot, dialog, "newUserUsername", "sokafor")
    tick(qtbot, dialog, "newUserRole_clinician")  # no role left
    type_into(qtbot, dialog, "newUserPassword", "short")
    type_into(qtbot, dialog, "newUserPasswordAgain", "short")
    click(qtbot, dialog, "addUser")
    assert error_beside(dialog, "addUserError_password") == "The password must be at least 10 characters."
    assert error_beside(dialog, "addUserError_roles") == "Give the user at least one role."
    assert error_beside(dialog, "addUserError_username") == ""
    assert dialog.model.rowCount() == before

    type_into(qtbot, dialog, "newUserUsername", "kpatel")  # taken
    tick(qtbot, dialog, "newUserRole_manager")
    assert not child(dialog, QCheckBox, "newUserAuthorised").isEnabled()  # only a clinician needles
    type_into(qtbot, dialog, "newUserPassword", "long-enough-pass")
    type_into(qtbot, dialog, "newUserPasswordAgain", "long-enough-pass")
    click(qtbot, dialog, "addUser")
    assert error_beside(dialog, "addUserError_username") == "The user name 'kpatel' is already taken."
    assert error_beside(dialog, "addUserError_password") == ""
    assert dialog.model.rowCount() == before


def test_an_admin_sets_the_idle_lock_to_5_minutes(qtbot: QtBot, clinic: Services) -> None:
    sign_in(clinic, "admin")
    dialog = opened(qtbot, SettingsDialog(clinic))
    spin = dialog.idle_minutes
    assert (spin.minimum(), spin.maximum(), spin.value()) == (2, 30, 10)
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "5")
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        click(qtbot, dialog, "saveSettings")
    assert clinic.accounts.idle_lock_minutes() == 5
    assert not dialog.isVisible()


def test_the_main_window_reads_the_new_idle_lock_after_settings_are_saved(qtbot: QtBot, clinic: Services) -> None:
    from needlelog.ui.main_window import MainWindow  # imported here: the window is edited by others in parallel

    admin = sign_in(clinic, "admin")
    window = MainWindow(clinic, admin)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    dialog = window.settings()
    assert isinstance(dialog, SettingsDialog) and dialog.isVisible()
    dialog.idle_minutes.setValue(7)
    click(qtbot, dialog, "saveSettings")
    qtbot.waitUntil(lambda: window.idle_minutes == 7, timeout=10000)


def test_the_manager_menu_opens_each_register_window_modal(qtbot: QtBot, clinic: Services) -> None:
    from needlelog.ui.main_window import MainWindow

    manager = sign_in(clinic, "kpatel")
    window = MainWindow(clinic, manager)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    for name, kind, problem in (
        ("actionAdverseRegister", AdverseRegisterDialog, "adverseError"),
        ("actionNeedleLots", NeedleLotsDialog, "addLotError"),
        ("actionAuditTrail", AuditDialog, "auditError"),
    ):
        window.findChild(QAction, name).trigger()
        dialog = window.dialogs[-1]
        assert isinstance(dialog, kind) and dialog.isVisible()
        assert child(dialog, QLabel, problem).text() == ""  # the manager may read it all
        assert dialog.windowModality() == Qt.WindowModality.WindowModal  # open(), not exec()
        dialog.reject()
        assert dialog not in window.dialogs
