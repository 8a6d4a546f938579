"""The note's letterhead never prints over the note, and names in the scripts of Alberta's clinics print whole.

Issue 12, item 5: a 200-character clinic name with a 400-character address printed over the patient, clinician
and signature lines; names in Gurmukhi, Devanagari, Tamil, Gujarati, Bengali, Thai, Khmer, Ethiopic, Sinhala and
Burmese printed as ``[U+0A17]`` with their vowel signs dropped. Read back with poppler's ``pdftotext -bbox``
(where each word lies on the page) and pypdf (which fonts the page embeds).
"""

from __future__ import annotations

import html
import io
import re
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import uharfbuzz
from pypdf import PdfReader
from reportlab import platypus

from needlelog.domain.model import AdverseEvent, Clinic, VisitNote
from needlelog.domain.text import TEXT_LIMITS
from needlelog.domain.vocab import AdverseEventKind
from needlelog.reports import shaping
from needlelog.reports.letterhead import HEADER_SPACE, LETTERHEAD_MAX
from needlelog.reports.shaping import SHAPED_PREFIX
from needlelog.reports.text import _FILES, SHAPED, markup, printable
from needlelog.reports.visit_note import render_combined, render_visit_note
from tests.reports.test_visit_note import signed_note

# A clinic at every limit of its letterhead: the words Foothills, Okotoks and 555 are found on the page.
LONG_CLINIC = Clinic(
    ("Foothills Physiotherapy and Intramuscular Stimulation Centre " * 4)[: TEXT_LIMITS["clinic.name"]],
    ("Suite 400, 12 Centre Avenue West, Okotoks, Alberta T1S 1A1 " * 8)[: TEXT_LIMITS["clinic.address"]],
    ("403-555-0142 ext. 1234, fax 403-555-0199, " * 2)[: TEXT_LIMITS["clinic.phone"]],
)
LETTERHEAD_WORDS = re.compile(r"Foothills|Physiotherapy|Okotoks|Alberta|555")


@dataclass(frozen=True)
class Word:
    text: str
    page: int
    top: float  # from the top of the page, in points
    bottom: float
    left: float = 0.0
    right: float = 0.0


def words(pdf: bytes, tmp_path: Path) -> list[Word]:
    path = tmp_path / "note.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    found, page = [], 0
    for line in out.splitlines():
        if "<page " in line:
            page += 1
        match = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if match:
            left, top, right, bottom = (float(match[i]) for i in range(1, 5))
            found.append(Word(html.unescape(match[5]), page, top, bottom, left, right))
    return found


def overprints(found: list[Word]) -> list[tuple[str, str]]:
    """Pairs of words drawn over each other: the middle halves of their boxes meet. (A box is as tall as its
    font's ascent and descent: Noto Sans Myanmar's reach twice its size, so whole boxes of lines that are
    clear of each other on the page can touch.)"""

    def core(word: Word) -> tuple[float, float]:
        quarter = (word.bottom - word.top) / 4
        return word.top + quarter, word.bottom - quarter

    pairs = []
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            if a.page != b.page:
                continue
            (a_top, a_bottom), (b_top, b_bottom) = core(a), core(b)
            high = min(a_bottom, b_bottom) - max(a_top, b_top)
            wide = min(a.right, b.right) - max(a.left, b.left)
            if high > 0.5 and wide > 1:
                pairs.append((a.text, b.text))
    return pairs


def letterhead_bottom(found: list[Word], page: int) -> float:
    return max(w.bottom for w in found if w.page == page and LETTERHEAD_WORDS.search(w.text))


def first(found: list[Word], text: str) -> Word:
    return next(w for w in found if w.text == text)


def long_letterhead_note() -> VisitNote:
    note = signed_note()
    # notes long enough that the signature goes over to a second page, under a letterhead of its own
    return replace(note, clinic=LONG_CLINIC, session=replace(note.session, notes="Tolerated well.\n\n" * 60))


def test_a_letterhead_at_every_limit_stays_above_the_note_on_every_page(tmp_path: Path) -> None:
    found = words(render_visit_note(long_letterhead_note()), tmp_path)
    pages = {w.page for w in found}
    assert len(pages) >= 2
    for page in pages:
        on_page = [w for w in found if w.page == page]
        bottom = letterhead_bottom(found, page)
        top = min(w.top for w in on_page if LETTERHEAD_WORDS.search(w.text))
        assert bottom - top <= LETTERHEAD_MAX, "the letterhead shrinks to fit its box"
        body = [w for w in on_page if w.top > bottom + 1 and not w.text.startswith(("Confidential", "Page"))]
        assert body, page
    # the first page's body, the patient and the clinician, and the signature on the last page: all below it
    for label in ("Patient", "Clinician", "Zoë"):
        word = first(found, label)
        assert word.page == 1 and word.top > letterhead_bottom(found, 1), label
    signature = first(found, "Signature")
    assert signature.top > letterhead_bottom(found, signature.page)
    # and every word of the letterhead is there: wrapped and made smaller, never cut
    text = " ".join(w.text for w in found if w.page == 1)
    assert "Centre Foothills" in text and "T1S 1A1" in text


def test_nothing_on_a_page_of_a_long_letterhead_overprints_anything_else(tmp_path: Path) -> None:
    assert overprints(words(render_visit_note(long_letterhead_note()), tmp_path)) == []


def test_a_combined_export_of_a_long_letterhead_keeps_it_apart_from_each_note(tmp_path: Path) -> None:
    found = words(render_combined([long_letterhead_note(), signed_note()]), tmp_path)
    for word in (w for w in found if w.text in ("Patient", "Signature", "Clinician")):
        assert word.top > letterhead_bottom(found, word.page), word


