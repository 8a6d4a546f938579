"""The PDF visit note (SPEC §6): a clinical document a clinic would sign, drawn with reportlab.

Takes a :class:`VisitNote` (domain objects only) and returns the PDF's bytes. Long text
(notes, amendments, descriptions) is laid out as paragraphs that flow across pages, never
inside a table cell, where reportlab cannot split it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    Spacer,
    Table,
    TableStyle,
)

from needlelog.domain.figure import lung_field_site
from needlelog.domain.model import Clinician, NeedlingSite, TreatmentSession, VisitNote
from needlelog.domain.rules import (
    DWELL_MAX,
    DWELL_MIN,
    NeedleLedger,
    is_late_entry,
    recorded_dwell,
    typed_dwell_disagrees,
)
from needlelog.domain.vocab import Aftercare, Precaution
from needlelog.reports.body_chart import BodyChart
from needlelog.reports.course_chart import course_section
from needlelog.reports.letterhead import HEADER_SPACE
from needlelog.reports.note_layout import (
    ALERT,
    CONFIDENTIAL,
    FOOTER_SPACE,
    INK,
    MARGIN,
    MUTED,
    PAGE,
    RULE,
    SHADE,
    _document,
    _heading,
    _NoteCanvas,
    _styles,
    _Words,
    _words,
    line,
)
from needlelog.reports.outcomes_section import outcomes_section
from needlelog.reports.shaping import Paragraph
from needlelog.reports.text import BOLD, MAIN, RENDERING, markup, plain

# The page itself (sizes, colours, styles, letterhead, footer, page x of y, watermark) is note_layout's;
# its names are exported from here too, as they were before it was split off.
__all__ = [
    "ALERT",
    "CHART_BESIDE_GAP",
    "CHART_BESIDE_HEIGHT",
    "CONFIDENTIAL",
    "FACTS_BESIDE_CHART_MAX",
    "FOOTER_SPACE",
    "HEADER_SPACE",
    "INK",
    "MARGIN",
    "MUTED",
    "PAGE",
    "RULE",
    "SHADE",
    "RenderStopped",
    "_NoteCanvas",
    "_Words",
    "_document",
    "_heading",
    "_styles",
    "_words",
    "line",
    "note_filename",
    "render_combined",
    "render_visit_note",
    "story",
]

# The body chart beside the facts (a smaller one goes under long facts): height, and gap between its views.
CHART_BESIDE_HEIGHT = 60 * mm
CHART_BESIDE_GAP = 6 * mm
# Facts longer than this (characters of values, markup included) take the full width, the chart below them.
FACTS_BESIDE_CHART_MAX = 900


def _when(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A moment in the computer's local time ("—" for none); ``pattern`` as strftime's."""
    return "—" if moment is None else moment.astimezone().strftime(pattern)


def _value(value: object) -> str:
    if value is None or value == "":
        return "—"
    label = getattr(value, "label", None)
    return str(label) if label is not None else str(value)


class RenderStopped(Exception):
    """A long render was asked to stop (between two notes)."""


