"""The settings window and the editor's aftercare sheet, driven with the real widgets on a real chart.

Issue 15, items 6 and 7: the administrator sets the letterhead, the logo (a real image, chosen from a file),
the default dwell and the consent validity, opens the needle lots and moves this PC's backups; every change is
audited old → new, every bad value refused beside its field. The clinician prints the patient's aftercare
sheet from the editor in one action (a button or Ctrl+Shift+A), and it joins the visit's audit trail.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel
from pytestqt.qtbot import QtBot

import needlelog.ui.dialogs.settings as settings_module
from needlelog.domain.access import AuditAction
from needlelog.domain.model import Clinician, Consent, Patient
from needlelog.domain.vocab import ConsentMethod
from needlelog.services.store import Services, open_chart
from needlelog.ui.dialogs.needle_lots import NeedleLotsDialog
from needlelog.ui.dialogs.settings import SettingsDialog
from tests.conftest import TEST_HASHER, make_patient
from tests.ui.test_manager_views import PASSWORD, child, click, error_beside, opened, sign_in, type_into
from tests.ui.test_session_editor import chart_site, main_window, type_number


@pytest.fixture
def admin_chart(tmp_path: Path) -> Iterator[Services]:
    services = open_chart(tmp_path / "clinic.sqlite", hasher=TEST_HASHER)
    from needlelog.domain.model import Clinic

    services.clinic.save_clinic(Clinic("Bow River Physiotherapy", "12 Centre Ave W", "403-555-0142"))
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    sign_in(services, "admin")
    yield services
    services.close()


def png(tmp_path: Path, name: str = "logo.png", size: tuple[int, int] = (240, 80)) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(buffer, "PNG")
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def settings_rows(services: Services) -> list[str]:
    today = services.clock().date()
    entries = sorted((line.entry for line in services.registers.audit(today, today)), key=lambda e: e.id or 0)
    return [entry.detail for entry in entries if entry.action == AuditAction.SETTING_CHANGED]


def test_the_administrator_sets_letterhead_logo_dwell_and_consent_and_each_change_is_audited(
    qtbot: QtBot, admin_chart: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logo = png(tmp_path)
    monkeypatch.setattr(settings_module, "choose_logo_file", lambda parent: logo)
    dialog = opened(qtbot, SettingsDialog(admin_chart))
    assert child(dialog, QLabel, "logoDescription").text() == "Logo: none"
    type_into(qtbot, dialog, "clinicPhone", "403-555-0199")
    type_number(qtbot, dialog.default_dwell, 12)
    type_number(qtbot, dialog.consent_months, 24)
    click(qtbot, dialog, "chooseLogo")
    assert child(dialog, QLabel, "logoDescription").text() == "Logo: PNG 240×80 px, 1 KB"
    assert not child(dialog, QLabel, "logoPreview").pixmap().isNull()
    with qtbot.waitSignal(dialog.accepted, timeout=10000):
        click(qtbot, dialog, "saveSettings")
    clinic = admin_chart.clinic.clinic()
    assert (clinic.phone, clinic.default_dwell_minutes, clinic.consent_valid_months) == ("403-555-0199", 12, 24)
    assert clinic.logo == logo.read_bytes()
    detail = settings_rows(admin_chart)[-1]
    for said in (
        "clinic phone: “403-555-0142” → “403-555-0199”",
        "default dwell: 10 → 12 minutes",
        "consent validity: 12 → 24 months",
        "letterhead logo: none → PNG 240×80 px, 1 KB",
    ):
        assert said in detail


def test_a_file_that_is_no_image_is_refused_beside_the_logo_and_nothing_is_kept(
    qtbot: QtBot, admin_chart: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "logo.png"
    fake.write_text("not a picture at all", encoding="utf-8")
    monkeypatch.setattr(settings_module, "choose_logo_file", lambda parent: fake)
    dialog = opened(qtbot, SettingsDialog(admin_chart))
    click(qtbot, dialog, "chooseLogo")
    assert error_beside(dialog, "settingsError_logo") == "The logo must be a PNG or JPEG image: choose another file."
    assert dialog.logo is None
    broken = png(tmp_path, "broken.png")
    broken.write_bytes(broken.read_bytes()[:70])  # a PNG's header, its pixels cut off
    monkeypatch.setattr(settings_module, "choose_logo_file", lambda parent: broken)
    click(qtbot, dialog, "chooseLogo")
    assert "damaged" in error_beside(dialog, "settingsError_logo")
    assert dialog.logo is None


def test_a_bad_default_dwell_typed_past_the_box_is_named_and_nothing_is_saved(
    qtbot: QtBot, admin_chart: Services
) -> None:
    dialog = opened(qtbot, SettingsDialog(admin_chart))
    type_into(qtbot, dialog, "clinicName", " ")
    click(qtbot, dialog, "saveSettings")
    assert error_beside(dialog, "settingsError_name") == "Clinic name is required."
    assert dialog.isVisible() and admin_chart.clinic.clinic().name == "Bow River Physiotherapy"


def test_the_needle_lots_open_from_the_settings(qtbot: QtBot, admin_chart: Services) -> None:
    dialog = opened(qtbot, SettingsDialog(admin_chart))
    click(qtbot, dialog, "openNeedleLots")
    lots = dialog.findChild(NeedleLotsDialog)
    assert lots is not None
    qtbot.waitExposed(lots)
    lots.reject()


def test_the_backup_folder_changes_at_once_and_is_audited(
    qtbot: QtBot, admin_chart: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "copies"
    monkeypatch.setattr(settings_module, "choose_backup_folder", lambda parent, start: target)
    dialog = opened(qtbot, SettingsDialog(admin_chart))
    assert child(dialog, QLabel, "dataFolder").text() == str(tmp_path / "clinic.sqlite")
    click(qtbot, dialog, "changeBackupFolderSetting")
    assert child(dialog, QLabel, "backupFolderSetting").text() == str(target)
    assert settings_rows(admin_chart)[-1].endswith(f"→ {target}")
    click(qtbot, dialog, "cancelSettings")
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert admin_chart.clinic.backup_folder() == target  # this PC's, kept at once


def test_the_wheel_over_the_settings_spin_boxes_changes_nothing(qtbot: QtBot, admin_chart: Services) -> None:
    from tests.ui.test_wheel import assert_the_wheel_changes_nothing

    assert_the_wheel_changes_nothing(opened(qtbot, SettingsDialog(admin_chart)), at_least=3)


# --- the aftercare sheet from the editor ----------------------------------------------------------


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Patient]]:
    services = open_chart(tmp_path / "room1.sqlite")
    from needlelog.domain.model import Clinic

    services.clinic.save_clinic(Clinic("Bow River Physiotherapy", "12 Centre Ave W", "403-555-0142"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(
        make_patient("C777", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "Dana Whitford"))
    )
    yield services, clinician, patient
    services.close()


def test_the_editor_prints_the_aftercare_sheet_in_one_action_and_audits_it(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import needlelog.ui.editor.printed_note as printed_module

    services, clinician, patient = room
    opened_urls: list[str] = []
    monkeypatch.setattr(
        printed_module.QDesktopServices, "openUrl", lambda url: opened_urls.append(url.toLocalFile()) or True
    )
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    editor.print_folder = tmp_path / "print"
    chart_site(qtbot, editor, "Chest", "L", 2, "W")
    qtbot.mouseClick(editor.printed.aftercare_button, Qt.MouseButton.LeftButton)
    assert len(opened_urls) == 1 and opened_urls[0].endswith("_C777_dwhitford_aftercare.pdf")
    read = subprocess.run(["pdftotext", opened_urls[0], "-"], capture_output=True, text=True, check=True)
    text = " ".join(read.stdout.split())
    assert "Breathing warning" in text and "Left chest" in text
    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=10000)
    focused = QApplication.focusWidget() or editor
    qtbot.keyClick(focused, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(opened_urls) == 2, timeout=10000)
    today = date.today()
    rows = [line.entry for line in services.registers.audit(today, today)]
    printed = [row for row in rows if row.action == AuditAction.AFTERCARE_PRINTED]
    assert len(printed) == 2 and {row.session_id for row in printed} == {editor.session.id}
    assert "Aftercare sheet written" in editor.save_state.text()
