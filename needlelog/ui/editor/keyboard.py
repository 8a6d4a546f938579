"""A letter that settles a list moves the focus on (SPEC §5's charting budget with the keyboard alone).

A site's region letter takes the focus to its side, and the condition's letter to the pain before (while that is
still to be asked). It is made safe three ways:

- the list's type-ahead is by the letters typed in it since it took the focus, not by a key interval, and the
  focus moves only when those letters name one item whose next letter means nothing where the focus goes (E for
  Elbow waits: its L could be the side Left; "Elb" moves on);
- letters that go on spelling the chosen item ("Shoulder" typed whole) are swallowed where the focus went, so
  its "l" never sets the side Left;
- the first Tab after the move goes where Tab from the list would have gone ("letter, Tab, letter" still fills
  region and side), and Shift+Tab goes back to the list.

Two more keep the hands on the keys. A digit that completes the pain before (any but a lone 1, which may become
10) moves on to "Add site" while the session has none. On "Add site" (where the focus also waits after Alt+T starts a
timer) a region's letter adds a site there, as Alt+A and the letter would: a letter that names no region adds
nothing, and Space or Enter still add an empty row.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

from needlelog.domain.vocab import BodyRegion
from needlelog.ui.editor.sites import SitesPanel
from needlelog.ui.editor.visit_facts import VisitFacts
from needlelog.ui.widgets.fields import OptionalSpin

_CHORDS = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier


def _typed(event: QEvent) -> str:
    """The character a plain key press types, or "" (a chord, Tab, an arrow…)."""
    if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
        return ""
    text = event.text()
    if len(text) != 1 or not text.isprintable() or event.modifiers() & _CHORDS:
        return ""
    return text.lower()


def _first_letters(combo: QComboBox) -> Callable[[str], bool]:
    letters = {combo.itemText(i)[:1].lower() for i in range(1, combo.count())}
    return lambda char: char in letters


class LetterJump(QObject):
    """On ``origin``, a letter that names one item moves the focus to ``target`` (when ``wanted()``)."""

    def __init__(self, origin: QComboBox, target: QWidget, wanted: Callable[[], bool] = lambda: True) -> None:
        super().__init__(origin)
        self.origin, self.target, self.wanted = origin, target, wanted
        self.takes = _first_letters(target) if isinstance(target, QComboBox) else str.isdigit
        self._typed = ""  # letters typed in the origin since it took the focus
        self._spelling = ""  # the chosen item's name, while its further letters may still arrive at the target
        self._spelled = ""
        origin.installEventFilter(self)
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.origin:
            if event.type() == QEvent.Type.FocusIn:
                self._typed = ""
            char = _typed(event)
            return bool(char) and self._pick(char)
        if watched is self.target and self._spelling:
            return self._after_jump(event)
        return False

    def _pick(self, char: str) -> bool:
        labels = [self.origin.itemText(i).lower() for i in range(self.origin.count())]
        prefix = self._typed + char
        matches = [i for i in range(1, len(labels)) if labels[i].startswith(prefix)]
        if not matches:  # a fresh start; the same letter again steps to its next item
            again = self._typed == char
            prefix = char
            matches = [i for i in range(1, len(labels)) if labels[i].startswith(prefix)]
            later = [i for i in matches if i > self.origin.currentIndex()]
            if again and later:
                matches = later + [i for i in matches if i not in later]
        self._typed = prefix if matches else ""
        if not matches:
            return True
        self.origin.setCurrentIndex(matches[0])
        rest = labels[matches[0]][len(prefix) :]
        if len(matches) == 1 and not (rest and self.takes(rest[0])) and self.wanted():
            self._spelling, self._spelled = labels[matches[0]], prefix
            self.target.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(self.target, QAbstractSpinBox):
                self.target.selectAll()  # the first digit replaces the "–"
        return True

    def _after_jump(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut:
            self._spelling = ""
            return False
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        char = _typed(event)
        if char and self._spelling.startswith(self._spelled + char):
            self._spelled += char  # the name typed on: not meant for this field
            return True
        self._spelling = ""
        plain = not event.modifiers() & (_CHORDS | Qt.KeyboardModifier.ShiftModifier)
        if event.key() == Qt.Key.Key_Tab and plain:  # where Tab from the list goes
            self.origin.setFocus(Qt.FocusReason.TabFocusReason)
            tab = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier)
            QApplication.sendEvent(self.origin, tab)
            return True
        if event.key() == Qt.Key.Key_Backtab or (event.key() == Qt.Key.Key_Tab and not plain):
            self.origin.setFocus(Qt.FocusReason.BacktabFocusReason)
            return True
        return False


class DigitMovesOn(QObject):
    """On a number box, a typed digit that leaves nothing more to type moves the focus to ``target()`` (if any)."""

    def __init__(self, box: OptionalSpin, target: Callable[[], QWidget | None]) -> None:
        super().__init__(box)
        self.box, self.target = box, target
        box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not _typed(event).isdigit():
            return False
        self.box.event(event)  # the box takes the digit first (event filters are not called again)
        value = self.box.number()
        if value is not None and (value == 0 or value * 10 > self.box.maximum()):
            target = self.target()
            if target is not None and target.isEnabled():
                target.setFocus(Qt.FocusReason.OtherFocusReason)
        return True


class LetterAddsSite(QObject):
    """On "Add site", a region's letter adds a site and gives it the letter (its region, then on to its side)."""

    def __init__(self, sites: SitesPanel) -> None:
        super().__init__(sites)
        self.sites = sites
        self.starts = {region.label[:1].lower() for region in BodyRegion}
        sites.add_site_button.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        char = _typed(event)
        if not char.isalpha() or not isinstance(event, QKeyEvent):
            return False  # Space and Enter press the button as ever
        if char in self.starts and self.sites.add_site_button.isEnabled():
            row = self.sites.add_site_by_hand()
            if row is not None:
                letter = QKeyEvent(QEvent.Type.KeyPress, event.key(), event.modifiers(), event.text())
                QApplication.sendEvent(row.region, letter)
        return True


def letters_move_on(sites: SitesPanel, facts: VisitFacts) -> None:
    """The condition's letter to the pain before (while it is still to be asked); each site's region letter to
    its side, for the rows there are now and every row made later; the pain before to Add site, and a region's
    letter there to a new site."""
    LetterJump(facts.condition, facts.pain_before, wanted=lambda: facts.pain_before.number() is None)
    DigitMovesOn(facts.pain_before, lambda: None if sites.rows else sites.add_site_button)
    LetterAddsSite(sites)

    def rows() -> None:
        for row in sites.rows:
            if row.region.findChild(LetterJump) is None:
                LetterJump(row.region, row.side)

    sites.rows_changed.connect(rows)
    rows()
