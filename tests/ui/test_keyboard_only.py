"""The whole visit with the keyboard alone: register the patient, chart three sites, count out, sign."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician
from needlelog.domain.vocab import BodyRegion, SessionStatus, Side, TwitchResponse
from needlelog.services.store import Services, open_chart
from needlelog.ui.main_window import MainWindow

Key = Qt.Key
Mod = Qt.KeyboardModifier


@pytest.fixture
def empty_clinic(tmp_path: Path) -> Iterator[tuple[Services, Clinician, Path]]:
    path = tmp_path / "clinic.sqlite"
    services = open_chart(path)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    yield services, clinician, path
    services.close()


class Keyboard:
    """Keys go to whatever has the focus, as on a real keyboard; every key is counted."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.presses = 0

    def focus(self) -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def type(self, text: str) -> None:
        for char in text:
            widget = self.focus()
            if char.isascii():
                self.qtbot.keyClicks(widget, char)
            else:
                # QTest types ASCII only; a real keyboard layout or input method delivers other letters as text.
                for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                    QApplication.sendEvent(widget, QKeyEvent(kind, Key.Key_unknown, Mod.NoModifier, char))
            self.presses += 1

    def press(self, key: Qt.Key, modifier: Qt.KeyboardModifier = Mod.NoModifier, times: int = 1) -> None:
        for _ in range(times):
            self.qtbot.keyClick(self.focus(), key, modifier)
            self.presses += 1


def test_a_whole_visit_with_the_keyboard_alone(qtbot: QtBot, empty_clinic: tuple[Services, Clinician, Path]) -> None:
    services, clinician, path = empty_clinic
    window = MainWindow(services, clinician)
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    keys = Keyboard(qtbot)
    keys.press(Key.Key_F, Mod.ControlModifier)
    keys.press(Key.Key_N, Mod.ControlModifier | Mod.ShiftModifier)  # new patient
    dialog = window.patient_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.family, timeout=10000)
    keys.type("Nguyễn")
    keys.press(Key.Key_Tab)
    keys.type("Zoë")
    keys.press(Key.Key_Tab)
    keys.type("K-42")
    keys.press(Key.Key_Tab)
    keys.type("19840517")
    keys.press(Key.Key_Tab, times=19)  # phone, fifteen screening answers, surgery region, plan, consent
    assert QApplication.focusWidget() is dialog.consent_given
    keys.press(Key.Key_Space)
    # today's consent date (Tab steps through its year, month and day), written/verbal, obtained by
    keys.press(Key.Key_Tab, times=5)
    assert QApplication.focusWidget() is dialog.consent_by
    keys.type("Dana Whitford")
    keys.press(Key.Key_Return)
    shown = [label.text() for label in (*dialog.errors.values(), dialog.general_error) if label.text()]
    assert shown == [], shown
    qtbot.waitUntil(lambda: window.current_patient is not None, timeout=10000)
    assert window.current_patient.chart_number == "K-42"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.new_session_button, timeout=10000)

    keys.press(Key.Key_N, Mod.ControlModifier)  # new session
    editor = next(iter(window.editors.values()))
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor, timeout=10000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.condition, timeout=10000)
    keys.type("Neck")
    for region, side, needles, twitch in (("Neck", "R", "2", "S"), ("Sh", "L", "1", "W"), ("Low", "M", "9", "N")):
        keys.press(Key.Key_A, Mod.AltModifier)  # add a site: the focus goes to its region
        keys.type(region)
        keys.press(Key.Key_Tab)
        keys.type(side)
        keys.press(Key.Key_Tab, times=2)  # past the muscle
        keys.type(needles)
        keys.press(Key.Key_Tab, times=2)  # past the dwell (the clinic's default, 10)
        keys.type(twitch)
    keys.press(Key.Key_O, Mod.AltModifier, times=12)  # every needle counted out
    keys.press(Key.Key_D, Mod.AltModifier)  # disposed in sharps
    keys.press(Key.Key_E, Mod.AltModifier)  # the visit has ended
    keys.press(Key.Key_Return, Mod.ControlModifier)  # sign
    assert editor.session.status is SessionStatus.SIGNED, [
        editor.problems.item(i).text() for i in range(editor.problems.count())
    ]
    session_id = editor.session.id
    editor.close()
    window.close()
    services.close()

    stored = open_chart(path)
    session = stored.sessions.get(session_id or 0)
    patient = stored.patients.get(session.patient_id)
    stored.close()
    assert (patient.family_name, patient.given_name, patient.consent is not None) == ("Nguyễn", "Zoë", True)
    assert [(s.region, s.side, s.needles, s.dwell_minutes, s.twitch) for s in session.sites] == [
        (BodyRegion.NECK, Side.RIGHT, 2, 10, TwitchResponse.STRONG),
        (BodyRegion.SHOULDER, Side.LEFT, 1, 10, TwitchResponse.WEAK),
        (BodyRegion.LOWER_BACK, Side.MIDLINE, 9, 10, TwitchResponse.NONE),
    ]
