"""How a patient search is read: names, chart numbers, dates of birth, in any order."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from needlelog.domain.text import storable

_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def search_key(text: str) -> str:
    """Lower case without accents, so that 'zoe' finds 'Zoë' and 'nguyen' finds 'Nguyễn'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def chart_key(text: str) -> str:
    """Chart numbers are identifiers: stored and matched in upper case, without spaces."""
    return "".join(text.split()).upper()


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (for an index range)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True, slots=True)
class PatientQuery:
    """Each word must start a family name, a given name or a chart number; a date must be the birth date."""

    words: tuple[str, ...] = ()
    date_of_birth: date | None = None

    @property
    def is_empty(self) -> bool:
        return not self.words and self.date_of_birth is None

    @property
    def leading_first(self) -> tuple[str, ...]:
        """The words, the one likely to match fewest patients first: the search walks the first word's index
        ranges and checks the others on the rows found. A word without digits (a name) before one with
        digits (a chart-number prefix such as "c0", which every chart number may start), longer before shorter.
        """
        return tuple(sorted(self.words, key=lambda word: (any(ch.isdigit() for ch in word), -len(word))))


def parse_patient_query(text: str) -> PatientQuery:
    words: list[str] = []
    born: date | None = None
    # A character no database can store (a lone surrogate, a NUL) is searched for as if it were not typed.
    for token in storable(text, multiline=False).replace(",", " ").split():
        match = _DATE.match(token)
        if match and born is None:
            try:
                born = date(int(match[1]), int(match[2]), int(match[3]))
                continue
            except ValueError:
                pass  # not a real date: search it as text
        key = search_key(token)
        if key:
            words.append(key)
    return PatientQuery(tuple(words), born)
