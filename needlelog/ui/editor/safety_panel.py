"""The safety panel: what must be in order before the first needle, at the top of the session editor (SPEC §2).

Without valid consent to dry needling on the service day, or with a positive screening answer not yet
acknowledged, the panel says so above everything else and offers the fix in one step: consent recorded now
(verbal or written, by whom, on which day) and a tick box for each precaution. Once all is in order it shrinks
to one line ("Consent valid until …; precautions acknowledged: …"), which can be opened again to review the ticks.

The acknowledgements are part of the note: the editor reads them from here into the session. Whether a site may
be placed at all is the domain's rule (:func:`needlelog.domain.rules.site_refusal`); the sites panel asks
:meth:`SafetyPanel.site_refusal` before it places one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import Clinician, Consent, Patient, TreatmentSession
from needlelog.domain.rules import consent_last_day, consent_problem, consent_valid_months, local_date, site_refusal
from needlelog.domain.vocab import BodyRegion, ConsentMethod, Precaution, Side
from needlelog.services.store import Services
from needlelog.ui.widgets.common import day_of, html, named, qdate
from needlelog.ui.widgets.fields import CodeCombo, problem_label
from needlelog.ui.widgets.wheel_guard import guard_wheels

ATTENTION_STYLE = "#safetyPanel { background: #fdecea; border: 2px solid #c0392b; border-radius: 4px; }"
IN_ORDER_STYLE = "#safetyPanel { background: #eef6ef; border: 1px solid #9cc5a3; border-radius: 4px; }"
ACK_COLUMNS = 3


class SafetyPanel(QFrame):
    """Consent and the precautions, before anything else in the editor."""

    changed = Signal()  # an acknowledgement ticked or unticked: the draft is to be saved
    consent_recorded = Signal(object)  # Patient: the consent just recorded is stored (and audited)

    def __init__(
        self,
        services: Services,
        patient: Patient,
        clinician: Clinician,
        view_only: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        guard_wheels()
        self.services = services
        self.patient = patient
        self.clinician = clinician
        self.clock = services.clock
        self.view_only = view_only
        self.read_only = view_only
        self.months = consent_valid_months(services.clinic.clinic_or_none())
        self.day = local_date(self.clock())  # the service day; the editor keeps it current
        self._expanded = False
        self._loading = False
        named(self, "safetyPanel", "Consent and precautions")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(4)
        layout.addLayout(self._build_status())
        self.consent_fix = self._build_consent_fix()
        layout.addWidget(self.consent_fix)
        self.acks_box = self._build_acks()
        layout.addWidget(self.acks_box)
        self._show_state()

    # --- building ------------------------------------------------------------------------
    def _build_status(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        named(self.status, "safetyStatus", "Consent and precautions status")
        self.review_button = QPushButton("Review")
        named(self.review_button, "safetyReview", "Review consent and precautions", "Show the precautions' ticks")
        self.review_button.setFlat(True)
        self.review_button.clicked.connect(self._toggle_review)
        row.addWidget(self.status, 1)
        row.addWidget(self.review_button, 0, Qt.AlignmentFlag.AlignTop)
        return row

    def _build_consent_fix(self) -> QWidget:
        """Record consent now: verbal or written, obtained by whom (the signed-in clinician), on which day (today)."""
        fix = QWidget()
        row = QHBoxLayout(fix)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Record consent now:"))
        self.consent_method = CodeCombo([ConsentMethod.VERBAL, ConsentMethod.WRITTEN])
        self.consent_method.set_code(ConsentMethod.VERBAL)
        named(self.consent_method, "safetyConsentMethod", "Consent written or verbal")
        self.consent_by = QLineEdit(self.clinician.display_name)
        self.consent_by.setPlaceholderText("obtained by")
        self.consent_by.setMinimumHeight(30)
        self.consent_by.setMaximumWidth(280)
        named(self.consent_by, "safetyConsentBy", "Consent obtained by")
        self.consent_date = QDateEdit()
        self.consent_date.setDisplayFormat("yyyy-MM-dd")
        self.consent_date.setCalendarPopup(True)
        self.consent_date.setDate(qdate(local_date(self.clock())))
        self.consent_date.setMinimumHeight(30)
        named(self.consent_date, "safetyConsentDate", "Consent date")
        self.record_button = QPushButton("Record consent (Alt+C)")
        named(self.record_button, "recordConsent", "Record consent", "Record the patient's consent now (Alt+C)")
        self.record_button.setMinimumHeight(30)
        self.record_button.clicked.connect(self.record_consent)
        self.consent_error = problem_label("safetyConsentError", "Consent problems")
        self.consent_error.setWordWrap(True)
        self.consent_error.hide()
        for widget, stretch in (
            (self.consent_method, 0),
            (QLabel("by"), 0),
            (self.consent_by, 2),
            (QLabel("on"), 0),
            (self.consent_date, 0),
            (self.record_button, 0),
            (self.consent_error, 1),
        ):
            row.addWidget(widget, stretch)
        row.addStretch(0)
        return fix

    def _build_acks(self) -> QWidget:
        """A tick box per positive screening answer (under 12 is never needled, so it has none)."""
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        self.acks_title = QLabel("Acknowledge each precaution before the first needle:")
        grid.addWidget(self.acks_title, 0, 0, 1, ACK_COLUMNS)
        self.acks: dict[Precaution, QCheckBox] = {}
        for i, precaution in enumerate(self._positives()):
            check = QCheckBox(precaution.label)
            named(check, f"ack_{precaution.value}", f"Acknowledge {precaution.label}")
            check.toggled.connect(self._ack_toggled)
            grid.addWidget(check, 1 + i // ACK_COLUMNS, i % ACK_COLUMNS)
            self.acks[precaution] = check
        return box

    def _positives(self) -> list[Precaution]:
        return sorted(self.patient.screening.positive - {Precaution.UNDER_12}, key=lambda p: p.label)

    def bind_keys(self, window: QWidget) -> None:
        QShortcut(QKeySequence("Alt+C"), window, activated=self._record_by_key)

    def _record_by_key(self) -> None:
        """Alt+C records consent only while the fix is offered: valid consent is not recorded again by a key."""
        if self.record_button.isVisible():
            self.record_button.click()

    def tab_chain(self) -> list[QWidget]:
        """Before everything else: the consent's fix, then the ticks."""
        return [self.consent_method, self.consent_by, self.consent_date, self.record_button, *self.acks.values()]

    # --- the rules, as the editor and the sites panel ask ----------------------------------
    @property
    def consent_valid(self) -> bool:
        return consent_problem(self.patient, self.day, self.months) is None

    @property
    def unacknowledged(self) -> list[Precaution]:
        return [p for p, check in self.acks.items() if not check.isChecked()]

    def site_refusal(self, region: BodyRegion | None, side: Side | None) -> str | None:
        """Why no needling site may be placed (there), in words; None when it may."""
        return site_refusal(self.patient, region, side, self.day, self.months)

    # --- recording consent ---------------------------------------------------------------
    def record_consent(self) -> None:
        """The one step: the consent is stored with the patient (and audited), and the editor hears of it."""
        if self.read_only:
            return
        method = self.consent_method.code()
        consent = Consent(
            day_of(self.consent_date.date()),
            method if isinstance(method, ConsentMethod) else ConsentMethod.VERBAL,
            self.consent_by.text().strip(),
        )
        try:
            patient = self.services.patients.record_consent(self.patient.id or 0, consent)
        except NeedlelogError as exc:  # a validation (who obtained it, a future day), a conflict, a refusal
            self.consent_error.setText(str(exc))
            self.consent_error.show()
            return
        self.consent_error.hide()
        self.patient = patient
        self._show_state()
        self.consent_recorded.emit(patient)

    # --- reading and showing -------------------------------------------------------------
    def values(self) -> dict[str, object]:
        return {"precautions_acknowledged": frozenset(p for p, c in self.acks.items() if c.isChecked())}

    def show_session(self, session: TreatmentSession) -> None:
        self._loading = True
        try:
            for precaution, check in self.acks.items():
                check.setChecked(precaution in session.precautions_acknowledged)
        finally:
            self._loading = False
        self.show_day(session)

    def show_day(self, content: TreatmentSession) -> None:
        """The session's service day (consent is judged on it) and what is still to do."""
        self.day = local_date(content.service_start)
        self._show_state()

    def _ack_toggled(self, _checked: bool) -> None:
        self._show_state()
        if not self._loading:
            self.changed.emit()

    def _toggle_review(self) -> None:
        self._expanded = not self._expanded
        self._show_state()

    def _show_state(self) -> None:
        """Attention (red, the fix in view) until consent holds and every precaution is ticked; then one line."""
        why = consent_problem(self.patient, self.day, self.months)
        missing = self.unacknowledged
        attention = (why is not None or bool(missing)) and not self.read_only
        self.setStyleSheet(ATTENTION_STYLE if attention else IN_ORDER_STYLE)
        self.consent_fix.setVisible(why is not None and not self.read_only)
        self.acks_box.setVisible(bool(self.acks) and (attention or self._expanded))
        self.acks_title.setVisible(bool(missing) and not self.read_only)
        self.review_button.setVisible(bool(self.acks) and not attention)
        self.review_button.setText("Hide" if self._expanded else "Review")
        self.status.setText(self._status_text(why, missing, attention))

    def _status_text(self, why: str | None, missing: list[Precaution], attention: bool) -> str:
        parts: list[str] = []
        if why is not None:
            fix = "" if self.read_only else " No needling site can be placed until consent is recorded here."
            parts.append(f"{html(why)}{fix}")
        else:
            consent = self.patient.consent
            last = consent_last_day(self.patient, self.months)
            if consent is not None and last is not None:
                parts.append(
                    f"Consent valid until {last.isoformat()} ({consent.method.label.lower()}, "
                    f"{consent.given_on.isoformat()}, by {html(consent.obtained_by)})"
                )
        done = [p.label for p, c in self.acks.items() if c.isChecked()]
        # The precautions by name in the tooltip: the line itself stays one line at 1366 pixels.
        self.status.setToolTip("Precautions acknowledged: " + (", ".join(done) if done else "none"))
        if missing and not self.read_only:
            word = "precaution" if len(missing) == 1 else "precautions"
            parts.append(f"{len(missing)} {word} not yet acknowledged: tick each below.")
        elif self.acks:
            parts.append(f"{len(done)} of {len(self.acks)} precautions acknowledged")
        elif why is None:
            parts.append("no precautions on screening")
        if attention:  # a sentence a line: what is wrong with consent, then what is still to acknowledge
            return "<b>⚠ Before the first needle:</b> " + "<br>".join(parts)
        return "✓ " + " · ".join(parts)

    def widget_for(self, field: str) -> QWidget | None:
        """The field a sign problem names: the consent's fix, or a precaution's tick."""
        if field == "consent":
            return self.record_button if self.consent_fix.isVisible() else None
        if field.startswith("precautions."):
            check = self.acks.get(Precaution(field.split(".", 1)[1]))
            if check is not None and not check.isVisible():
                self._expanded = True
                self._show_state()
            return check
        return None

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only or self.view_only
        for widget in (*self.acks.values(), *self.tab_chain()):
            widget.setEnabled(not self.read_only)
        self._show_state()
