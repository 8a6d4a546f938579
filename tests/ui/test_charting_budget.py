"""SPEC §5's charting budget, counted honestly: three sites from "New session" to a signed note — muscle, needle
count, the session's lot, timers started and stopped (counting the needles out), twitch, pain before and after,
sharps and Sign — in at most 25 keystrokes and clicks, with no dialog in between.

Every press is counted where it happens: ``qtbot``'s own mouse and key functions are wrapped, so no helper can
press a key the count does not see (``keyClicks("12")`` is two presses). Keys go to the widget that has the
focus, as on a real keyboard.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget
from pytestqt.qtbot import QtBot

from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import Clinic, Clinician, Patient, TriggerPoint
from needlelog.domain.vocab import BodyRegion, Condition, FigureView, SessionStatus, Side, TwitchResponse
from needlelog.services.store import Services, open_chart
from needlelog.ui.main_window import MainWindow
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import NOW, FakeClock, make_patient

SITES = (
    TriggerPoint(FigureView.BACK, 0.6, 0.168),  # right upper trapezius
    TriggerPoint(FigureView.BACK, 0.8, 0.21),  # right shoulder
    TriggerPoint(FigureView.BACK, 0.42, 0.44),  # left lower back
)
LOT = "L2304-27"
Key = Qt.Key
Mod = Qt.KeyboardModifier


class Presses:
    """Counts every mouse press and key press ``qtbot`` sends, whoever asks for it."""

    def __init__(self, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
        self.qtbot = qtbot
        self.mouse = 0
        self.keys = 0
        for name in ("mouseClick", "mousePress", "mouseDClick"):
            monkeypatch.setattr(qtbot, name, self._counting(getattr(qtbot, name), "mouse", lambda _a: 1))
        for name in ("keyClick", "keyPress"):
            monkeypatch.setattr(qtbot, name, self._counting(getattr(qtbot, name), "keys", lambda _a: 1))
        monkeypatch.setattr(qtbot, "keyClicks", self._counting(qtbot.keyClicks, "keys", lambda a: len(a[1])))

    def _counting(self, real: Callable[..., Any], kind: str, presses: Callable[[tuple[Any, ...]], int]) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            setattr(self, kind, getattr(self, kind) + presses(args))
            result = real(*args, **kwargs)
            QApplication.processEvents()  # a person's hands are slower than the event loop
            return result

        return counted

    @property
    def total(self) -> int:
        return self.mouse + self.keys

    @staticmethod
    def focus() -> QWidget:
        widget = QApplication.focusWidget()
        assert widget is not None, "nothing has the keyboard focus"
        return widget

    def key(self, key: Qt.Key, modifier: Qt.KeyboardModifier = Mod.NoModifier) -> None:
        self.qtbot.keyClick(self.focus(), key, modifier)

    def type(self, text: str) -> None:
        self.qtbot.keyClicks(self.focus(), text)

    def click(self, widget: QWidget, at: QPoint | None = None) -> None:
        self.qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=at or widget.rect().center())


@pytest.fixture
def room(tmp_path: Path) -> Iterator[tuple[Services, FakeClock, Clinician, Patient, Path]]:
    """A clinic with one usable box of needles in its inventory (and an expired one), and a patient whose
    written consent is valid and who screened negative for every precaution."""
    clock = FakeClock(NOW)
    path = tmp_path / "room.sqlite"
    services = open_chart(path, clock=clock)
    services.clinic.save_clinic(Clinic(name="Bow River Physiotherapy"))
    services.registers.add_lot(NeedleLot("Seirin", "0.30 x 50 mm", LOT, date(2030, 1, 31)))
    services.registers.add_lot(NeedleLot("Seirin", "0.25 x 30 mm", "L2001-01", date(2021, 1, 31)))  # expired
    clinician = services.clinic.add_clinician(Clinician("Dana Whitford", "dwhitford", "PT", "PT-04417"))
    patient = services.patients.create(make_patient())
    assert patient.consent is not None and not patient.screening.positive
    yield services, clock, clinician, patient, path
    services.close()


def open_window(qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient) -> MainWindow:
    window = MainWindow(services, clinician)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.show_patient(patient.id or 0)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=10000)
    return window


def new_session(qtbot: QtBot, window: MainWindow, hands: Presses) -> SessionEditor:
    hands.key(Key.Key_N, Mod.ControlModifier)  # New session
    editor = next(iter(window.editors.values()))
    qtbot.addWidget(editor)
    qtbot.waitUntil(editor.isActiveWindow, timeout=10000)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is editor.condition, timeout=10000)
    return editor


def read_back(path: Path, session_id: int) -> Any:
    """The note as the database file holds it, through a connection of its own."""
    stored = open_chart(path)
    try:
        return stored.sessions.get(session_id)
    finally:
        stored.close()


def test_three_sites_from_new_session_to_signed_in_25_interactions(
    qtbot: QtBot, room: tuple[Services, FakeClock, Clinician, Patient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, clock, clinician, patient, path = room
    monkeypatch.setattr(QDialog, "exec", lambda self: pytest.fail(f"a dialog came up: {self.windowTitle()}"))
    window = open_window(qtbot, services, clinician, patient)
    hands = Presses(qtbot, monkeypatch)

    editor = new_session(qtbot, window, hands)
    hands.key(Key.Key_N)  # "Neck pain and headaches": the editor opens on the condition
    hands.key(Key.Key_P, Mod.AltModifier)  # to the pain before
    hands.type("6")
    per_site = []
    for point in SITES:
        before = hands.total
        hands.click(editor.chart, editor.chart.to_widget(point).toPoint())  # tap: the site, its region and side
        row = editor.rows[-1]
        assert row.lot.text() == LOT  # the one usable box in the inventory: nobody types it
        hands.click(editor.quick_picks[0])  # the muscle; the focus goes to its needle count
        hands.type("2")
        hands.click(row.timer)  # the needles are in
        hands.key(Key.Key_S, Mod.AltModifier)  # strong twitch
        per_site.append(hands.total - before)
    clock.advance(minutes=10)
    for i, row in enumerate(editor.rows):
        hands.click(row.timer)  # needles out: the dwell fills itself and the site's needles are counted out
        per_site[i] += 1
    assert per_site == [6, 6, 6]  # SPEC §5: at most 6 a site
    # The last needles out: the visit's end is stamped and the focus waits on the pain after.
    assert editor.end_set.isChecked() and QApplication.focusWidget() is editor.pain_after
    hands.type("3")
    hands.key(Key.Key_D, Mod.AltModifier)  # into the sharps container
    hands.key(Key.Key_Return, Mod.ControlModifier)  # sign

    assert editor.session.status is SessionStatus.SIGNED, [
        editor.problems.item(i).text() for i in range(editor.problems.count())
    ]
    assert (hands.mouse, hands.keys) == (12, 13)
    assert hands.total <= 25, hands.total
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    signed = read_back(path, editor.session.id or 0)
    assert signed.status is SessionStatus.SIGNED and signed.signed_at == NOW + timedelta(minutes=10)
    assert (signed.pain_before, signed.pain_after, signed.sharps_disposed) == (6, 3, True)
    assert signed.service_end == NOW + timedelta(minutes=10)
    assert [(s.needles, s.needles_out, s.needle_lot, s.dwell_minutes, s.twitch) for s in signed.sites] == [
        (2, 2, LOT, 10, TwitchResponse.STRONG)
    ] * 3
    assert all(s.muscle for s in signed.sites) and signed.sites[0].timer_stopped == NOW + timedelta(minutes=10)
    window.close()


def test_three_sites_with_the_keyboard_alone(
    qtbot: QtBot, room: tuple[Services, FakeClock, Clinician, Patient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same visit without the mouse: the condition's letter goes on to the pain before, its digit on to "Add
    site", where each site's region letter adds it (on to its side); its side's letter, its muscle by a quick-pick key
    (Ctrl+1), its count, its timer by Alt+T (the focus back on "Add site") and its twitch; the needles of all three
    out by Shift+Alt+T."""
    services, clock, clinician, patient, path = room
    monkeypatch.setattr(QDialog, "exec", lambda self: pytest.fail(f"a dialog came up: {self.windowTitle()}"))
    window = open_window(qtbot, services, clinician, patient)
    hands = Presses(qtbot, monkeypatch)

    editor = new_session(qtbot, window, hands)
    hands.key(Key.Key_N)  # the condition: its letter names one, so the focus goes on to the pain before
    assert QApplication.focusWidget() is editor.pain_before
    hands.type("6")  # pain before: nothing more to type, so on to "Add site"
    assert QApplication.focusWidget() is editor.add_site_button
    for i, region in enumerate(("N", "S", "L")):  # Neck, Shoulder, Lower back: each the only region with its letter
        hands.type(region)  # a new site in that region, and the focus on to its side
        assert len(editor.rows) == i + 1 and QApplication.focusWidget() is editor.rows[i].side
        hands.type("R")  # its side
        hands.key(Key.Key_1, Mod.ControlModifier)  # the muscle; on to its needle count
        hands.type("2")
        hands.key(Key.Key_T, Mod.AltModifier)  # its timer: the needles are in; the focus back on "Add site"
        assert QApplication.focusWidget() is editor.add_site_button
        hands.key(Key.Key_S, Mod.AltModifier)  # strong twitch, for the site in hand
    clock.advance(minutes=10)
    # Needles out of every site past its planned dwell in one key, each site stopped and counted out on its own.
    hands.key(Key.Key_T, Mod.ShiftModifier | Mod.AltModifier)
    said = editor.findChild(QLabel, "chartMessage")
    assert said is not None and said.text() == "Needles out, each counted: site 1 (2), site 2 (2), site 3 (2)."
    hands.type("3")  # pain after (the focus went there)
    hands.key(Key.Key_D, Mod.AltModifier)
    hands.key(Key.Key_Return, Mod.ControlModifier)
    assert editor.session.status is SessionStatus.SIGNED, [
        editor.problems.item(i).text() for i in range(editor.problems.count())
    ]
    # 25 as with the mouse: a site costs 6 keys (region, side, muscle, count, timer, twitch).
    assert (hands.mouse, hands.keys) == (0, 25)
    signed = read_back(path, editor.session.id or 0)
    assert (signed.status, signed.condition, signed.pain_before, signed.pain_after) == (
        SessionStatus.SIGNED,
        Condition.NECK_HEADACHE,
        6,
        3,
    )
    assert [(s.region, s.side, s.needles_out, s.twitch) for s in signed.sites] == [
        (BodyRegion.NECK, Side.RIGHT, 2, TwitchResponse.STRONG),
        (BodyRegion.SHOULDER, Side.RIGHT, 2, TwitchResponse.STRONG),
        (BodyRegion.LOWER_BACK, Side.RIGHT, 2, TwitchResponse.STRONG),
    ]
    window.close()


