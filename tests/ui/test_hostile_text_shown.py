"""Hostile text in the window (issue 12, item 5): a value no database can store is refused beside its field like any
other refused value, the window goes on, and autosave keeps the rest of what was typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Patient
from needlelog.services.store import Services, open_chart
from needlelog.ui.dialogs.patient_dialog import PatientDialog
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import TEST_HASHER, TEST_WRAPPING, make_patient


@pytest.fixture
def chart(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Patient]]:
    services = open_chart(tmp_path / "chart.sqlite", hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(make_patient("C777"))
    yield services, clinician, patient
    services.close()


# (Qt itself drops a lone surrogate from what is typed or pasted: only the services meet one, tests/services.)
@pytest.mark.parametrize("hostile", ["Ravi\x00", "Ra\x07vi", "R" * 201])
def test_the_patient_dialog_shows_the_refusal_beside_the_name(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient], hostile: str
) -> None:
    services, _, _ = chart
    dialog = PatientDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.family.setText("Sandhu")
    dialog.given.setText(hostile)
    dialog.chart.setText("C900")
    dialog.save()
    label = dialog.findChild(QLabel, "error_given_name")
    assert label is not None and label.isVisible()
    assert "Given name" in label.text() and dialog.isVisible()
    assert services.patients.search("C900") == []


def test_the_editor_refuses_a_nul_in_the_notes_and_autosave_keeps_the_rest(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient]
) -> None:
    services, clinician, patient = chart
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    editor = SessionEditor(services, draft, patient, clinician)
    qtbot.addWidget(editor)
    editor.show()
    editor.notes.setPlainText("before\x00after \ud800and on")
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    editor.close()
    assert services.sessions.get(draft.id or 0).notes == "beforeafter and on"
