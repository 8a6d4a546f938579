"""Every screening question added from published guidance prints on the visit note's precautions line, with
whether it was acknowledged (read back from the PDF with pypdf)."""

from __future__ import annotations

import io
from dataclasses import replace

from pypdf import PdfReader

from needlelog.domain.model import Screening
from needlelog.domain.vocab import Precaution
from needlelog.reports.visit_note import render_visit_note
from tests.reports.test_visit_note import signed_note, squashed

ADDED = frozenset(Precaution) - {
    Precaution.NEEDLE_FEAR,
    Precaution.BLEEDING_RISK,
    Precaution.INFECTION_IMMUNE,
    Precaution.RECENT_SURGERY,
    Precaution.PREGNANCY,
    Precaution.UNDER_12,
}


def test_the_added_screening_codes_print_on_the_precautions_line() -> None:
    assert len(ADDED) == 10
    note = signed_note()
    acknowledged = ADDED - {Precaution.METAL_ALLERGY}
    note = replace(
        note,
        patient=replace(note.patient, screening=Screening(ADDED)),
        session=replace(note.session, precautions_acknowledged=acknowledged),
    )
    text = squashed("".join(page.extract_text() for page in PdfReader(io.BytesIO(render_visit_note(note))).pages))
    for precaution in sorted(acknowledged):
        assert squashed(f"{precaution.label} (acknowledged)") in text, precaution
    assert squashed(f"{Precaution.METAL_ALLERGY.label} (NOT acknowledged)") in text
