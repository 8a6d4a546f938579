"""Needle lots and recall: the lot inventory, adding a lot, and which visits used lot X.

Shown with ``open()`` (window-modal, never a nested event loop); asks the services for its rows
and shows every refusal (a field's problem, a missing right) in words beside the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.lots import NeedleLot
from needlelog.domain.registers import RecallHit
from needlelog.services.store import Services
from needlelog.ui.dialogs.register_base import RegisterDialog
from needlelog.ui.models.registers import LotModel, RecallModel
from needlelog.ui.widgets.common import day_of, fixed_columns, named
from needlelog.ui.widgets.forms import (
    FieldErrors,
    button,
    counted,
    date_edit,
    make_table,
    message_label,
    row_of,
)


class NeedleLotsDialog(RegisterDialog):
    """The needle-lot inventory, adding a lot, and the recall search: which visits used lot X, with each patient's
    phone, saved as CSV to call them."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(
            services,
            parent,
            prefix="lots",
            object_name="needleLotsDialog",
            title="Needle lots and recall",
            size=(1240, 640),
        )
        layout = QVBoxLayout(self)
        columns = QHBoxLayout()
        layout.addLayout(columns, 1)
        columns.addWidget(self._build_inventory(), 4)
        columns.addWidget(self._build_recall(private=bool(getattr(parent, "private", False))), 5)
        self.finish(layout)
        self.last_recall: list[RecallHit] = []
        self.lots: list[NeedleLot] = []
        self.reload()

    # --- building ------------------------------------------------------------------------------
    def _build_inventory(self) -> QGroupBox:
        """The inventory and the form that adds to it."""
        inventory = QGroupBox("Inventory")
        inventory_layout = QVBoxLayout(inventory)
        self.lot_model = LotModel(self)
        self.lot_model.today = self.today
        self.lot_view = make_table("lotTable", "Needle lots")
        self.lot_view.setModel(self.lot_model)
        samples = {0: "L0000-00-XX", 2: "0.25 x 30 mm", 3: "0000-00-00", 4: "EXPIRED"}
        fixed_columns(self.lot_view, stretch=1, samples=samples)
        self.lot_view.setToolTip("Double-click a lot to find the patients who got it")
        self.lot_view.activated.connect(self._lot_activated)
        inventory_layout.addWidget(self.lot_view, 1)
        self.lot_count = message_label("lotCount", "Number of lots")
        inventory_layout.addWidget(self.lot_count)
        inventory_layout.addWidget(self._build_adding())
        return inventory

    def _build_adding(self) -> QGroupBox:
        """Brand, size, lot number and expiry of a new lot, each with its problem beside it."""
        adding = QGroupBox("Add a lot")
        form = QFormLayout(adding)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.add_general = message_label("addLotError", "Problem adding the lot", error=True)
        self.add_errors = FieldErrors("addLot", self.add_general)
        self.brand = QLineEdit()
        named(self.brand, "lotBrand", "Brand")
        self.brand.setPlaceholderText("e.g. Seirin J-type")
        self.lot_size = QLineEdit()
        named(self.lot_size, "lotSize", "Needle size")
        self.lot_size.setPlaceholderText("e.g. 0.25 x 30 mm")
        self.lot = QLineEdit()
        named(self.lot, "lotNumber", "Lot number")
        self.lot.setPlaceholderText("As printed on the box")
        # Today, not a guess years ahead: a lot added without its real date expires at once (the safe side).
        self.expiry = date_edit("lotExpiry", "Expiry date", self.today)
        self.expiry.setToolTip("The expiry date printed on the box")
        for words, widget, field in (
            ("Brand", self.brand, "brand"),
            ("Size", self.lot_size, "size"),
            ("Lot number", self.lot, "lot"),
            ("Expiry", self.expiry, "expiry"),
        ):
            form.addRow(words, self.add_errors.beside(field, widget, words.lower()))
        self.add_button = button("Add lot", "addLot", "Add the lot", "Add this lot to the inventory")
        self.add_button.clicked.connect(self.add_lot)
        self.lot.returnPressed.connect(self.add_lot)
        self.add_status = message_label("addLotStatus", "Lot added")
        form.addRow("", row_of(self.add_button, 1))
        form.addRow(self.add_general)
        form.addRow(self.add_status)
        return adding

    def _build_recall(self, *, private: bool) -> QGroupBox:
        """The recall search and its visits (initials instead of names while ``private``)."""
        recall = QGroupBox("Recall: which patients got a lot")
        recall_layout = QVBoxLayout(recall)
        self.recall_general = message_label("recallError", "Problem with the recall search", error=True)
        self.recall_errors = FieldErrors("recall", self.recall_general)
        self.recall_lot = QLineEdit()
        named(self.recall_lot, "recallLot", "Lot number to recall")
        self.recall_lot.setPlaceholderText("Lot number, e.g. L2300-11")
        self.recall_lot.returnPressed.connect(self.find_patients)
        self.find_button = button(
            "Find patients", "findPatients", "Find patients", "List every visit whose needles came from this lot"
        )
        self.find_button.clicked.connect(self.find_patients)
        self.save_csv = self.save_button("Save CSV…", "SaveCsv", "Save the recall list as CSV", self.ask_csv)
        recall_layout.addLayout(
            row_of(
                "Lot",
                self.recall_errors.beside("lot", self.recall_lot, "the lot number"),
                self.find_button,
                self.save_csv,
            )
        )
        self.recall_count = message_label("recallCount", "Recall result")
        font = self.recall_count.font()
        font.setBold(True)
        self.recall_count.setFont(font)
        recall_layout.addWidget(self.recall_count)
        self.recall_model = RecallModel(self)
        self.recall_model.private = private
        self.recall_view = make_table("recallTable", "Visits that used the lot")
        self.recall_view.setModel(self.recall_model)
        fixed_columns(
            self.recall_view,
            stretch=2,
            samples={
                0: "0000-00-00 00:00",
                1: "C000000",
                3: "403-555-0100",
                4: "Marie-Ève Gauthier",
                5: "Site #",
                6: "Needles",
            },
        )
        recall_layout.addWidget(self.recall_view, 1)
        recall_layout.addWidget(self.recall_general)
        return recall

    # --- rows ----------------------------------------------------------------------------------
    def reload(self) -> None:
        try:
            lots = self.services.registers.lots()
        except NeedlelogError as exc:
            self.add_errors.show(exc)
            lots = []
        self.lots = lots
        self.lot_model.set_rows(lots)
        expired = sum(1 for lot in lots if lot.expired_on(self.today))
        self.lot_count.setText(f"{counted(len(lots), 'lot')}" + (f", {expired:,} expired." if expired else "."))

    def add_lot(self) -> None:
        self.add_status.clear()
        lot = NeedleLot(self.brand.text(), self.lot_size.text(), self.lot.text(), day_of(self.expiry.date()))
        try:
            added = self.services.registers.add_lot(lot)
        except NeedlelogError as exc:
            self.add_errors.show(exc)
            return
        self.add_errors.clear()
        self.reload()
        for row in range(self.lot_model.rowCount()):
            shown = self.lot_model.row_at(row)
            if shown is not None and shown.lot == added.lot:
                self.lot_view.setCurrentIndex(self.lot_model.index(row, 0))
        self.lot.clear()
        self.add_status.setText(f"Lot {added.lot} added ({added.brand} {added.size}, expires {added.expiry}).")
        self.lot.setFocus(Qt.FocusReason.OtherFocusReason)

    def _lot_activated(self, index: QModelIndex) -> None:
        lot = self.lot_model.row_at(index.row())
        if lot is not None:
            self.recall_lot.setText(lot.lot)
            self.find_patients()

    def find_patients(self) -> None:
        lot = self.recall_lot.text().strip()
        try:
            hits = self.services.registers.recall(lot)
        except NeedlelogError as exc:
            self.recall_errors.show(exc)
            return
        self.recall_errors.clear()
        self.last_recall = hits
        self.recall_model.set_rows(hits)
        known = any(stocked.lot.lower() == lot.lower() for stocked in self.lots)
        self.recall_count.setText(recall_summary(hits, lot, known=known))

    def ask_csv(self) -> None:
        lot = self.recall_lot.text().strip()
        if not lot:
            self.recall_errors.refuse("lot", "Give the lot number to save its recall list.")
            return
        self.choose_file("Save the recall list", f"recall_{lot}.csv", "CSV (*.csv)", self.write_csv)

    def write_csv(self, path: Path) -> None:
        lot = self.recall_lot.text().strip()

        def write() -> str:
            count = self.services.registers.export_recall(lot, path)
            return f"{counted(count, 'needling site')} of lot {lot} saved to {path}."

        self.save_with(write)

    def set_private(self, private: bool) -> None:
        """The privacy key: initials instead of patients' names."""
        self.recall_model.set_private(private)


def recall_summary(hits: Sequence[RecallHit], lot: str, *, known: bool = True) -> str:
    if not hits:
        return f"No visit used lot {lot}." + ("" if known else " (It is not in the inventory either.)")
    visits = len({hit.session_id for hit in hits})
    patients = len({hit.chart_number for hit in hits})
    sites = len(hits)
    return (
        f"{counted(visits, 'visit')}, {counted(patients, 'patient')} used lot {lot} "
        f"({counted(sites, 'needling site')})."
    )