def test_one_key_takes_out_only_the_needles_past_their_dwell(
    qtbot: QtBot, room: tuple[Services, FakeClock, Clinician, Patient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shift+Alt+T stops each timer that reached its planned dwell (each site counted out, and said so); a
    site whose needles went in later and are short of their dwell keeps its timer running."""
    services, clock, clinician, patient, _path = room
    window = open_window(qtbot, services, clinician, patient)
    hands = Presses(qtbot, monkeypatch)
    editor = new_session(qtbot, window, hands)
    for region, wait in (("N", 6), ("S", 5)):
        hands.key(Key.Key_A, Mod.AltModifier)
        hands.type(region)
        hands.key(Key.Key_Tab)
        hands.type("R")
        hands.key(Key.Key_1, Mod.ControlModifier)
        hands.type("3")
        hands.key(Key.Key_T, Mod.AltModifier)
        clock.advance(minutes=wait)
    hands.key(Key.Key_T, Mod.ShiftModifier | Mod.AltModifier)
    first, second = editor.rows
    assert first.timer_stopped == NOW + timedelta(minutes=11) and first.out.value() == 3
    assert second.timer_stopped is None and second.out.value() == 0
    said = editor.findChild(QLabel, "chartMessage")
    assert said is not None and said.text() == "Needles out, each counted: site 1 (3)."
    hands.key(Key.Key_T, Mod.ShiftModifier | Mod.AltModifier)
    assert second.timer_stopped is None and said.text() == "No timer has reached its dwell yet."
    window.close()
