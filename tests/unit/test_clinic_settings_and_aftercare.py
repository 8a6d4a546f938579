"""The domain's half of issue 15, items 6-7: a logo read from its own header, the settings' changes in words, and
the aftercare sheet's areas in a patient's words (the PDFs are read back in tests/services)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from needlelog.domain.aftercare import area_words, needled_areas
from needlelog.domain.clinic_settings import describe_logo, logo_facts, logo_problem, settings_changes
from needlelog.domain.model import Clinic, NeedlingSite
from needlelog.domain.vocab import BodyRegion, Side


def encoded(kind: str, size: tuple[int, int], **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "options", [{}, {"progressive": True}, {"exif": Image.Exif()}, {"quality": 40, "optimize": True}]
)
def test_a_jpegs_size_is_read_from_its_frame_header_whatever_comes_before_it(options: dict[str, object]) -> None:
    facts = logo_facts(encoded("JPEG", (321, 123), **options))
    assert facts is not None and (facts.kind, facts.width, facts.height) == ("JPEG", 321, 123)


def test_a_pngs_size_is_read_from_its_ihdr() -> None:
    data = encoded("PNG", (40, 12))
    assert describe_logo(data) == "PNG 40×12 px, 1 KB"
    assert logo_problem(data) is None


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xd8", b"\xff\xd8\xff\xda\x00\x08" + bytes(20), b"\x89PNG\r\n\x1a\n" + bytes(30), b"BM" + bytes(60)],
    ids=["empty", "jpeg-start-only", "jpeg-data-before-size", "png-without-ihdr", "bmp"],
)
def test_what_is_no_png_or_jpeg_has_no_facts_and_is_refused(data: bytes) -> None:
    assert logo_facts(data) is None
    assert logo_problem(data) == "The logo must be a PNG or JPEG image: choose another file."


def test_the_first_save_of_a_clinic_says_every_value_as_set_from_nothing() -> None:
    changes = settings_changes(None, Clinic("Bow River Physiotherapy", phone="403-555-0142"))
    assert changes == [
        "clinic name: (empty) → “Bow River Physiotherapy”",
        "clinic phone: (empty) → “403-555-0142”",
        "default dwell: unset → 10 minutes",
        "consent validity: unset → 12 months",
    ]
    assert settings_changes(Clinic("A", logo=b"x"), Clinic("A", logo=b"x")) == []
    assert settings_changes(Clinic("A", logo=b"x"), Clinic("A")) == ["letterhead logo: an unreadable file → none"]


def test_areas_read_as_a_patient_says_them_each_once_with_its_muscles() -> None:
    sites = (
        NeedlingSite(BodyRegion.UPPER_BACK, Side.RIGHT, "rhomboids"),
        NeedlingSite(BodyRegion.LOWER_BACK, Side.MIDLINE, "lumbar  multifidus"),
        NeedlingSite(BodyRegion.UPPER_BACK, Side.RIGHT, "Rhomboids"),
        NeedlingSite(BodyRegion.UPPER_BACK, Side.RIGHT, "middle trapezius"),
        NeedlingSite(BodyRegion.CALF, Side.BILATERAL),
        NeedlingSite(None, None, "<b>typed</b>"),
    )
    assert needled_areas(sites) == (
        "Right upper back, between the shoulder blades: rhomboids, middle trapezius",
        "Lower back (middle): lumbar multifidus",
        "Calf (back of the lower leg) (both sides)",
        "Area as shown by your physiotherapist: <b>typed</b>",
    )
    assert area_words(NeedlingSite(BodyRegion.HEAD_JAW, Side.LEFT)) == "Left jaw and side of the head"
