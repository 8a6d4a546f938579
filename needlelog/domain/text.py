"""Text a database can store: every text field's longest value, and the characters no database keeps.

A lone surrogate (``"a\\ud800b"``, half of a pair, which a paste or a broken file can bring) cannot be
encoded as UTF-8, so SQLite's driver and PostgreSQL both fail on it; PostgreSQL refuses a NUL in any
text; other control characters (below U+0020) are invisible and have no place in a clinical record,
except a line break and a tab in text of several lines. Every text field the services write has its
longest length in :data:`TEXT_LIMITS` (the database's columns are at least that long), so a value is
refused here, in words naming the field, before any database sees it.
"""

from __future__ import annotations

import unicodedata

from needlelog.domain.limits import REASON_MAX, SHORT_TEXT_MAX, TEXT_MAX
from needlelog.domain.problems import FieldPath, FieldProblem

# The longest value of every text field the services write, in characters (what PostgreSQL's varchar(n)
# counts). A column of the database is never shorter (tests/services/test_hostile_text.py compares them).
TEXT_LIMITS: dict[str, int] = {
    "clinic.name": 200,
    "clinic.address": 400,
    "clinic.phone": 60,
    "account.username": 80,
    "account.display_name": SHORT_TEXT_MAX,
    "account.credentials": SHORT_TEXT_MAX,
    "account.registration_number": 80,
    "patient.chart_number": 40,
    "patient.family_name": SHORT_TEXT_MAX,
    "patient.given_name": SHORT_TEXT_MAX,
    "patient.phone": SHORT_TEXT_MAX,
    "consent.obtained_by": SHORT_TEXT_MAX,
    "site.muscle": SHORT_TEXT_MAX,
    "site.needle_size": SHORT_TEXT_MAX,
    "site.needle_lot": SHORT_TEXT_MAX,
    "site.dwell_reason": REASON_MAX,
    "session.notes": TEXT_MAX,
    "reactions.other_text": TEXT_MAX,
    # A description prints on the note: a page or three, not a book (a megabyte took minutes to print).
    "adverse_event.description": 10_000,
    "amendment.reason": REASON_MAX,
    "amendment.text": TEXT_MAX,
    "discard.reason": 200,
    "lot.brand": SHORT_TEXT_MAX,
    "lot.size": SHORT_TEXT_MAX,
    "lot.lot": SHORT_TEXT_MAX,
    "follow_up.text": TEXT_MAX,
    "outcome.psfs_activity": 80,  # an activity the patient named ("Reaching overhead"); JSON in its row
    "password": 1_000,
}

# Characters that look like nothing: a field made only of these (and spaces) is as good as empty.
_BLANK_LOOKING = frozenset("\u115f\u1160\u2800\u3164\uffa0")
_MULTILINE_KEEPS = frozenset("\n\r\t")


def bad_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` no database can store (or that has no place in it), in words; else None."""
    for char in value:
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            return f"a broken character (U+{code:04X}, half of a pair)"
        if code == 0:
            return "a NUL character"
        if code < 0x20 or code == 0x7F:
            if multiline and char in _MULTILINE_KEEPS:
                continue
            if char in "\n\r":
                return "a line break"
            return f"a control character (U+{code:04X})"
    return None


def is_blank(value: str) -> bool:
    """True when ``value`` shows nothing: only spaces, line breaks, zero-width or other invisible characters."""
    return all(
        char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zs", "Zl", "Zp") or char in _BLANK_LOOKING
        for char in value
    )


def storable(value: str, *, multiline: bool = True) -> str:
    """``value`` without the characters :func:`bad_character` names (what autosave may keep of a field)."""
    return "".join(char for char in value if bad_character(char, multiline=multiline) is None)


def text_problems(
    path: FieldPath | str, label: str, value: str, limit_key: str, *, multiline: bool = False, plural: bool = False
) -> list[FieldProblem]:
    """What is wrong with one text field's characters and length (at most one problem), in words naming it.

    ``label`` begins the sentence ("Family name", "Site 2: muscle"), ``plural`` for a label such as
    "Notes"; ``limit_key`` names its row of :data:`TEXT_LIMITS`. Whether the field is required is the
    caller's rule (see :func:`is_blank`).
    """
    parts = (path,) if isinstance(path, str) else path
    bad = bad_character(value, multiline=multiline)
    if bad == "a line break" or (bad is not None and bad.startswith("a control") and not multiline):
        return [FieldProblem.at(parts, f"{label} holds {bad}; type it on one line, without control characters.")]
    if bad is not None:
        return [FieldProblem.at(parts, f"{label} holds {bad}, which cannot be stored; type it again.")]
    limit = TEXT_LIMITS[limit_key]
    if len(value) > limit:
        return [FieldProblem.at(parts, f"{label} {'are' if plural else 'is'} longer than {limit:,} characters.")]
    return []
