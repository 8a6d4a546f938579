"""SPEC §5's charting budget, counted: one site in at most 6 interactions, three sites from "New session" to
"Sign" in at most 25 keystrokes and clicks, with no dialog in between."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinic, Clinician, Patient, TriggerPoint
from needlelog.domain.vocab import FigureView, SessionStatus, TwitchResponse
from needlelog.services.store import Services, open_chart
from needlelog.ui.main_window import MainWindow
from tests.conftest import NOW, FakeClock, make_patient

SITES = (
    TriggerPoint(FigureView.BACK, 0.6, 0.168),  # right upper trapezius
    TriggerPoint(FigureView.BACK, 0.8, 0.21),  # right shoulder
    TriggerPoint(FigureView.BACK, 0.42, 0.44),  # left lower back
)


class Hands:
    """The clinician's hands: every key and click goes through here, and is counted."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.count = 0

    def key(self, widget: QWidget, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        self.count += 1
        self.qtbot.keyClick(widget, key, modifier)
        QApplication.processEvents()  # a person's hands are slower than the event loop

    def click(self, widget: QWidget, at: QPoint | None = None) -> None:
        self.count += 1
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=at or widget.rect().center())
        QApplication.processEvents()


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Services, FakeClock, Clinician, Patient]]:
    clock = FakeClock(NOW)
    services = open_chart(tmp_path / "room.sqlite", clock=clock)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(make_patient())
    yield services, clock, clinician, patient
    services.close()


def test_three_sites_from_new_session_to_signed_in_25_interactions(
    qtbot: QtBot, room: tuple[Services, FakeClock, Clinician, Patient], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, clock, clinician, patient = room
    monkeypatch.setattr(QDialog, "exec", lambda self: pytest.fail(f"a dialog came up: {self.windowTitle()}"))
    window = MainWindow(services, clinician)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.show_patient(patient.id)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10000)
    hands = Hands(qtbot)

    hands.key(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # New session
    editor = next(iter(window.editors.values()))
    qtbot.addWidget(editor)
    editor.resize(1366, 768)
    qtbot.waitUntil(editor.isActiveWindow, timeout=10000)
    hands.key(editor.condition, Qt.Key.Key_N)  # "Neck pain and headaches": the editor opens on the condition

    per_site = []
    for point in SITES:
        before = hands.count
        hands.click(editor.chart, editor.chart.to_widget(point).toPoint())  # tap: the site, its region and side
        row = editor.rows[-1]
        hands.click(editor.quick_picks[0])  # the muscle
        hands.key(row.needles, Qt.Key.Key_2)  # the needle count (the focus is already there)
        hands.click(row.timer)  # the needles are in
        hands.key(editor, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # strong twitch
        per_site.append(hands.count - before)
    clock.advance(minutes=10)
    for row in editor.rows:
        hands.click(row.timer)  # needles out: the dwell fills itself and the site's needles are counted out
        per_site[editor.rows.index(row)] += 1
    assert per_site == [6, 6, 6]  # SPEC §5: at most 6 a site

    hands.key(editor, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # the visit has ended
    hands.key(editor, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # into the sharps container
    hands.key(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # sign

    assert editor.session.status is SessionStatus.SIGNED, [
        editor.problems.item(i).text() for i in range(editor.problems.count())
    ]
    assert hands.count <= 25, hands.count
    signed = services.sessions.get(editor.session.id or 0)
    assert [(s.dwell_minutes, s.twitch, s.needles) for s in signed.sites] == [(10, TwitchResponse.STRONG, 2)] * 3
    assert signed.sites[0].timer_stopped == NOW + timedelta(minutes=10)
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    window.close()
