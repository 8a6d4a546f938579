"""The PDF visit note, read back: every field present, hostile text printed as typed, long text flowing."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from needlelog.domain.model import (
    AdverseEvent,
    Amendment,
    Clinic,
    Clinician,
    Consent,
    NeedlingSite,
    Patient,
    Reactions,
    Screening,
    TreatmentSession,
    TriggerPoint,
    VisitNote,
)
from needlelog.domain.rules import fingerprint
from needlelog.domain.vocab import (
    AdverseEventKind,
    Aftercare,
    BodyRegion,
    Condition,
    ConsentMethod,
    FigureView,
    Precaution,
    Reaction,
    SessionStatus,
    Side,
    Soreness,
    Technique,
    TwitchResponse,
)
from needlelog.reports.text import clean, markup, printable
from needlelog.reports.visit_note import note_filename, render_combined, render_visit_note

START = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
CLINIC = Clinic("Bow River Physiotherapy", "12 Centre Ave W, Okotoks AB", "403-555-0142")
DANA = Clinician("Dana Whitford", "dwhitford", "PT, MScPT, FCAMPT", "PT-04417", id=1)


def signed_note(**changes: object) -> VisitNote:
    patient = Patient(
        "C-100",
        "Nguyễn",
        "Zoë",
        date(1984, 5, 17),
        screening=Screening(frozenset({Precaution.BLEEDING_RISK})),
        consent=Consent(date(2026, 1, 5), ConsentMethod.WRITTEN, "Dana Whitford"),
        id=1,
    )
    sites = (
        NeedlingSite(
            BodyRegion.NECK,
            Side.RIGHT,
            "upper trapezius",
            2,
            "0.25 x 30 mm",
            "L2301-11",
            10,
            TwitchResponse.STRONG,
            (TriggerPoint(FigureView.BACK, 0.56, 0.15),),
            needles_out=2,
        ),
        NeedlingSite(
            BodyRegion.SHOULDER,
            Side.LEFT,
            "infraspinatus",
            1,
            "0.30 x 50 mm",
            "L2302-27",
            12,
            TwitchResponse.WEAK,
            needles_out=1,
        ),
        NeedlingSite(
            BodyRegion.LOWER_BACK,
            Side.MIDLINE,
            "lumbar multifidus",
            12,
            "0.30 x 60 mm",
            "L2303-43",
            15,
            TwitchResponse.NONE,
            needles_out=12,
        ),
    )
    session = TreatmentSession(
        patient_id=1,
        clinician_id=1,
        service_start=START,
        service_end=START + timedelta(minutes=35),
        condition=Condition.NECK_HEADACHE,
        technique=Technique.IMS,
        electrical_stimulation=True,
        sites=sites,
        pain_before=7,
        pain_after=3,
        sharps_disposed=True,
        reactions=Reactions(Soreness.MILD, frozenset({Reaction.BRUISING}), "slight warmth"),
        adverse_events=(AdverseEvent(AdverseEventKind.FAINTING_INJURY, "Felt faint, bumped knee; ice given."),),
        aftercare=frozenset({Aftercare.HYDRATE, Aftercare.EXPECT_SORENESS}),
        precautions_acknowledged=frozenset({Precaution.BLEEDING_RISK}),
        notes="Tolerated well.\n\nReassessed range of motion after needling: improved.",
        status=SessionStatus.SIGNED,
        id=9,
        created_at=START,
        signed_at=START + timedelta(minutes=40),
        signed_by_id=1,
    )
    session = replace(session, fingerprint=fingerprint(session, patient, DANA, START + timedelta(minutes=40)))
    values: dict[str, object] = {
        "clinic": CLINIC,
        "patient": patient,
        "clinician": DANA,
        "session": session,
        "signer": DANA,
    }
    values.update(changes)
    return VisitNote(**values)  # type: ignore[arg-type]


def text_of(pdf: bytes, tmp_path: Path, layout: bool = False) -> str:
    """The text a reader gets from the page (poppler's pdftotext); ``layout`` keeps table rows on one line."""
    path = tmp_path / "note.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def squashed(text: str) -> str:
    """What a reader sees, for comparing: no spacing, compatibility forms folded (joined Arabic letters)."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in "".join(folded.split()) if unicodedata.category(c) != "Cf")


def test_every_field_of_a_signed_note_is_printed(tmp_path: Path) -> None:
    note = signed_note()
    pdf = render_visit_note(note)
    flat = squashed(text_of(pdf, tmp_path))
    text = text_of(pdf, tmp_path, layout=True)
    for expected in (
        "Bow River Physiotherapy",
        "Zoë",
        "Nguyễn",
        "1984-05-17",
        "C-100",
        "Dana Whitford",
        "PT-04417",
        "Neck pain and headaches",
        "IMS with electrical stimulation",
        "written, 2026-01-05",
        "Blood clotting disorder or blood thinners (acknowledged)",
        "before 7",
        "after 3",
        "Inserted 15",
        "removed 15",
        "reconciled",
        "Muscle soreness: Mild",
        "Minor bruising",
        "slight warmth",
        "Fainting with injury",
        "bumped knee",
        "Stay hydrated",
        "Expect soreness",
        "Reassessed range of motion",
        "Electronically signed by",
        note.session.fingerprint,
        "Page 1 of",
        "Confidential",
    ):
        assert squashed(expected) in flat, expected
    for number, site in enumerate(note.session.sites, start=1):
        region = site.region.label.split(" (")[0]
        row = next(line for line in text.splitlines() if line.strip().startswith(f"{number} ") and region in line)
        assert squashed(site.muscle) in flat
        for value in (
            site.region.label.split(" (")[0],
            site.side.label,
            str(site.needles),
            f"{site.dwell_minutes} min",
            site.twitch.label,
        ):
            assert value in row, (value, row)
        assert site.needle_lot in text  # the needle column may wrap the lot under the size
    assert "DRAFT" not in text and "LATE ENTRY" not in text


def test_a_draft_carries_a_watermark_and_no_signature(tmp_path: Path) -> None:
    note = signed_note()
    draft = replace(note, session=replace(note.session, status=SessionStatus.DRAFT, signed_at=None, fingerprint=""))
    text = text_of(render_visit_note(draft), tmp_path)
    assert "DRAFT — this note is not signed." in text
    assert "Not signed" in text and "Electronically signed" not in text
    page = PdfReader(tmp_path / "note.pdf").pages[0]
    assert "DRAFT — NOT SIGNED" in page.extract_text()  # the watermark itself


def test_a_late_entry_and_amendments_are_marked(tmp_path: Path) -> None:
    note = signed_note()
    late = replace(note.session, signed_at=note.session.service_end + timedelta(hours=30))
    amended = replace(
        note,
        session=late,
        amendments=(Amendment("Dana Whitford", START + timedelta(days=2), "wrong muscle", "Site 2 was teres minor."),),
    )
    text = text_of(render_visit_note(amended), tmp_path)
    assert "LATE ENTRY" in text
    assert "Amendments (1)" in text and "reason: wrong muscle" in text and "Site 2 was teres minor." in text
    assert text.index("Tolerated well.") < text.index("Site 2 was teres minor.")  # the original stays above


def test_a_100000_character_note_flows_over_pages(tmp_path: Path) -> None:
    words = " ".join(f"word{i}" for i in range(14_000))[:100_000]
    pdf = render_visit_note(signed_note(session=replace(signed_note().session, notes=words)))
    reader = PdfReader(_write(tmp_path, pdf))
    assert len(reader.pages) > 10
    text = text_of(pdf, tmp_path)
    assert "word0" in text and "word13" in text and words.split()[-1] in text
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in text


def test_unbroken_long_values_in_table_cells_do_not_break_the_layout(tmp_path: Path) -> None:
    note = signed_note()
    long_site = replace(note.session.sites[0], muscle="x" * 200, needle_lot="L" * 200, needle_size="9" * 200)
    pdf = render_visit_note(replace(note, session=replace(note.session, sites=(long_site,) * 20)))
    assert len(PdfReader(_write(tmp_path, pdf)).pages) >= 2


def _write(tmp_path: Path, pdf: bytes) -> Path:
    path = tmp_path / "written.pdf"
    path.write_bytes(pdf)
    return path


# --- hostile text ------------------------------------------------------------------------

MARKUP = [
    "<b>bold?</b>",
    "</para>",
    "<para>",
    "<img src='/etc/passwd'/>",
    '<img src="x.png" width="9999"/>',
    "<font size=200>huge</font>",
    "<font name='Courier'>x</font>",
    "<font color=red>red</font>",
    "<br/>",
    "<br>",
    "<a href='javascript:alert(1)'>link</a>",
    "<link href='x'>l</link>",
    "<unclosed",
    "unopened>",
    "<<>>",
    "< >",
    "&",
    "&amp;",
    "&lt;",
    "&#60;",
    "&#x3c;",
    "&nbsp;",
    "&bogus;",
    "a&b",
    "AT&T",
    "<![CDATA[x]]>",
    "<!-- c -->",
    "<?xml?>",
    "<script>alert(1)</script>",
    "<super>2</super>",
    "<sub>2</sub>",
    "<strike>s</strike>",
    "<seq id='x'/>",
    "<onDraw name='x'/>",
    "<index item='x'/>",
    "<span style='x'>s</span>",
    "<u>u</u>",
    "<i>i</i>",
    '"double"',
    "'single'",
    "`back`",
    "\\",
    "\\\\n",
    "%PDF-1.4",
    "%s %d %%",
    "{0} {x}",
    "${HOME}",
    "$(rm -rf /)",
    "'; DROP TABLE patient; --",
    "=1+2",
    "+SUM(A1)",
    "-3",
    "@cmd",
    "|pipe|",
    "~tilde~",
    "^caret^",
    "[brackets]",
]
CONTROL = [
    "nul\x00byte",
    "bell\x07",
    "esc\x1b[31mred",
    "back\x08space",
    "form\x0cfeed",
    "vtab\x0b",
    "del\x7f",
    "c1\x85next",
    "tab\tstop",
    "cr\rline",
    "crlf\r\nline",
    "lone\ud800surrogate",
    "private\ue000use",
    "zero\u200bwidth",
    "joiner\u200djoined",
    "bom\ufeffmark",
    "ltr\u200emark",
    "rtl\u200fmark",
    "override\u202eevil",
    "isolate\u2066x\u2069",
    "soft\u00adhyphen",
    "nbsp\u00a0space",
    "wj\u2060x",
    "line\u2028sep",
    "para\u2029sep",
    "unassigned\U000e0001tag",
]
NAMES = [
    "Zoë",
    "Nguyễn Thị Minh Khai",
    "Øyvind Ødegård",
    "Алёна Ёлкина",
    "李小龍",
    "王秀英",
    "佐藤 花子",
    "김민준",
    "Siobhán Ní Bhraonáin",
    "O'Brien-Smith",
    "Ó Súilleabháin",
    "José María",
    "François-Xavier",
    "Björk Guðmundsdóttir",
    "Łukasz Wróbel",
    "Dvořák",
    "Şükrü Öztürk",
    "Αλέξανδρος",
    "Ἀθηνᾶ",
    "Ñandú",
    "Smith\u0301",
    "e\u0301te\u0301",
    "Æsa Ðórr",
    "ß straße",
    "İstanbul",
    "ﬁnance ligature",
    "Ⅻ roman",
    "½ ¾ ⅞",
    "µg °C ±",
]
RTL = ["مرحبا بالعالم", "محمد عبد الله", "שלום עולם", "דוד כהן", "سلام‌دنیا", "abc مرحبا 123", "עברית and English"]
EMOJI = ["😀", "👍🏽", "🧑‍⚕️ medic", "❤️", "🇨🇦", "💉 needle", "🩹 plaster", "✅ done", "⚠️ caution", "👩‍👩‍👧", "🫀 heart"]
LONG = ["w" * 5000, "word " * 3000, "长" * 2000, ("line\n" * 400), "a" * 199]


def hostile_corpus() -> list[str]:
    corpus = MARKUP + CONTROL + NAMES + RTL + EMOJI + LONG
    # combined forms: markup around Unicode, Unicode around control characters
    corpus += [f"<b>{name}</b> & {emoji}" for name, emoji in zip(NAMES, EMOJI * 3, strict=False)]
    corpus += [f"{rtl} <i>{mk}</i>" for rtl, mk in zip(RTL * 3, MARKUP[:20], strict=False)]
    corpus += [f"{c}{n}" for c, n in zip(CONTROL, NAMES, strict=False)]
    assert len(corpus) >= 200
    return corpus


def appears(expected: str, printed: str) -> bool:
    """The text as typed is on the page, less what never prints (control characters).

    Right-to-left lines are drawn in visual order; a PDF reader gives them back in either
    order, so both are accepted, word by word.
    """
    shown = printable(expected).replace("\u2028", "").replace("\u2029", "")
    if squashed(shown) in printed:
        return True
    logical = printable(expected.replace("\u202e", ""), main="NoteSans")
    if not any(unicodedata.bidirectional(c) in ("R", "AL") for c in logical):
        return False
    typed = "".join(c for c in clean(expected) if unicodedata.category(c) not in ("Cf",))
    # in a right-to-left line, paired brackets are drawn mirrored: compare them as one shape
    unpaired = str.maketrans("<>()[]{}", "||||||||")
    page = printed.translate(unpaired)
    words = [squashed(word).translate(unpaired) for word in typed.split()]
    return all(word in page or word[::-1] in page for word in words)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("chunk", range(8))
def test_hostile_text_in_every_field_is_printed_as_typed(chunk: int, tmp_path: Path) -> None:
    corpus = hostile_corpus()
    base = signed_note()
    for value in corpus[chunk::8]:
        short = value[:200]
        site = replace(base.session.sites[0], muscle=short, needle_lot=short[:100], needle_size=short[:100])
        session = replace(
            base.session,
            sites=(site,),
            notes=value,
            reactions=Reactions(Soreness.MILD, frozenset(), short),
            adverse_events=(AdverseEvent(AdverseEventKind.OTHER_SERIOUS, value),),
        )
        note = replace(
            base,
            clinic=Clinic(short, short, short[:60]),
            patient=replace(base.patient, family_name=short, given_name=short, chart_number=short[:40]),
            clinician=replace(DANA, display_name=short, credentials=short),
            session=session,
            amendments=(Amendment(short, START + timedelta(days=1), short, value),),
        )
        pdf = render_visit_note(note)
        assert pdf.startswith(b"%PDF")
        printed = squashed(text_of(pdf, tmp_path))
        for shown in (short, value[:400] if "\n" not in value else value[:50]):
            assert appears(shown, printed), (value[:60], shown[:60])
        assert "huge" not in value or "<fontsize=200>huge</font>" in printed  # markup printed, not obeyed


def test_markup_escapes_and_drops_control_characters() -> None:
    assert markup("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    assert markup("a\x00b\x07c") == "abc"
    assert markup("one\ntwo") == "one<br/>two"
    assert markup("李") == '<font name="NoteCJK">李</font>'


def test_combined_pdf_has_a_bookmark_per_visit_and_page_numbers_per_note(tmp_path: Path) -> None:
    notes = [
        signed_note(),
        signed_note(patient=replace(signed_note().patient, given_name="Øyvind", chart_number="C-2")),
    ]
    path = _write(tmp_path, render_combined(notes))
    reader = PdfReader(path)
    titles = [item.title for item in reader.outline]
    assert len(titles) == 2 and "C-2" in titles[1] and "Øyvind" in titles[1]
    text = text_of(path.read_bytes(), tmp_path)
    assert text.count("Page 1 of") == 2


def test_file_names_are_safe_and_follow_the_pattern() -> None:
    note = signed_note()
    assert note_filename(note) == f"{START.astimezone():%Y-%m-%d}_C-100_dwhitford.pdf"
    odd = replace(note, patient=replace(note.patient, chart_number="../../etc/passwd"))
    assert "/" not in note_filename(odd) and ".." not in note_filename(odd)
    assert re.fullmatch(r"[\w.-]+\.pdf", note_filename(odd))


def test_a_table_row_taller_than_a_page_splits_instead_of_failing(tmp_path: Path) -> None:
    note = signed_note()
    unprintable = "\U0001fae0" * 200  # no embedded font has it: each prints as [U+1FAE0]
    site = replace(note.session.sites[0], muscle=unprintable, needle_lot=unprintable, needle_size=unprintable)
    huge = replace(
        note,
        session=replace(note.session, sites=(site,)),
        clinician=replace(DANA, display_name="Dana " * 3000, credentials="PT " * 3000),
        patient=replace(note.patient, consent=replace(note.patient.consent, obtained_by="Dana " * 3000)),
    )
    reader = PdfReader(_write(tmp_path, render_visit_note(huge)))
    assert len(reader.pages) > 2


def test_the_sites_table_prints_in_and_out_per_site_and_a_timed_dwell_with_its_reason(tmp_path: Path) -> None:
    """A timer that ran 17 minutes is the record: the note prints 17 min, the times, and the written reason."""
    note = signed_note()
    neck, shoulder, back = note.session.sites
    timed = replace(
        shoulder,
        dwell_minutes=None,
        timer_started=START + timedelta(minutes=5),
        timer_stopped=START + timedelta(minutes=22),
        dwell_reason="Patient asleep; the alarm was missed while another patient fainted.",
    )
    counted = replace(back, needles_out=11)  # a draft: one of site 3's needles not yet counted out
    session = replace(note.session, sites=(neck, timed, counted), status=SessionStatus.DRAFT)
    pdf = render_visit_note(replace(note, session=session))
    path = tmp_path / "timed.pdf"
    path.write_bytes(pdf)
    flat = squashed("".join(page.extract_text() for page in PdfReader(path).pages))
    for expected in (
        "In / out",
        "2 / 2",
        "1 / 1",
        "12 / 11",
        "17 min",
        "Site 2, dwell 17 min (outside 5–15 minutes) — reason:",
        "Patient asleep; the alarm was missed while another patient fainted.",
        "NOT reconciled",
    ):
        assert squashed(expected) in flat, expected