class _NoteStart(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """Marks where a note begins: the canvas learns which note it is drawing, and a bookmark is set.
    A combined render is asked here, between notes, whether it should stop."""

    def __init__(self, index: int, title: str, stop: Callable[[], bool] | None = None, key: int | None = None) -> None:
        super().__init__()
        self.index = index
        self.title = title
        self.stop = stop
        self.key = index if key is None else key  # the bookmark's name: unique in a PDF joined from parts

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        if self.stop is not None and self.stop():
            raise RenderStopped
        return 0, 0

    def draw(self) -> None:
        canvas = self.canv
        canvas.note_index = self.index
        canvas.page_marks.append((f"note-{self.key}", self.title))  # set on the page itself by the canvas


def _facts_table(rows: Sequence[tuple[str, str]], styles: dict[str, ParagraphStyle], width: float) -> Table:
    # Labels are fixed words: plain strings, which cost a tenth of a Paragraph.
    data = [[label, Paragraph(value, styles["cell"])] for label, value in rows]
    table = Table(data, colWidths=[38 * mm, width - 38 * mm], hAlign="LEFT", splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (0, -1), BOLD, 8.5, 10.5),
                ("TEXTCOLOR", (0, 0), (0, -1), INK),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _facts_and_chart(
    facts: list[tuple[str, str]], sites: Sequence[NeedlingSite], styles: dict[str, ParagraphStyle], width: float
) -> list[Flowable]:
    """The facts with the body chart beside them, at the right; below them when the facts run long.

    Beside, a note of a few sites keeps to one page; a chart under facts of a page or more would
    leave a half-empty page, so it goes below them, whole (it never splits).
    """
    if not sites:
        return [_facts_table(facts, styles, width)]
    # Counted, not measured: wrapping the facts twice cost more than drawing the chart.
    if sum(len(value) for _, value in facts) > FACTS_BESIDE_CHART_MAX:
        return [_facts_table(facts, styles, width), KeepTogether([_heading("Body chart"), BodyChart(sites)])]
    beside = BodyChart(sites, height=CHART_BESIDE_HEIGHT, gap=CHART_BESIDE_GAP)
    chart_width = beside.natural_width() + 4 * mm
    table = _facts_table(facts, styles, width - chart_width)
    title = Paragraph("Body chart", styles["chart_title"])
    layout = Table([[table, [title, beside]]], colWidths=[width - chart_width, chart_width], hAlign="LEFT")
    layout.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [layout]


def _sites_table(note: VisitNote, styles: dict[str, ParagraphStyle], width: float) -> Flowable:
    header = ["#", "Region", "Side", "Muscle", "In / out", "Needle (size, lot)", "Dwell", "Twitch"]
    # Fixed words and numbers are plain strings; only what can wrap (or holds user text) is a Paragraph.
    data: list[list[Any]] = [header]
    for i, site in enumerate(note.session.sites, start=1):
        needle = " · ".join(line(part) for part in (site.needle_size, site.needle_lot) if part.strip()) or "—"
        data.append(
            [
                str(i),
                Paragraph(_value(site.region), styles["cell"]),
                _value(site.side),
                Paragraph(line(site.muscle) or "—", styles["cell"]),
                _in_out(site),
                Paragraph(needle, styles["cell"]),
                _dwell(site, styles),
                _value(site.twitch),
            ]
        )
    widths = [7 * mm, 30 * mm, 17 * mm, 0, 16 * mm, 35 * mm, 22 * mm, 15 * mm]
    widths[3] = width - sum(widths)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), MAIN, 8.5, 10.5),
                ("FONT", (0, 0), (-1, 0), BOLD, 8.5, 10.5),
                ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _in_out(site: NeedlingSite) -> str:
    """The site's needle ledger, "2 / 2": needles in, needles counted out."""
    return f"{_value(site.needles)} / {site.needles_out}"


def _dwell(site: NeedlingSite, styles: dict[str, ParagraphStyle]) -> str | Paragraph:
    """The dwell on the record: "10 min", and under it when the dwell timer ran: "timed 10:02–10:13" (local
    time). A timer that ran is the record (SPEC §3): its minutes print, and a typed value that disagrees
    (a draft only; signing refuses it) prints beside them."""
    recorded = recorded_dwell(site)
    minutes = f"{recorded} min" if recorded is not None else "—"
    if site.timer_started is None:
        return minutes
    started = _when(site.timer_started, "%H:%M")
    if site.timer_stopped is None:
        timed = f"timer running since {started}"
    else:
        timed = f"timed {started}–{_when(site.timer_stopped, '%H:%M')}"
        if typed_dwell_disagrees(site):
            timed += f"; typed {site.dwell_minutes} min"
        if site.dwell_reason.strip():
            timed += "; reason below"
    return Paragraph(f'{minutes}<br/><font size="7.5" color="#555555">{timed}</font>', styles["cell"])


