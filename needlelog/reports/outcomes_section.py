"""The visit note's outcome measures: each instrument's score at this visit, its change from the first score of the
patient's course, and whether that change reached the instrument's MCID.

Printed only when the visit recorded an outcome. The PSFS's activities are the patient's words (user text: escaped
and wrapped as a paragraph); everything else is the program's own.
"""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable

from needlelog.domain.model import VisitNote
from needlelog.domain.outcomes import SCALES, Instrument, OutcomeMeasure, improvement, mcid_reached, shown
from needlelog.reports.note_layout import _heading
from needlelog.reports.shaping import Paragraph
from needlelog.reports.text import markup


def _line(note: VisitNote, outcome: OutcomeMeasure) -> str:
    """ "PSFS 6.0 (mean of 3 activities) · from 4.0 on 2026-01-05: 2.0 better · MCID 1.3 reached"."""
    scale = SCALES[outcome.instrument]
    score = outcome.score
    if score is None:
        return f"<b>{scale.short}</b>: not scored"
    text = f"<b>{scale.short} {shown(outcome.instrument, score)}</b>"
    if outcome.instrument is Instrument.PSFS:
        rated = sum(1 for a in outcome.activities if a.score is not None)
        text += f" (mean of {rated} {'activity' if rated == 1 else 'activities'})"
    else:
        text += f" of {scale.high:g}{' %' if scale.unit.startswith('%') else ''}"
    first = next((v for v in note.outcome_course if v.instrument is outcome.instrument), None)
    if first is None or first.session_id == note.session.id:
        return text + " · first score: the baseline"
    change = improvement(outcome.instrument, first.score, score)
    direction = "better" if change > 0 else "worse" if change < 0 else "unchanged"
    amount = shown(outcome.instrument, abs(change)) + " " if change else ""
    text += f" · from {shown(outcome.instrument, first.score)} on {first.day.isoformat()}: {amount}{direction}"
    reached = mcid_reached(outcome.instrument, first.score, score)
    return text + f" · MCID {scale.mcid:g} {'reached' if reached else 'not reached'}"


def outcomes_section(note: VisitNote, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    outcomes = note.session.outcomes
    if not outcomes:
        return []
    flow: list[Flowable] = [_heading("Outcome measures")]
    for outcome in outcomes:
        flow.append(Paragraph(_line(note, outcome), styles["body"]))
        if outcome.activities:
            items = " · ".join(
                f"{markup(a.activity.strip()) or '—'} {a.score if a.score is not None else '—'}"
                for a in outcome.activities
            )
            flow.append(Paragraph(f"Activities (0 unable … 10 as before): {items}", styles["body"]))
    return flow
