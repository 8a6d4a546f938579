"""A letter that settles a list moves the focus on (docs/ARCHITECTURE.md, Keyboard): a site's region letter
to its side, the condition's letter to the pain before. Typing a name out whole, "letter, Tab, letter" and
Shift+Tab keep working; keys go to whatever has the focus, as on a real keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from needlelog.domain.model import Clinician, Patient
from needlelog.domain.vocab import BodyRegion, Condition, Side
from needlelog.services.store import Services
from needlelog.ui.editor.site_row import SiteRow
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import FakeClock
from tests.ui.test_charting_budget import Key, Mod, Presses, new_session, open_window, room

__all__ = ["room"]

Room = tuple[Services, FakeClock, Clinician, Patient, Path]


def editor_and_hands(qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch) -> tuple[SessionEditor, Presses]:
    services, _clock, clinician, patient, _path = room
    window = open_window(qtbot, services, clinician, patient)
    hands = Presses(qtbot, monkeypatch)
    return new_session(qtbot, window, hands), hands


def new_site(editor: SessionEditor, hands: Presses) -> SiteRow:
    hands.key(Key.Key_A, Mod.AltModifier)
    row = editor.rows[-1]
    assert QApplication.focusWidget() is row.region
    return row


def test_a_region_typed_out_in_full_keeps_its_letters_from_the_side(
    qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, hands = editor_and_hands(qtbot, room, monkeypatch)
    row = new_site(editor, hands)
    hands.type("Shoulder")  # its "l" is swallowed, not the side Left
    assert (row.region.code(), row.side.code(), row.side.hasFocus()) == (BodyRegion.SHOULDER, None, True)
    hands.type("R")
    assert row.side.code() is Side.RIGHT
    second = new_site(editor, hands)
    hands.type("Lower back (lumbar)")  # spaces and brackets too: the side list never opens, "b" is not Bilateral
    assert (second.region.code(), second.side.code()) == (BodyRegion.LOWER_BACK, None)
    hands.type("M")
    assert second.side.code() is Side.MIDLINE
    editor.window().close()


def test_letter_tab_letter_still_fills_region_then_side_and_tab_walks_the_row_in_order(
    qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, hands = editor_and_hands(qtbot, room, monkeypatch)
    row = new_site(editor, hands)
    hands.type("N")
    assert row.side.hasFocus()
    hands.key(Key.Key_Tab)  # where Tab from the region goes: the side, not past it
    assert row.side.hasFocus()
    hands.type("R")
    hands.key(Key.Key_Tab)
    assert row.muscle.hasFocus()
    assert (row.region.code(), row.side.code()) == (BodyRegion.NECK, Side.RIGHT)
    hands.key(Key.Key_Tab, Mod.ShiftModifier)
    hands.key(Key.Key_Tab, Mod.ShiftModifier)
    assert row.region.hasFocus()
    editor.window().close()


def test_shift_tab_after_the_move_goes_back_to_the_region(
    qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, hands = editor_and_hands(qtbot, room, monkeypatch)
    row = new_site(editor, hands)
    hands.type("K")
    assert row.side.hasFocus()
    hands.key(Key.Key_Backtab, Mod.ShiftModifier)
    assert row.region.hasFocus() and row.region.code() is BodyRegion.KNEE
    hands.type("T")  # a new choice from the list: Thigh, and on to the side again
    assert row.side.hasFocus() and row.region.code() is BodyRegion.THIGH
    editor.window().close()


def test_a_letter_that_names_no_single_region_or_could_be_a_side_waits(
    qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, hands = editor_and_hands(qtbot, room, monkeypatch)
    row = new_site(editor, hands)
    hands.type("U")  # Upper back or Upper arm
    assert row.region.hasFocus() and row.region.code() is BodyRegion.UPPER_BACK
    hands.type("pper a")  # Upper arm, but "r" and "m" next could be the sides Right and Midline
    assert row.region.hasFocus() and row.region.code() is BodyRegion.UPPER_ARM
    hands.type("rm")
    assert row.side.hasFocus()
    hands.type("B")
    assert (row.region.code(), row.side.code()) == (BodyRegion.UPPER_ARM, Side.BILATERAL)
    second = new_site(editor, hands)
    hands.type("El")  # Elbow, but its next letter "b" could be the side Bilateral
    assert second.region.hasFocus() and second.region.code() is BodyRegion.ELBOW
    hands.type("b")
    assert second.side.hasFocus()
    hands.type("L")
    assert (second.region.code(), second.side.code()) == (BodyRegion.ELBOW, Side.LEFT)
    editor.window().close()


def test_the_conditions_letter_goes_on_to_the_pain_before_while_it_is_still_to_be_asked(
    qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor, hands = editor_and_hands(qtbot, room, monkeypatch)
    hands.type("Neck")  # typed out: its letters are not meant for the pain score
    assert editor.pain_before.hasFocus() and editor.pain_before.number() is None
    hands.type("6")
    assert (editor.condition.code(), editor.pain_before.number()) == (Condition.NECK_HEADACHE, 6)
    editor.condition.setFocus()
    hands.type("S")  # the pain before is asked already: the focus stays for the next key
    assert editor.condition.hasFocus() and editor.condition.code() is Condition.SHOULDER_ROTATOR_CUFF
    editor.pain_before.set_number(None)
    editor.condition.setFocus()
    hands.type("M")
    assert editor.pain_before.hasFocus()
    hands.key(Key.Key_Tab)  # where Tab from the condition goes
    assert editor.technique.hasFocus() and editor.condition.code() is Condition.MIGRAINE
    editor.window().close()


def test_the_pain_before_moves_on_to_add_site_only_when_nothing_more_can_be_typed(
    qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone 1 waits (it may become 10); 10 moves on; once the session has a site the pain stays where it is."""
    editor, hands = editor_and_hands(qtbot, room, monkeypatch)
    hands.key(Key.Key_N)
    assert QApplication.focusWidget() is editor.pain_before
    hands.type("1")
    assert editor.pain_before.number() == 1 and QApplication.focusWidget() is editor.pain_before
    hands.type("0")
    assert editor.pain_before.number() == 10 and QApplication.focusWidget() is editor.add_site_button
    new_site(editor, hands)
    editor.pain_before.setFocus()
    editor.pain_before.selectAll()
    hands.type("7")
    assert editor.pain_before.number() == 7 and QApplication.focusWidget() is editor.pain_before
    editor.window().close()


def test_on_add_site_only_a_regions_letter_adds_a_site_and_space_still_adds_an_empty_row(
    qtbot: QtBot, room: Room, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stray key on "Add site" adds nothing: a digit, a letter no region starts with; Space presses the button."""
    editor, hands = editor_and_hands(qtbot, room, monkeypatch)
    editor.add_site_button.setFocus()
    hands.type("7qzb")  # no region starts with Q, Z or B
    assert editor.rows == [] and QApplication.focusWidget() is editor.add_site_button
    hands.type("u")  # Upper back or Upper arm: the site is added, its region list waits for more
    assert len(editor.rows) == 1 and QApplication.focusWidget() is editor.rows[0].region
    hands.type("pper b")
    assert editor.rows[0].region.code() is BodyRegion.UPPER_BACK and len(editor.rows) == 1
    assert QApplication.focusWidget() is editor.rows[0].side
    editor.add_site_button.setFocus()
    hands.key(Key.Key_Space)
    assert len(editor.rows) == 2 and editor.rows[1].region.code() is None
    editor.window().close()
