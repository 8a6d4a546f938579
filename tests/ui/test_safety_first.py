"""Safety before the first needle (issue 11, item 3), on the real editor and a real chart file: no site before
consent, and the one-step fix at the top of the editor; a precaution not acknowledged stops signing until it is
ticked; lymphoedema of a limb refuses a site there; an implanted device refuses electrical stimulation; the
patient form asks the new screening questions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QScrollArea
from pytestqt.qtbot import QtBot

from needlelog.domain.access import AuditAction
from needlelog.domain.errors import ValidationError
from needlelog.domain.model import Clinic, Clinician, Consent, NeedlingSite, Patient, Screening
from needlelog.domain.rules import local_date
from needlelog.domain.vocab import BodyRegion, ConsentMethod, Precaution, Side
from needlelog.services.store import Services, open_chart
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import NOW, FakeClock, make_patient
from tests.ui.test_body_chart import RIGHT_UPPER_TRAPEZIUS, open_editor, tap
from tests.ui.test_session_editor import main_window, pick, tick

PRECAUTIONS = frozenset({Precaution.EPILEPSY, Precaution.LYMPHOEDEMA_LEFT_ARM, Precaution.IMPLANTED_DEVICE})


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Patient, Patient]]:
    """A clinic on 2026-03-10: a patient whose consent expired in 2025, one with three precautions (consent valid)."""
    services = open_chart(tmp_path / "room.sqlite", clock=FakeClock(NOW))
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    lapsed = services.patients.create(
        make_patient("C1", consent=Consent(date(2024, 2, 1), ConsentMethod.WRITTEN, "Ravi Sandhu"))
    )
    screened = services.patients.create(make_patient("C2", given_name="Ada", screening=Screening(PRECAUTIONS)))
    yield services, clinician, lapsed, screened
    services.close()


def editor_for(qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient) -> SessionEditor:
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    return open_editor(qtbot, window)


def place_from_lists(qtbot: QtBot, editor: SessionEditor, region: BodyRegion, side: Side) -> None:
    editor.place_region.set_code(region)
    editor.place_side.set_code(side)
    editor.place_region.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)  # Place (Alt+M)


def test_no_site_before_consent_and_verbal_consent_recorded_in_the_panel_lets_the_tap_place_it(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Patient]
) -> None:
    services, clinician, lapsed, _screened = room
    editor = editor_for(qtbot, services, clinician, lapsed)
    safety = editor.safety
    # At the top, before anything else, saying why and offering the fix.
    scroll = editor.findChild(QScrollArea, "editorScroll")
    assert safety.isVisible() and safety.geometry().bottom() < scroll.geometry().top()
    assert "expired on 2025-02-01" in safety.status.text() and "Before the first needle" in safety.status.text()
    assert safety.record_button.isVisible() and safety.consent_by.text() == "Dana Whitford"

    tap(qtbot, editor, RIGHT_UPPER_TRAPEZIUS)
    assert editor.rows == []
    assert "expired on 2025-02-01" in editor.chart_message.text() and "record" in editor.chart_message.text()
    qtbot.mouseClick(editor.add_site_button, Qt.MouseButton.LeftButton)
    place_from_lists(qtbot, editor, BodyRegion.LOWER_BACK, Side.MIDLINE)
    assert editor.rows == [] and "consent" in editor.chart_message.text()
    # The service refuses too, naming the field.
    with pytest.raises(ValidationError) as refused:
        services.sessions.save_draft(replace(editor.session, sites=(NeedlingSite(BodyRegion.NECK, Side.RIGHT),)))
    assert [p.field for p in refused.value.problems] == ["consent"]

    qtbot.mouseClick(safety.record_button, Qt.MouseButton.LeftButton)  # verbal, by Dana, today: the defaults
    today = local_date(NOW)
    recorded = Consent(today, ConsentMethod.VERBAL, "Dana Whitford")
    assert services.patients.get(lapsed.id or 0).consent == recorded
    audit = services.registers.audit(today, today)
    saved = [line.entry for line in audit if line.entry.action is AuditAction.PATIENT_SAVED]
    assert (lapsed.id, f"consent recorded (verbal, {today})") in [(e.patient_id, e.detail) for e in saved]
    assert not safety.record_button.isVisible()
    assert safety.status.text().startswith("✓ Consent valid until 2027-03-09")

    tap(qtbot, editor, RIGHT_UPPER_TRAPEZIUS)
    assert len(editor.rows) == 1 and editor.rows[0].region.code() is BodyRegion.NECK
    assert editor.save_now()
    assert len(services.sessions.get(editor.session.id or 0).sites) == 1


def test_a_precaution_not_acknowledged_shows_at_the_top_and_stops_signing_until_ticked(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Patient]
) -> None:
    services, clinician, _lapsed, screened = room
    editor = editor_for(qtbot, services, clinician, screened)
    safety = editor.safety
    assert "3 precautions not yet acknowledged" in safety.status.text() and not safety.record_button.isVisible()
    epilepsy = editor.acks[Precaution.EPILEPSY]
    assert safety.isAncestorOf(epilepsy) and epilepsy.isVisible()

    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    shown = [editor.problems.item(i).text() for i in range(editor.problems.count())]
    assert "• Acknowledge the precaution: Epilepsy." in shown
    for precaution in sorted(PRECAUTIONS):
        tick(qtbot, editor.acks[precaution])
    assert safety.status.text() == (
        "✓ Consent valid until 2027-01-04 (written, 2026-01-05, by Dana Whitford) · 3 of 3 precautions acknowledged"
    )
    assert "Epilepsy" in safety.status.toolTip()
    assert not epilepsy.isVisible()  # one line now; Review shows the ticks again
    qtbot.mouseClick(safety.review_button, Qt.MouseButton.LeftButton)
    assert epilepsy.isVisible() and epilepsy.isChecked()
    messages = [p.message for p in services.sessions.sign_problems(editor.content(), clinician.id or 0)]
    assert not [m for m in messages if m.startswith("Acknowledge")]
    assert editor.save_now()
    assert services.sessions.get(editor.session.id or 0).precautions_acknowledged == PRECAUTIONS


def test_lymphoedema_of_the_left_arm_refuses_a_left_forearm_site_naming_the_limb(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Patient]
) -> None:
    services, clinician, _lapsed, screened = room
    editor = editor_for(qtbot, services, clinician, screened)
    place_from_lists(qtbot, editor, BodyRegion.FOREARM_HAND, Side.LEFT)
    assert editor.rows == [] and "Lymphoedema of the left arm" in editor.chart_message.text()
    place_from_lists(qtbot, editor, BodyRegion.FOREARM_HAND, Side.RIGHT)  # the other arm is needled as usual
    assert len(editor.rows) == 1 and editor.rows[0].side.code() is Side.RIGHT
    pick(qtbot, editor.rows[0].side, "L")  # moved into the limb by hand: said under the row, and signing refuses
    assert "lymphoedema of the left arm" in editor.rows[0].error.text()
    fields = [p.field for p in services.sessions.sign_problems(editor.content(), clinician.id or 0)]
    assert "sites[0].region" in fields
    # The service refuses a new site there too.
    editor.save_now()
    new_site = NeedlingSite(BodyRegion.FOREARM_HAND, Side.BILATERAL)
    with pytest.raises(ValidationError, match="left arm"):
        services.sessions.save_draft(replace(editor.session, sites=(*editor.session.sites, new_site)))


def test_an_implanted_device_refuses_electrical_stimulation(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Patient]
) -> None:
    services, clinician, _lapsed, screened = room
    editor = editor_for(qtbot, services, clinician, screened)
    assert "implanted electrical device" in editor.estim.text()
    tick(qtbot, editor.estim)
    assert not editor.estim.isChecked()
    assert editor.visit_error.isVisible() and "implanted electrical device" in editor.visit_error.text()
    assert not editor.content().electrical_stimulation
    with pytest.raises(ValidationError) as refused:
        services.sessions.save_draft(replace(editor.session, electrical_stimulation=True))
    assert [p.field for p in refused.value.problems] == ["electrical_stimulation"]
    signing = services.sessions.sign_problems(replace(editor.content(), electrical_stimulation=True), clinician.id or 0)
    assert "electrical_stimulation" in [p.field for p in signing]


def test_the_patient_form_asks_every_screening_question_and_stores_the_limb(
    qtbot: QtBot, room: tuple[Services, Clinician, Patient, Patient]
) -> None:
    services, clinician, _lapsed, screened = room
    window = main_window(qtbot, services, clinician)
    window.show_patient(screened.id)
    window.edit_patient()
    dialog = window.patient_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=10000)
    assert set(dialog.screening) == set(Precaution) - {Precaution.UNDER_12}
    assert dialog.screening[Precaution.LYMPHOEDEMA_LEFT_ARM].isChecked()
    tick(qtbot, dialog.screening[Precaution.LYMPHOEDEMA_RIGHT_LEG])
    tick(qtbot, dialog.screening[Precaution.FAINTING_HISTORY])
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    stored = services.patients.get(screened.id or 0).screening.positive
    assert stored == PRECAUTIONS | {Precaution.LYMPHOEDEMA_RIGHT_LEG, Precaution.FAINTING_HISTORY}
    window.close()
