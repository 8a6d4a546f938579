"""The needle ledger panel: the session's needles inserted and counted out (the sums of the sites' in and
out, which the sites table holds), Count one out, the sharps container, and which site still has needles in.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QPushButton, QWidget

from needlelog.domain.model import TreatmentSession
from needlelog.domain.rules import NeedleLedger
from needlelog.ui.widgets.common import named
from needlelog.ui.widgets.fields import ERROR_STYLE, OK_STYLE, set_inputs_enabled


class NeedleLedgerPanel(QGroupBox):
    """The "Needle ledger" box."""

    changed = Signal()
    count_one_out = Signal()  # Count one out (Alt+O): the sites panel counts it at the site in hand

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Needle ledger", parent)
        layout = QGridLayout(self)
        self.inserted = QLabel("0")
        named(self.inserted, "needlesInserted", "Needles inserted")
        # The sum of the sites' needles out: each site's own count is in its row ("Out").
        self.removed = QLabel("0")
        named(self.removed, "needlesRemoved", "Needles removed", "Needles counted out: the sum of the sites' Out")
        self.count_out = QPushButton("Count one out (Alt+O)")
        count_tip = "Count one needle out of the selected site, or of the first site with needles in (Alt+O)"
        named(self.count_out, "countOut", "Count one needle out", count_tip)
        self.count_out.setMinimumHeight(34)
        self.count_out.clicked.connect(self.count_one_out)
        self.sharps = QCheckBox("Disposed in sharps container")
        named(self.sharps, "sharpsDisposed", "Disposed in sharps container")
        self.sharps.setToolTip("Confirm the needles went into the sharps container (Alt+D)")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        # A fixed height of three lines: a message that grows or shrinks never moves Count one out, nor the
        # sites table under this row of boxes. It names the sites by number (a summary that fits); each site in
        # words is in the tooltip and in the list of what stops signing.
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status.setFixedHeight(self.status.fontMetrics().lineSpacing() * 3)
        named(self.status, "ledgerStatus", "Needle ledger status")
        layout.addWidget(QLabel("Inserted"), 0, 0)
        layout.addWidget(self.inserted, 0, 1)
        layout.addWidget(QLabel("Removed"), 1, 0)
        layout.addWidget(self.removed, 1, 1)
        layout.addWidget(self.count_out, 1, 2)
        layout.addWidget(self.sharps, 2, 0, 1, 3)
        layout.addWidget(self.status, 3, 0, 1, 3)
        layout.setRowStretch(4, 1)  # a taller row of boxes gives its room below, not between the rows
        self.sharps.toggled.connect(lambda *_: self.changed.emit())

    def bind_keys(self, window: QWidget) -> None:
        QShortcut(QKeySequence("Alt+O"), window, activated=self.count_out.click)
        QShortcut(QKeySequence("Alt+D"), window, activated=self.sharps.toggle)

    def tab_chain(self) -> list[QWidget]:
        return [self.count_out, self.sharps]

    def values(self) -> dict[str, object]:
        """The ledger's own field of the session, as on screen (the needles in and out are the sites')."""
        return {"sharps_disposed": self.sharps.isChecked()}

    def show_session(self, session: TreatmentSession) -> None:
        self.sharps.setChecked(session.sharps_disposed)

    def show_ledger(self, content: TreatmentSession) -> None:
        """Inserted, and either "all counted out and disposed" or what is still missing, in words."""
        ledger = NeedleLedger.of(content)
        self.inserted.setText(str(ledger.inserted))
        self.removed.setText(str(ledger.removed))
        if ledger.reconciled:
            self.status.setText("✔ All needles counted out and disposed.")
            self.status.setStyleSheet(OK_STYLE)
        else:
            self.status.setText(f"✖ {ledger.summary()}")
            self.status.setStyleSheet(ERROR_STYLE + " font-weight: bold;" if ledger.unaccounted else ERROR_STYLE)
        # Each site in words, as Sign lists them.
        parts = [p.message.removeprefix("Needle ledger: ") for p in ledger.problems()]
        self.status.setToolTip(" ".join(part[:1].upper() + part[1:] for part in parts))

    def widget_for(self, field: str) -> QWidget | None:
        return {"sharps_disposed": self.sharps}.get(field)

    def set_read_only(self, read_only: bool) -> None:
        set_inputs_enabled(self, not read_only)
        self.count_out.setEnabled(not read_only)
