"""The needle ledger panel: needles inserted (the sites' sum), needles counted out, the sharps container,
and whether every needle is accounted for.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSpinBox, QWidget

from needlelog.domain.model import TreatmentSession
from needlelog.domain.rules import NeedleLedger
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.fields import ERROR_STYLE, OK_STYLE, SelectAllOnFocus, set_inputs_enabled


class NeedleLedgerPanel(QGroupBox):
    """The "Needle ledger" box."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Needle ledger", parent)
        layout = QGridLayout(self)
        self.inserted = QLabel("0")
        named(self.inserted, "needlesInserted", "Needles inserted")
        self.removed = QSpinBox()
        self.removed.setRange(0, 999)
        self.removed.setMinimumHeight(30)
        self._select_all = SelectAllOnFocus(self)
        self._select_all.watch(self.removed)
        named(self.removed, "needlesRemoved", "Needles removed", "Needles counted out")
        self.count_out = QPushButton("Count one out (Alt+O)")
        named(self.count_out, "countOut", "Count one needle out", "Count one needle out (Alt+O)")
        self.count_out.setMinimumHeight(34)
        self.count_out.clicked.connect(lambda: self.removed.setValue(self.removed.value() + 1))
        self.sharps = QCheckBox("Disposed in sharps container")
        named(self.sharps, "sharpsDisposed", "Disposed in sharps container")
        self.sharps.setToolTip("Confirm the needles went into the sharps container (Alt+D)")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        named(self.status, "ledgerStatus", "Needle ledger status")
        layout.addWidget(QLabel("Inserted"), 0, 0)
        layout.addWidget(self.inserted, 0, 1)
        layout.addWidget(QLabel("Removed"), 1, 0)
        layout.addWidget(self.removed, 1, 1)
        layout.addWidget(self.count_out, 1, 2)
        layout.addWidget(self.sharps, 2, 0, 1, 3)
        layout.addWidget(self.status, 3, 0, 1, 3)
        self.removed.valueChanged.connect(lambda *_: self.changed.emit())
        self.sharps.toggled.connect(lambda *_: self.changed.emit())

    def bind_keys(self, window: QWidget) -> None:
        QShortcut(QKeySequence("Alt+O"), window, activated=self.count_out.click)
        QShortcut(QKeySequence("Alt+D"), window, activated=self.sharps.toggle)

    def tab_chain(self) -> list[QWidget]:
        return [self.removed, self.count_out, self.sharps]

    def values(self) -> dict[str, object]:
        """The ledger's fields of the session, as on screen."""
        return {"needles_removed": self.removed.value(), "sharps_disposed": self.sharps.isChecked()}

    def show_session(self, session: TreatmentSession) -> None:
        self.removed.setValue(session.needles_removed)
        self.sharps.setChecked(session.sharps_disposed)

    def show_ledger(self, content: TreatmentSession) -> None:
        """Inserted, and either "all counted out and disposed" or what is still missing, in words."""
        ledger = NeedleLedger.of(content)
        self.inserted.setText(str(ledger.inserted))
        if ledger.reconciled:
            self.status.setText("✔ All needles counted out and disposed.")
            self.status.setStyleSheet(OK_STYLE)
        else:
            parts = [p.message.removeprefix("Needle ledger: ") for p in ledger.problems()]
            words = " ".join(part[:1].upper() + part[1:] for part in parts) or "No needles yet."
            self.status.setText(f"✖ {words}")
            self.status.setStyleSheet(ERROR_STYLE + " font-weight: bold;" if ledger.outstanding else ERROR_STYLE)

    def widget_for(self, field: str) -> QWidget | None:
        return {"needles_removed": self.removed, "sharps_disposed": self.sharps}.get(field)

    def set_read_only(self, read_only: bool) -> None:
        set_inputs_enabled(self, not read_only)
        self.count_out.setEnabled(not read_only)
