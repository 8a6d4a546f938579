"""The manager's registers, one module per window; this module keeps the old names importable.

- :mod:`needlelog.ui.dialogs.adverse_events`: the adverse-event register with follow-up notes
- :mod:`needlelog.ui.dialogs.needle_lots`: needle lots and recall
- :mod:`needlelog.ui.dialogs.audit_trail`: the audit trail

Their item models live in :mod:`needlelog.ui.models.registers`, the pieces they (and the users
dialog) are built from in :mod:`needlelog.ui.widgets.forms`.
"""

from __future__ import annotations

from needlelog.ui.dialogs.adverse_events import AdverseRegisterDialog, year_before
from needlelog.ui.dialogs.audit_trail import AUDIT_DAYS, AUDIT_ROWS_SHOWN, AuditDialog
from needlelog.ui.dialogs.needle_lots import NeedleLotsDialog, recall_summary
from needlelog.ui.models.registers import (
    EXPIRED,
    AdverseRegisterModel,
    AuditModel,
    Index,
    LotModel,
    RecallModel,
    name_initials,
)
from needlelog.ui.widgets.fields import ERROR_STYLE
from needlelog.ui.widgets.forms import (
    FieldErrors,
    button,
    close_row,
    counted,
    date_edit,
    make_table,
    message_label,
    row_of,
)

__all__ = [
    "AUDIT_DAYS",
    "AUDIT_ROWS_SHOWN",
    "ERROR_STYLE",
    "EXPIRED",
    "AdverseRegisterDialog",
    "AdverseRegisterModel",
    "AuditDialog",
    "AuditModel",
    "FieldErrors",
    "Index",
    "LotModel",
    "NeedleLotsDialog",
    "RecallModel",
    "button",
    "close_row",
    "counted",
    "date_edit",
    "make_table",
    "message_label",
    "name_initials",
    "recall_summary",
    "row_of",
    "year_before",
]
