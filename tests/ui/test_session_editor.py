"""The session editor driven with the real widgets: chart, count out, sign; autosave; conflicts; crash reopen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinician, Consent, Patient
from needlelog.domain.vocab import (
    BodyRegion,
    Condition,
    ConsentMethod,
    Precaution,
    SessionStatus,
    Side,
    TwitchResponse,
)
from needlelog.services.store import Services, open_chart
from needlelog.services.workspace import OpenDrafts
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import AUTOSAVE_MS, SessionEditor, SiteRow
from tests.conftest import make_patient


@pytest.fixture
def chart(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Patient, Path]]:
    path = tmp_path / "room1.sqlite"
    services = open_chart(path)  # the real clock: the editor shows and saves times as they are now
    from needlelog.domain.model import Clinic

    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(
        make_patient("C777", consent=Consent(date.today() - timedelta(days=1), ConsentMethod.WRITTEN, "Dana Whitford"))
    )
    yield services, clinician, patient, path
    services.close()


def main_window(qtbot: QtBot, services: Services, clinician: Clinician, drafts: OpenDrafts | None = None) -> MainWindow:
    window = MainWindow(services, clinician, drafts)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def pick(qtbot: QtBot, combo: QComboBox, text: str) -> None:
    """Choose by typing, as a person does with a focused list (one key is usually enough)."""
    combo.setFocus()
    qtbot.keyClicks(combo, text)
    assert text.lower() in combo.currentText().lower(), (combo.objectName(), combo.currentText())


def type_number(qtbot: QtBot, widget: QWidget, value: int) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, str(value))


def tick(qtbot: QtBot, box: QCheckBox) -> None:
    """Click the box itself, where a person aims (a wide check box's centre can be empty space)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(9, box.height() // 2))


def chart_site(qtbot: QtBot, editor: SessionEditor, region: str, side: str, needles: int, twitch: str) -> SiteRow:
    qtbot.mouseClick(editor.add_site_button, Qt.MouseButton.LeftButton)
    row = editor.rows[-1]
    pick(qtbot, row.region, region)
    pick(qtbot, row.side, side)
    type_number(qtbot, row.needles, needles)
    pick(qtbot, row.twitch, twitch)
    return row


def test_chart_three_sites_count_out_sign_and_find_it_after_a_restart(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, _patient, path = chart
    window = main_window(qtbot, services, clinician)
    qtbot.mouseClick(window.new_patient_button, Qt.MouseButton.LeftButton)
    dialog = window.patient_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog, timeout=10000)
    qtbot.keyClicks(dialog.family, "Okafor")
    qtbot.keyClicks(dialog.given, "Ada")
    qtbot.keyClicks(dialog.chart, "C-900")
    dialog.chart.setFocus()
    qtbot.keyClick(dialog.chart, Qt.Key.Key_Tab)  # into the birth date's year; digits fill year, month, day
    qtbot.waitUntil(dialog.born.hasFocus, timeout=10000)
    qtbot.keyClicks(dialog.born, "19790314")
    tick(qtbot, dialog.screening[Precaution.NEEDLE_FEAR])
    tick(qtbot, dialog.consent_given)
    qtbot.keyClicks(dialog.consent_by, "Dana Whitford")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_patient is not None, timeout=10000)
    assert window.current_patient.chart_number == "C-900"
    qtbot.mouseClick(window.new_session_button, Qt.MouseButton.LeftButton)
    editor = window.editors[next(iter(window.editors))]
    qtbot.addWidget(editor)
    pick(qtbot, editor.condition, "Neck")
    tick(qtbot, editor.acks[Precaution.NEEDLE_FEAR])
    chart_site(qtbot, editor, "Neck", "R", 2, "S")
    chart_site(qtbot, editor, "Sh", "L", 1, "W")
    chart_site(qtbot, editor, "Lo", "M", 12, "N")
    type_number(qtbot, editor.pain_before, 7)
    type_number(qtbot, editor.pain_after, 3)
    editor.notes.setFocus()
    qtbot.keyClicks(editor.notes, "Tolerated well; <b>no</b> reactions & good release.")
    assert editor.inserted.text() == "15"
    for _ in range(14):
        qtbot.mouseClick(editor.count_out, Qt.MouseButton.LeftButton)
    # Counted at the site in hand (the last charted), then in order: the one needle left is traced to its site.
    assert editor.ledger_status.text().startswith("✖ 1 needle not counted out: site 2.")
    tip = editor.ledger_status.toolTip()
    assert "Site 2 (left" in tip and "1 of 1 needle not counted out" in tip
    qtbot.mouseClick(editor.count_out, Qt.MouseButton.LeftButton)
    tick(qtbot, editor.sharps)
    tick(qtbot, editor.end_set)
    assert editor.ledger_status.text().startswith("✔")
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert editor.session.status is SessionStatus.SIGNED, [
        editor.problems.item(i).text() for i in range(editor.problems.count())
    ]
    assert editor.notes.isReadOnly() is not False  # a signed note opens read-only
    assert not editor.rows[0].needles.isEnabled()
    session_id = editor.session.id
    editor.close()
    window.close()
    services.close()

    reopened = open_chart(path)
    stored = reopened.sessions.get(session_id or 0)
    reopened_patient = reopened.patients.get(stored.patient_id)
    reopened.close()
    assert stored.status is SessionStatus.SIGNED and len(stored.fingerprint) == 64
    assert stored.condition is Condition.NECK_HEADACHE
    assert [(s.region, s.side, s.needles, s.dwell_minutes, s.twitch) for s in stored.sites] == [
        (BodyRegion.NECK, Side.RIGHT, 2, 10, TwitchResponse.STRONG),
        (BodyRegion.SHOULDER, Side.LEFT, 1, 10, TwitchResponse.WEAK),
        (BodyRegion.LOWER_BACK, Side.MIDLINE, 12, 10, TwitchResponse.NONE),
    ]
    assert (stored.pain_before, stored.pain_after) == (7, 3)
    assert (stored.needles_removed, stored.sharps_disposed) == (15, True)
    assert stored.notes == "Tolerated well; <b>no</b> reactions & good release."
    patient = reopened_patient
    assert (patient.family_name, patient.given_name, patient.date_of_birth) == ("Okafor", "Ada", date(1979, 3, 14))
    assert patient.screening.positive == {Precaution.NEEDLE_FEAR}
    assert stored.precautions_acknowledged == {Precaution.NEEDLE_FEAR}


