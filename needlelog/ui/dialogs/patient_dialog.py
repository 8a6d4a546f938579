"""New / edit patient: identity, screening answers, treatment plan and consent to dry needling."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import ConflictError, NeedlelogError, ValidationError
from needlelog.domain.model import Consent, Patient, Screening
from needlelog.domain.vocab import LYMPHOEDEMA_LIMBS, BodyRegion, ConsentMethod, Precaution, TreatmentPlan
from needlelog.services.store import Services
from needlelog.ui.widgets.common import day_of, named, qdate
from needlelog.ui.widgets.fields import ERROR_STYLE, check_boxes
from needlelog.ui.widgets.wheel_guard import guard_wheels


class PatientDialog(QDialog):
    """Shown with ``open()`` (window-modal, never blocking a test); emits ``saved`` with the stored patient."""

    saved = Signal(object)

    def __init__(self, services: Services, patient: Patient | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        guard_wheels()  # a wheel turn over the form scrolls it; it never changes a date or a list
        self.services = services
        self.patient = patient
        self.setObjectName("patientDialog")
        self.setAccessibleName("Patient details")
        self.setWindowTitle("Edit patient" if patient else "New patient")
        self.errors: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_identity())
        layout.addWidget(self._build_screening())
        layout.addWidget(self._build_care())
        self.general_error = QLabel("")
        self.general_error.setStyleSheet(ERROR_STYLE)
        self.general_error.setWordWrap(True)
        named(self.general_error, "patientError", "Problems")
        layout.addWidget(self.general_error)
        layout.addWidget(self._build_buttons())
        if patient is not None:
            self._show(patient)

    # --- building ------------------------------------------------------------------------------
    def _build_identity(self) -> QGroupBox:
        """Names, chart number, date of birth and phone, each with its problem under it."""
        identity = QGroupBox("Patient")
        form = QFormLayout(identity)
        self.family = QLineEdit()
        named(self.family, "familyName", "Family name")
        self.given = QLineEdit()
        named(self.given, "givenName", "Given name")
        self.chart = QLineEdit()
        named(self.chart, "chartNumber", "Chart number")
        self.born = QDateEdit()
        self.born.setDisplayFormat("yyyy-MM-dd")
        self.born.setCalendarPopup(True)
        self.born.setDate(QDate(1980, 1, 1))
        named(self.born, "dateOfBirth", "Date of birth")
        self.phone = QLineEdit()
        named(self.phone, "phone", "Phone")
        for label, widget, field in (
            ("Family name", self.family, "family_name"),
            ("Given name", self.given, "given_name"),
            ("Chart number", self.chart, "chart_number"),
            ("Date of birth", self.born, "date_of_birth"),
            ("Phone", self.phone, "phone"),
        ):
            widget.setMinimumHeight(30)
            form.addRow(label, widget)
            form.addRow("", self._error_label(field))
        return identity

    def _build_screening(self) -> QGroupBox:
        """A tick box per precaution (under 12 follows from the date of birth) and the region operated on."""
        screening = QGroupBox("Screening: does the patient have …")
        screening_layout = QVBoxLayout(screening)
        # Two columns, so the longer list (published guidance added seven questions) fits a 768-pixel screen.
        grid = QGridLayout()
        # Under 12 follows from the date of birth; the four limbs with lymphoedema sit side by side, arms then legs.
        limbs = list(LYMPHOEDEMA_LIMBS)
        others = [p for p in Precaution if p is not Precaution.UNDER_12 and p not in limbs]
        device = others.index(Precaution.IMPLANTED_DEVICE)
        asked = [*others[: device + 1], *limbs, *others[device + 1 :]]
        self.screening: dict[Precaution, QCheckBox] = check_boxes(asked, "screen", grid, columns=2)
        screening_layout.addLayout(grid)
        surgery_row = QHBoxLayout()
        self.surgery_region = QComboBox()
        self.surgery_region.addItem("–", None)
        for region in BodyRegion:
            self.surgery_region.addItem(region.label, region)
        named(self.surgery_region, "surgeryRegion", "Region of the recent surgery")
        surgery_row.addWidget(QLabel("Region operated on"))
        surgery_row.addWidget(self.surgery_region, 1)
        screening_layout.addLayout(surgery_row)
        screening_layout.addWidget(self._error_label("screening.surgery_region"))
        return screening

    def _build_care(self) -> QGroupBox:
        """The treatment plan and the consent to dry needling: given, when, how and by whom."""
        care = QGroupBox("Treatment plan and consent")
        care_form = QFormLayout(care)
        self.plan = QComboBox()
        self.plan.addItem("–", None)
        for plan in TreatmentPlan:
            self.plan.addItem(plan.label, plan)
        named(self.plan, "treatmentPlan", "Treatment plan")
        self.consent_given = QCheckBox("Informed consent to dry needling obtained")
        named(self.consent_given, "consentGiven", "Consent obtained")
        self.consent_date = QDateEdit()
        self.consent_date.setDisplayFormat("yyyy-MM-dd")
        self.consent_date.setCalendarPopup(True)
        today = self.services.clock().astimezone().date()  # the clinic's day, by the program's one clock
        self.consent_date.setDate(QDate(today.year, today.month, today.day))
        named(self.consent_date, "consentDate", "Consent date")
        self.consent_method = QComboBox()
        for method in ConsentMethod:
            self.consent_method.addItem(method.label, method)
        named(self.consent_method, "consentMethod", "Consent written or verbal")
        self.consent_by = QLineEdit()
        named(self.consent_by, "consentObtainedBy", "Consent obtained by")
        care_form.addRow("Plan", self.plan)
        care_form.addRow(self.consent_given)
        care_form.addRow("Date", self.consent_date)
        care_form.addRow("Written or verbal", self.consent_method)
        care_form.addRow("Obtained by", self.consent_by)
        care_form.addRow("", self._error_label("consent.obtained_by"))
        care_form.addRow("", self._error_label("consent.given_on"))
        return care

    def _build_buttons(self) -> QDialogButtonBox:
        """Save (Enter) and Cancel (Esc)."""
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        named(self.buttons, "patientButtons", "Save or cancel")
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        named(save, "savePatient", "Save patient")
        save.setToolTip("Save the patient (Enter)")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        named(cancel, "cancelPatient", "Cancel")
        cancel.setToolTip("Close without saving (Esc)")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        return self.buttons

    def _error_label(self, field: str) -> QLabel:
        label = QLabel("")
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        named(label, f"error_{field}", f"Problem with {field.replace('_', ' ')}")
        self.errors[field] = label
        return label

    def _show(self, patient: Patient) -> None:
        self.family.setText(patient.family_name)
        self.given.setText(patient.given_name)
        self.chart.setText(patient.chart_number)
        self.born.setDate(qdate(patient.date_of_birth))
        self.phone.setText(patient.phone)
        for precaution, check in self.screening.items():
            check.setChecked(precaution in patient.screening.positive)
        self.surgery_region.setCurrentIndex(max(0, self.surgery_region.findData(patient.screening.surgery_region)))
        self.plan.setCurrentIndex(max(0, self.plan.findData(patient.treatment_plan)))
        if patient.consent is not None:
            self.consent_given.setChecked(True)
            self.consent_date.setDate(qdate(patient.consent.given_on))
            self.consent_method.setCurrentIndex(max(0, self.consent_method.findData(patient.consent.method)))
            self.consent_by.setText(patient.consent.obtained_by)

    def value(self) -> Patient:
        positive = frozenset(p for p, c in self.screening.items() if c.isChecked())
        # Qt hands item data back as plain str: turn codes back into the vocabulary's terms.
        region_code = self.surgery_region.currentData()
        region = BodyRegion(region_code) if region_code and Precaution.RECENT_SURGERY in positive else None
        consent = None
        if self.consent_given.isChecked():
            consent = Consent(
                day_of(self.consent_date.date()),
                ConsentMethod(self.consent_method.currentData()),
                self.consent_by.text().strip(),
            )
        values = {
            "chart_number": self.chart.text(),
            "family_name": self.family.text(),
            "given_name": self.given.text(),
            "date_of_birth": day_of(self.born.date()),
            "phone": self.phone.text(),
            "screening": Screening(positive, region),
            "treatment_plan": TreatmentPlan(self.plan.currentData()) if self.plan.currentData() else None,
            "consent": consent,
        }
        if self.patient is None:
            return Patient(**values)
        return replace(self.patient, **values)

    def save(self) -> None:
        for label in self.errors.values():
            label.hide()
        self.general_error.clear()
        try:
            stored = (self.services.patients.edit if self.patient else self.services.patients.create)(self.value())
        except ValidationError as exc:
            unplaced = []
            for problem in exc.problems:
                label = self.errors.get(problem.field)
                if label is None:
                    unplaced.append(problem.message)
                    continue
                label.setText(problem.message)
                label.show()
            self.general_error.setText(" ".join(unplaced))
            first = next((self.errors[p.field] for p in exc.problems if p.field in self.errors), None)
            if first is not None:
                self._focus_field_of(first)
            return
        except (ConflictError, NeedlelogError) as exc:  # a conflict, a refusal, a chart that cannot be written
            self.general_error.setText(str(exc))
            return
        self.patient = stored
        self.saved.emit(stored)
        self.accept()

    def _focus_field_of(self, label: QLabel) -> None:
        field = label.objectName().removeprefix("error_")
        widget = {
            "family_name": self.family,
            "given_name": self.given,
            "chart_number": self.chart,
            "date_of_birth": self.born,
            "phone": self.phone,
            "screening.surgery_region": self.surgery_region,
            "consent.obtained_by": self.consent_by,
            "consent.given_on": self.consent_date,
        }.get(field)
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