def test_a_usual_letterhead_keeps_the_usual_page(tmp_path: Path) -> None:
    found = words(render_visit_note(signed_note()), tmp_path)
    # the body begins where it always did: the header's usual space below the top margin (18 mm)
    assert first(found, "Zoë").top == pytest.approx((18 + HEADER_SPACE / 2.834645669) * 2.834645669, abs=6)


# A family and a given name in each script, as a clinic's patients write them.
NAMES = {
    "Gurmukhi": ("ਸਿੰਘ", "ਹਰਪ੍ਰੀਤ ਕੌਰ"),
    "Devanagari": ("शर्मा", "प्रियंका"),
    "Tamil": ("சுப்பிரமணியன்", "கார்த்திக்"),
    "Gujarati": ("પટેલ", "ક્રિષ્ના"),
    "Bengali": ("চট্টোপাধ্যায়", "সৌমিত্র"),
    "Thai": ("ศรีสุข", "สมชาย"),
    "Khmer": ("សុខ", "ច័ន្ទតារា"),
    "Ethiopic": ("ገብረመድህን", "ሰላም"),
    "Sinhala": ("පෙරේරා", "ශ්‍රීමතී"),
    "Myanmar": ("အောင်", "မြင့်မြင့်"),
}


def script_note(script: str) -> VisitNote:
    family, given = NAMES[script]
    note = signed_note()
    return replace(
        note,
        patient=replace(note.patient, family_name=family, given_name=given),
        session=replace(note.session, notes=f"Seen with ({given}), family {family}: no reaction."),
    )


def embedded_fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


@pytest.mark.parametrize("script", NAMES)
def test_a_name_in_each_script_prints_in_its_font_shaped_and_whole(script: str, tmp_path: Path) -> None:
    family, given = NAMES[script]
    for name in (family, given):
        assert printable(name) == name, "every character has a font"
        assert f'name="{SHAPED_PREFIX}{script}"' in markup(name)
    pdf = render_visit_note(script_note(script))
    assert f"NotoSans{script}-Regular" in embedded_fonts(pdf)
    path = tmp_path / "note.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "[U+" not in text and "\ufffd" not in text
    assert overprints(words(pdf, tmp_path)) == []
    page = tmp_path / "page"
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(page)], check=True)


@pytest.mark.parametrize("script", NAMES)
def test_every_name_shapes_without_a_missing_glyph(script: str) -> None:
    """harfbuzz, given each name in its script's font, finds a glyph for every cluster (none is .notdef)."""
    assert f"{SHAPED_PREFIX}{script}" in SHAPED
    font_file = _FILES[f"{SHAPED_PREFIX}{script}"]
    font = uharfbuzz.Font(uharfbuzz.Face(uharfbuzz.Blob(font_file.read_bytes())))
    for name in NAMES[script]:
        for word in name.split():
            buffer = uharfbuzz.Buffer()
            buffer.add_str(word)
            buffer.guess_segment_properties()
            uharfbuzz.shape(font, buffer, {})
            assert all(info.codepoint != 0 for info in buffer.glyph_infos), word


def test_shaping_reorders_and_joins_as_the_script_needs(tmp_path: Path) -> None:
    """The vowel sign ਿ is typed after ਸ and drawn before it; a name that needs no shaping reads back as typed."""
    found = words(render_visit_note(script_note("Gurmukhi")), tmp_path)
    shown = " ".join(w.text for w in found)
    assert "ਿਸੰਘ" in shown, "drawn in visual order: shaped"
    found = words(render_visit_note(script_note("Ethiopic")), tmp_path)
    shown = " ".join(w.text for w in found)
    assert "ሰላም ገብረመድህን" in shown and "(ሰላም)," in shown


def test_a_description_at_its_limit_prints(tmp_path: Path) -> None:
    note = signed_note()
    description = ("Felt faint after the third needle; lay down, recovered in ten minutes. " * 200)[
        : TEXT_LIMITS["adverse_event.description"]
    ]
    event = AdverseEvent(AdverseEventKind.FAINTING_INJURY, description)
    pdf = render_visit_note(replace(note, session=replace(note.session, adverse_events=(event,))))
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 3


def test_an_unbroken_name_of_any_length_never_overprints_the_next_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word wider than its column is split by reportlab character by character; a shaped one would be torn
    and its row drawn taller than measured, over the next. A word no name reaches is drawn as typed instead."""

    def note(repeats: int) -> VisitNote:
        base = signed_note()
        sites = (replace(base.session.sites[0], muscle="ਸਿੰਘ" * repeats), *base.session.sites[1:])
        patient = replace(base.patient, family_name="ਸਿੰਘ" * repeats)
        return replace(base, patient=patient, session=replace(base.session, sites=sites))

    for repeats in (1, 5, 6, 50):  # 4 to 200 characters without a space
        assert overprints(words(render_visit_note(note(repeats)), tmp_path)) == [], repeats
    # what the limit prevents, seen by the same check: a torn word's row measured at one wrap and drawn from the
    # next (the note's paragraphs remember their last wrap, so reportlab's own wrap is put back for this)
    monkeypatch.setattr(shaping, "LONGEST_SHAPED_WORD", 10**6)
    monkeypatch.setattr(shaping.Paragraph, "wrap", platypus.Paragraph.wrap)
    assert overprints(words(render_visit_note(note(50)), tmp_path))