def test_sign_lists_missing_twitch_dwell_16_and_a_needle_still_in_and_signs_nothing(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, _ = chart
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    pick(qtbot, editor.condition, "Neck")
    editor.end_set.setChecked(True)
    first = chart_site(qtbot, editor, "Neck", "R", 2, "S")
    first.twitch.set_code(None)
    second = chart_site(qtbot, editor, "Sh", "L", 2, "W")
    type_number(qtbot, second.dwell, 16)
    assert second.error.text() == "Site 2: dwell time must be 5 to 15 minutes (got 16)."
    first.out.setValue(2)
    second.out.setValue(1)
    editor.sharps.setChecked(True)
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    listed = [editor.problems.item(i).text() for i in range(editor.problems.count())]
    assert listed == [
        "• Site 1: mark the twitch response.",
        "• Site 2: dwell time must be 5 to 15 minutes (got 16).",
        "• Site 2 (left shoulder): 1 of 2 needles not counted out.",
    ]
    assert "Not signed yet" in editor.sign_button.toolTip()
    assert services.sessions.get(editor.session.id or 0).status is SessionStatus.DRAFT
    # each problem takes the user to its field
    fields = [editor.problems.item(i).data(Qt.ItemDataRole.UserRole) for i in range(editor.problems.count())]
    assert [editor.widget_for(f) for f in fields] == [first.twitch, second.dwell, second.out]


def test_typing_is_saved_within_two_seconds_without_asking(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, _ = chart
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    editor.notes.setFocus()
    assert AUTOSAVE_MS <= 2000  # "within two seconds" is the timer's promise; the waits below allow a busy machine
    qtbot.keyClicks(editor.notes, "needled R upper trap")

    def stored_notes() -> str:
        return services.sessions.get(editor.session.id or 0).notes

    qtbot.waitUntil(lambda: stored_notes() == "needled R upper trap", timeout=20000)
    # a refused value is shown, the rest is still saved
    row = chart_site(qtbot, editor, "Neck", "R", 2, "W")
    type_number(qtbot, row.dwell, 16)
    qtbot.keyClicks(editor.notes, ", then levator")
    qtbot.waitUntil(lambda: stored_notes().endswith("then levator"), timeout=20000)
    stored = services.sessions.get(editor.session.id or 0)
    assert stored.sites[0].dwell_minutes is None and stored.sites[0].needles == 2


def test_two_windows_on_one_draft_the_second_save_is_told_and_keeps_its_text(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, path = chart
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    other_pc = open_chart(path)
    first = SessionEditor(services, draft, patient, clinician)
    second = SessionEditor(other_pc, draft, patient, clinician)
    for editor in (first, second):
        qtbot.addWidget(editor)
    first.notes.setPlainText("room 1 text")
    assert first.save_now()
    second.notes.setPlainText("room 2 text")
    assert not second.save_now()
    assert second.conflict_bar.isVisibleTo(second)
    assert "another window or PC" in second.conflict_text.text()
    assert second.notes.toPlainText() == "room 2 text"
    assert services.sessions.get(draft.id or 0).notes == "room 1 text"
    second.notes.setPlainText("room 1 text\nroom 2 text")
    qtbot.mouseClick(second.keep_mine, Qt.MouseButton.LeftButton)
    assert services.sessions.get(draft.id or 0).notes == "room 1 text\nroom 2 text"
    other_pc.close()


def test_open_drafts_reopen_after_the_program_stopped(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path], tmp_path: Path
) -> None:
    services, clinician, patient, _ = chart
    drafts = OpenDrafts(tmp_path / "open-drafts.json", services.location)
    window = main_window(qtbot, services, clinician, drafts)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    editor.notes.setPlainText("typed before the power cut")
    editor.save_now()
    # no clean close: a new window on the same chart finds the draft listed and reopens it
    again = main_window(qtbot, services, clinician, OpenDrafts(tmp_path / "open-drafts.json", services.location))
    reopened = again.reopen_drafts()
    assert [e.notes.toPlainText() for e in reopened] == ["typed before the power cut"]
    for e in (*reopened, editor):
        qtbot.addWidget(e)
        e.close()
    assert drafts.ids() == []


def part_of_compound(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractSpinBox | QComboBox):
            return True
        parent = parent.parentWidget()
    return False


def test_every_interactive_widget_of_the_editor_and_dialog_is_named(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, _ = chart
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    editor.add_site()
    dialog = window.new_patient()
    interactive = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QPlainTextEdit, QAbstractItemView)
    for top in (editor, dialog):
        widgets = [w for w in top.findChildren(QWidget) if isinstance(w, interactive)]
        assert len(widgets) > 20
        for widget in widgets:
            if widget.objectName().startswith("qt_") or part_of_compound(widget):
                continue  # Qt's own parts of a compound widget (a spin box's line edit, a list's popup)
            assert widget.objectName(), widget
            assert widget.accessibleName(), widget.objectName()
    dialog.reject()


def test_the_editor_saves_and_opens_the_visit_note_as_a_pdf(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    import needlelog.ui.session_editor as editor_module

    services, clinician, patient, _ = chart
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    editor = window.new_session()
    assert editor is not None
    qtbot.addWidget(editor)
    chart_site(qtbot, editor, "Neck", "R", 2, "S")
    editor.notes.setPlainText("Printed <b>as typed</b> & safe")
    target = tmp_path / "chosen.pdf"
    asked: list[str] = []
    monkeypatch.setattr(editor_module, "ask_pdf_path", lambda parent, suggested: asked.append(suggested) or str(target))
    opened: list[str] = []
    monkeypatch.setattr(editor_module.QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    qtbot.mouseClick(editor.pdf_button, Qt.MouseButton.LeftButton)
    assert asked and asked[0].endswith("_C777_dwhitford.pdf")
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "Printed <b>as typed</b> & safe" in text and "DRAFT" in text and "Neck" in text
    qtbot.mouseClick(editor.open_pdf_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1 and opened[0].endswith(".pdf") and Path(opened[0]).exists()
    assert "print" in Path(opened[0]).parent.name


def test_what_the_widgets_give_back_are_the_vocabulary_s_terms(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    # Qt returns a str enum stored as item data as a plain str; the editor must hand the domain real terms.
    services, clinician, patient, _ = chart
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    editor = SessionEditor(services, draft, patient, clinician)
    qtbot.addWidget(editor)
    pick(qtbot, editor.condition, "Neck")
    row = chart_site(qtbot, editor, "Neck", "R", 2, "S")
    content = editor.content()
    assert type(content.condition) is Condition
    assert (type(content.sites[0].region), type(content.sites[0].side), type(content.sites[0].twitch)) == (
        BodyRegion,
        Side,
        TwitchResponse,
    )
    assert row.region.code() is BodyRegion.NECK


def test_closing_never_loses_typed_text_even_beside_a_refused_value(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, _ = chart
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    editor = SessionEditor(services, draft, patient, clinician)
    qtbot.addWidget(editor)
    editor.show()
    editor.notes.setPlainText("typed beside a wrong start time")
    editor.start.setDateTime(editor.start.dateTime().addDays(1))  # in the future: refused
    row = editor.add_site()
    row.lot.setText("L" * 204)  # longer than a lot number may be
    editor.close()
    stored = services.sessions.get(draft.id or 0)
    assert stored.notes == "typed beside a wrong start time"
    assert stored.service_start == draft.service_start  # the refused start was not written
    assert stored.sites[0].needle_lot == "L" * 200


def test_closing_an_untouched_draft_writes_nothing_and_overwrites_no_one(
    qtbot: QtBot, chart: tuple[Services, Clinician, Patient, Path]
) -> None:
    services, clinician, patient, path = chart
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    looking = SessionEditor(services, draft, patient, clinician)  # PC A only looks
    qtbot.addWidget(looking)
    other_pc = open_chart(path)
    writing = SessionEditor(other_pc, draft, patient, clinician)  # PC B charts
    qtbot.addWidget(writing)
    writing.notes.setPlainText("PC B's real notes")
    assert writing.save_now()
    looking.close()
    assert not looking.conflict_bar.isVisibleTo(looking)
    assert services.sessions.get(draft.id or 0).notes == "PC B's real notes"
    other_pc.close()
