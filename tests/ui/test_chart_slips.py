"""Slips on the body chart mended (issue 11, item 7), driven with real mouse clicks and keys on the editor:
the first digit typed after a tap is kept, quick picks act on the site in hand and never a stale one, and a
Shift+tap on the mirror of a site's region makes it bilateral."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinician, Patient, TriggerPoint
from needlelog.domain.vocab import MUSCLES, BodyRegion, FigureView, Side, TwitchResponse
from needlelog.services.store import Services
from needlelog.ui.session_editor import SessionEditor
from tests.ui.test_body_chart import open_editor, room, tap
from tests.ui.test_session_editor import main_window

__all__ = ["room"]

Room = tuple[Services, Clinician, Patient, Path]
RIGHT_LOWER_BACK = TriggerPoint(FigureView.BACK, 0.58, 0.45)
RIGHT_CALF = TriggerPoint(FigureView.BACK, 0.58, 0.85)
LEFT_CALF = TriggerPoint(FigureView.BACK, 0.42, 0.85)
BESIDE_THE_FIGURE = TriggerPoint(FigureView.BACK, 0.02, 0.5)  # inside the back view's box, on no region


def editor_for(qtbot: QtBot, room: Room) -> SessionEditor:
    services, clinician, patient, _path = room
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    return open_editor(qtbot, window)


def test_a_tap_then_3_gives_three_needles_and_the_next_tap_then_12_gives_twelve(qtbot: QtBot, room: Room) -> None:
    editor = editor_for(qtbot, room)
    tap(qtbot, editor, RIGHT_LOWER_BACK)
    first = editor.rows[0]
    assert first.needles.hasFocus()
    qtbot.keyClicks(editor.focusWidget(), "3")
    assert first.needles.number() == 3
    tap(qtbot, editor, RIGHT_CALF)
    second = editor.rows[1]
    assert second.needles.hasFocus()
    qtbot.keyClicks(editor.focusWidget(), "12")
    assert (first.needles.number(), second.needles.number()) == (3, 12)
    # the keyboard path lands the same way
    editor.place_region.setFocus()
    qtbot.keyClicks(editor.place_region, "Calf")
    qtbot.keyClicks(editor.place_side, "L")
    qtbot.keyClick(editor, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClicks(editor.focusWidget(), "2")
    assert editor.rows[2].needles.number() == 2
    editor.window().close()


def test_a_tap_beside_the_figure_clears_the_selection_so_a_quick_pick_changes_nothing_and_says_so(
    qtbot: QtBot, room: Room
) -> None:
    editor = editor_for(qtbot, room)
    tap(qtbot, editor, RIGHT_LOWER_BACK)
    qtbot.keyClick(editor, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    first = MUSCLES[BodyRegion.LOWER_BACK][0]
    assert editor.rows[0].muscle.currentText() == first
    assert editor.selected_site == 0

    tap(qtbot, editor, BESIDE_THE_FIGURE)  # meant for a second site, missed
    assert len(editor.rows) == 1 and editor.selected_site is None and editor.chart.selected_site is None
    qtbot.keyClick(editor, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert editor.rows[0].muscle.currentText() == first  # site 1 untouched
    assert editor.rows[0].twitch.code() is None
    assert editor.chart_message.isVisible() and "No site selected" in editor.chart_message.text()

    # a click in the gap between the two figures (outside both views' boxes) is a miss as well
    tap(qtbot, editor, RIGHT_CALF)
    assert editor.selected_site == 1
    front, back = editor.chart.view_box(FigureView.FRONT), editor.chart.view_box(FigureView.BACK)
    gap = QPoint(round((front.right() + back.left()) / 2), round(back.top() + back.height() * 0.5))
    qtbot.mouseClick(editor.chart, Qt.MouseButton.LeftButton, pos=gap)
    assert editor.selected_site is None
    editor.window().close()


def test_quick_picks_act_on_the_site_whose_field_has_the_focus(qtbot: QtBot, room: Room) -> None:
    editor = editor_for(qtbot, room)
    tap(qtbot, editor, RIGHT_LOWER_BACK)
    tap(qtbot, editor, RIGHT_CALF)
    assert editor.selected_site == 1
    # the clinician clicks into site 1's needle count, then picks a muscle and a twitch by key
    first = editor.rows[0]
    qtbot.mouseClick(first.needles, Qt.MouseButton.LeftButton)
    assert first.needles.hasFocus()
    qtbot.keyClick(editor, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert first.muscle.currentText() == MUSCLES[BodyRegion.LOWER_BACK][1]
    assert first.twitch.code() is TwitchResponse.WEAK
    assert editor.rows[1].muscle.currentText() == "" and editor.rows[1].twitch.code() is None
    assert editor.selected_site == 0 and editor.chart.selected_site == 0

    # a new tap: the site just placed is the one the quick pick names
    tap(qtbot, editor, LEFT_CALF)
    qtbot.keyClick(editor, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert editor.rows[2].muscle.currentText() == MUSCLES[BodyRegion.CALF][0]
    assert first.muscle.currentText() == MUSCLES[BodyRegion.LOWER_BACK][1]
    # a quick-pick button clicked with the mouse acts on the site just placed as well
    qtbot.mouseClick(editor.quick_picks[1], Qt.MouseButton.LeftButton)
    assert editor.rows[2].muscle.currentText() == MUSCLES[BodyRegion.CALF][1]
    editor.window().close()


def test_shift_tapping_the_mirror_region_makes_the_site_bilateral_with_two_markers(qtbot: QtBot, room: Room) -> None:
    services, _clinician, _patient, _path = room
    editor = editor_for(qtbot, room)
    tap(qtbot, editor, RIGHT_CALF)
    row = editor.rows[0]
    assert (row.region.code(), row.side.code()) == (BodyRegion.CALF, Side.RIGHT)
    tap(qtbot, editor, LEFT_CALF, shift=True)
    assert len(editor.rows) == 1
    assert (row.region.code(), row.side.code()) == (BodyRegion.CALF, Side.BILATERAL)
    assert len(row.trigger_points) == 2 and len(editor.chart.markers[0]) == 2
    assert "bilateral" in editor.chart_message.text()
    qtbot.keyClicks(editor.focusWidget(), "4")
    assert row.needles.number() == 4

    # Shift+tap on another region of the same side only adds a trigger point: the side stays
    tap(qtbot, editor, RIGHT_LOWER_BACK)
    tap(qtbot, editor, TriggerPoint(FigureView.BACK, 0.6, 0.5), shift=True)  # still the right side
    second = editor.rows[1]
    assert second.side.code() is Side.RIGHT and len(second.trigger_points) == 2
    assert editor.save_now()
    stored = services.sessions.get(editor.session.id or 0)
    assert [(s.side, len(s.trigger_points)) for s in stored.sites] == [(Side.BILATERAL, 2), (Side.RIGHT, 2)]
    editor.window().close()
