"""The Qt binding itself: a known-bad release must not slip back in with an upgrade."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(object)
    counted = Signal(int)


def test_emitting_signals_does_not_leak_or_free_references() -> None:
    # PySide6 6.12.0 lost a reference to True on every emit from Python, and the interpreter
    # aborted once the count ran out: a clinician's autosave emits on every save.
    emitter = _Emitter()
    received: list[object] = []
    emitter.changed.connect(received.append)
    emitter.counted.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(200):
        emitter.changed.emit(i)
        emitter.counted.emit(i)
    assert len(received) == 400
    assert sys.getrefcount(True) >= before - 5  # other code may hold or drop a few meanwhile