def _dwell_reasons(session: TreatmentSession, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Each written reason for a timed dwell outside 5-15 minutes, as paragraphs under the sites table
    (a reason can be long, and long text never sits in a table cell)."""
    flow: list[Flowable] = []
    for i, site in enumerate(session.sites, start=1):
        if site.dwell_reason.strip():
            flow.append(Spacer(0, 3))
            recorded = recorded_dwell(site)
            dwell = f"{recorded} min" if recorded is not None else "no dwell"
            flow.append(
                Paragraph(
                    f"<b>Site {i}, dwell {dwell} (outside {DWELL_MIN}–{DWELL_MAX} minutes) — reason:</b> "
                    + markup(site.dwell_reason),
                    styles["body"],
                )
            )
    return flow


def _lung_field_caution(note: VisitNote, styles: dict[str, ParagraphStyle]) -> Flowable | None:
    """The caution line when a site lies over the lung field (or the caution was recorded), else None."""
    session = note.session
    if session.is_signed and not session.lung_field_caution:
        # A signed note prints what was recorded when it was signed: a later, wider rule (a muscle added to
        # the lung-field list) must not make an old note say the caution was "NOT given".
        return None
    numbers = [str(i) for i, site in enumerate(session.sites, start=1) if lung_field_site(site)]
    if not numbers and not session.lung_field_caution:
        return None
    if numbers:
        where = f"{'site' if len(numbers) == 1 else 'sites'} {', '.join(numbers)} over the lung field"
    else:
        where = "recorded"
    given = "given" if Aftercare.SEEK_CARE_BREATHING in session.aftercare else "NOT given"
    return Paragraph(
        f"Lung-field caution: {where} (pneumothorax risk). Aftercare to seek care at once for shortness of "
        f"breath or chest pain: {given}.",
        styles["alert"],
    )


def _long_text(text: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Text of any length as paragraphs that flow over pages (one per typed paragraph)."""
    blocks = [block for block in text.replace("\r\n", "\n").split("\n\n")]
    flowables: list[Flowable] = []
    for block in blocks:
        if block.strip():
            flowables.append(Paragraph(markup(block), styles["body"]))
            flowables.append(Spacer(0, 3))
    return flowables or [Paragraph("—", styles["body"])]


def story(note: VisitNote, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    """The note's content, in the order SPEC §6 gives."""
    session = note.session
    patient = note.patient
    flow: list[Flowable] = []
    name = line(f"{patient.given_name} {patient.family_name}")
    flow.extend(_title_block(note, name, styles))
    flow.extend(_facts_and_chart(_facts(note, name), session.sites, styles, width))
    flow.extend(_sites_section(note, styles, width))
    flow.extend(course_section(note))
    flow.extend(outcomes_section(note, styles))
    flow.extend(_ledger_section(session, styles))
    flow.extend(_reactions_section(session, styles))
    flow.extend(_adverse_events_section(session, styles))
    flow.extend(_aftercare_section(session, styles))
    flow.append(_heading("Notes"))
    flow.extend(_long_text(session.notes, styles))
    flow.append(CondPageBreak(24 * mm))  # the signature block, kept with its heading
    flow.append(KeepTogether(_signature(note, styles)))
    flow.extend(_amendments_section(note, styles))
    flow.extend(_later_reports_section(note, styles))
    return flow


def _title_block(note: VisitNote, name: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The patient's name, and under it a DRAFT or LATE ENTRY warning when the note is one."""
    session = note.session
    flow: list[Flowable] = [Paragraph(name, styles["h1"])]
    if not session.is_signed:
        flow.append(_words("DRAFT — this note is not signed.", alert=True))
    elif is_late_entry(session.service_end, session.signed_at):
        flow.append(_words("LATE ENTRY — signed more than 24 hours after the service ended.", alert=True))
    return flow


def _facts(note: VisitNote, name: str) -> list[tuple[str, str]]:
    """The labelled facts at the top of the note: who, when, what, consent, precautions, pain."""
    session, patient, clinician = note.session, note.patient, note.clinician
    credentials = _credentials(clinician)
    return [
        (
            "Patient",
            f"{name} · born {patient.date_of_birth.isoformat()} · chart {line(patient.chart_number)}",
        ),
        ("Clinician", line(clinician.display_name) + (f" · {credentials}" if credentials else "")),
        ("Service", f"{_when(session.service_start)} to {_when(session.service_end)}"),
        (
            "Entered / signed",
            f"entered {_when(session.created_at)} · "
            + (f"signed {_when(session.signed_at)}" if session.is_signed else "not signed"),
        ),
        ("Condition", _value(session.condition)),
        (
            "Technique",
            _value(session.technique) + (" with electrical stimulation" if session.electrical_stimulation else ""),
        ),
        ("Consent", _consent(note)),
        ("Precautions", _precautions(note)),
        ("Pain (0-10)", f"before {_value(session.pain_before)} · after {_value(session.pain_after)}"),
    ]


def _sites_section(note: VisitNote, styles: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    """Needling sites: the lung-field caution, the sites table and the reasons for dwells out of range."""
    session = note.session
    flow: list[Flowable] = [_heading(f"Needling sites ({len(session.sites)})")]
    caution = _lung_field_caution(note, styles)
    if caution is not None:
        flow.append(caution)
        flow.append(Spacer(0, 3))
    flow.append(_sites_table(note, styles, width) if session.sites else _words("No sites recorded."))
    flow.extend(_dwell_reasons(session, styles))
    return flow


def _ledger_section(session: TreatmentSession, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Needle ledger: needles in and out, sharps disposal, and whether they reconcile."""
    ledger = NeedleLedger.of(session)
    balance = "reconciled" if ledger.reconciled else "NOT reconciled"
    return [
        _heading("Needle ledger"),
        Paragraph(
            f"Inserted {ledger.inserted} · removed {ledger.removed} · "
            f"disposed in sharps: {'yes' if ledger.sharps_disposed else 'no'} · {balance}",
            styles["body"] if ledger.reconciled else styles["alert"],
        ),
    ]


def _reactions_section(session: TreatmentSession, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Post-session reactions: soreness, the other reactions ticked, and any typed in."""
    reactions = session.reactions
    words = [f"Muscle soreness: {_value(reactions.soreness)}"]
    words += sorted(r.label for r in reactions.others)
    text = "; ".join(words)
    return [
        _heading("Post-session reactions"),
        Paragraph(text + (f"; {markup(reactions.other_text)}" if reactions.other_text.strip() else ""), styles["body"]),
    ]


def _adverse_events_section(session: TreatmentSession, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Adverse events: each one's kind, and its description as flowing paragraphs."""
    flow: list[Flowable] = [_heading("Adverse events")]
    if session.adverse_events:
        for event in session.adverse_events:
            kind = Paragraph(f"<b>{event.kind.label}</b>", styles["alert"])
            kind.keepWithNext = True  # never the kind at the foot of a page and its description on the next
            flow.append(kind)
            flow.extend(_long_text(event.description, styles) if event.description.strip() else [])
    else:
        flow.append(_words("None."))
    return flow


def _aftercare_section(session: TreatmentSession, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Aftercare given, in the checklist's order."""
    aftercare = [item for item in Aftercare if item in session.aftercare]  # in the checklist's order
    return [
        _heading("Aftercare given"),
        Paragraph("; ".join(a.label for a in aftercare) or "None recorded.", styles["body"]),
    ]


def _amendments_section(note: VisitNote, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Amendments, appended below the signed original (nothing when there are none)."""
    if not note.amendments:
        return []
    flow: list[Flowable] = [
        _heading(f"Amendments ({len(note.amendments)})"),
        Paragraph("The note above is the original, as signed; each amendment is appended below it.", styles["small"]),
    ]
    for amendment in note.amendments:
        flow.append(
            Paragraph(
                f"<b>{_when(amendment.written_at)}</b> · {line(amendment.author)} · reason: {line(amendment.reason)}",
                styles["body"],
            )
        )
        flow.extend(_long_text(amendment.text, styles))
    return flow


def _later_reports_section(note: VisitNote, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Adverse events reported after the visit, from the register (nothing when there are none)."""
    if not note.later_reports:
        return []
    flow: list[Flowable] = [
        _heading(f"Adverse events reported later ({len(note.later_reports)})"),
        Paragraph(
            "Recorded in the adverse-event register after the visit; not part of the note above.", styles["small"]
        ),
    ]
    for report in note.later_reports:
        noticed = f" · noticed {report.noticed_on.isoformat()}" if report.noticed_on else ""
        flow.append(
            Paragraph(
                f"<b>{report.kind.label}</b> · reported later {_when(report.reported_at)} by "
                f"{line(report.reported_by)}{noticed}",
                styles["alert"],
            )
        )
        flow.extend(_long_text(report.description, styles))
    return flow


def _credentials(clinician: Clinician) -> str:
    """ "PT, MScPT, reg. PT-04417": what a note prints after a clinician's name."""
    registration = f"reg. {clinician.registration_number}" if clinician.registration_number else ""
    return ", ".join(line(part) for part in (clinician.credentials, registration) if part)


def _consent(note: VisitNote) -> str:
    consent = note.patient.consent
    if consent is None:
        return "none recorded"
    revoked = f" · revoked {consent.revoked_on.isoformat()}" if consent.revoked_on else ""
    given = f"{consent.method.label.lower()}, {consent.given_on.isoformat()}"
    return f"{given}, obtained by {line(consent.obtained_by)}{revoked}"


def _precautions(note: VisitNote) -> str:
    positive = sorted(note.patient.screening.positive - {Precaution.UNDER_12}, key=lambda p: p.label)
    if not positive:
        return "none"
    acknowledged = note.session.precautions_acknowledged
    return "; ".join(f"{p.label} ({'acknowledged' if p in acknowledged else 'NOT acknowledged'})" for p in positive)


def _signature(note: VisitNote, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    session = note.session
    block: list[Flowable] = [_heading("Signature")]
    if session.is_signed and note.signer is not None:
        signer = note.signer
        details = _credentials(signer)
        block.append(
            Paragraph(
                f"Electronically signed by <b>{line(signer.display_name)}</b>"
                + (f", {details}" if details else "")
                + f" on {_when(session.signed_at)}.",
                styles["body"],
            )
        )
        block.append(_Words("Content fingerprint (SHA-256):", MAIN, 8, color=MUTED))
        block.append(Paragraph(session.fingerprint, styles["body"]))
    else:
        block.append(_words("Not signed. This draft is not a clinical record.", alert=True))
    return block


def render_visit_note(note: VisitNote) -> bytes:
    """One visit note as a PDF."""
    styles = _styles()
    buffer = io.BytesIO()
    doc = _document(
        buffer, plain(f"Visit note {note.patient.chart_number} {_when(note.session.service_start)}"), [note], styles
    )
    with RENDERING:  # text.RENDERING: reportlab's fonts are shared by every thread
        doc.build(
            [_NoteStart(0, _title(note)), *story(note, styles, doc.width)],
            canvasmaker=lambda *a, **k: _NoteCanvas(*a, notes=[note], styles=styles, **k),
        )
    return buffer.getvalue()


def _title(note: VisitNote) -> str:
    session = note.session
    return plain(
        f"{_when(session.service_start)[:10]} · {note.patient.family_name}, {note.patient.given_name} "
        f"({note.patient.chart_number}) · {note.clinician.display_name}"
    )


def note_filename(note: VisitNote) -> str:
    """``YYYY-MM-DD_chart_clinician.pdf``, safe on every file system."""
    day = note.session.service_start.astimezone().strftime("%Y-%m-%d")
    parts = [day, _safe(note.patient.chart_number), _safe(note.clinician.username or note.clinician.display_name)]
    return "_".join(parts) + ".pdf"


def _safe(text: str) -> str:
    kept = "".join(c if c.isalnum() or c in "-." else "-" for c in plain(text))
    return kept.strip("-.")[:60] or "x"


def render_combined(
    notes: Sequence[VisitNote], stop: Callable[[], bool] | None = None, *, first: int = 0, total: int | None = None
) -> bytes:
    """Several notes in one PDF, each from a new page with its own 'page x of y', a bookmark per visit.
    ``stop()`` is asked before each note; when it says yes, :class:`RenderStopped` is raised.

    A part of a longer combined PDF (``reports.batch``) passes where its notes start among ``total``:
    its bookmarks are named after their place in the whole, so the joined file's names do not clash."""
    if not notes:
        raise ValueError("no notes to combine")
    styles = _styles()
    buffer = io.BytesIO()
    doc = _document(buffer, f"Visit notes ({total or len(notes)})", notes, styles)
    flow: list[Flowable] = []
    for index, note in enumerate(notes):
        if index:
            flow.append(PageBreak())
        flow.append(_NoteStart(index, _title(note), stop, key=first + index))
        flow.extend(story(note, styles, doc.width))
    with RENDERING:  # text.RENDERING: reportlab's fonts are shared by every thread
        doc.build(flow, canvasmaker=lambda *a, **k: _NoteCanvas(*a, notes=notes, styles=styles, **k))
    return buffer.getvalue()
