"""The muscles that lie over the thorax or the apex of the lung, and whether a site's muscle is one of them.

A needle in these muscles can reach the pleura whatever the marker's place on the figure (a scalene chosen from the
lists sits at the middle of the neck; the supraspinatus is charted on the shoulder): the lung-field caution, the
breathing aftercare, the sign rule and the note's line follow from the muscle as well as from the place.
:func:`needlelog.domain.figure.lung_field_site` is the one function that decides; this module only reads the
muscle. The list and the source of each item are in ``docs/CLINICAL.md``.

The muscle is the vocabulary's word or the clinician's own text, so it is read as words: case, accents and
punctuation ignored ("Upper Trapezius", "trapèze", "scalene", "supra-spinatus"), each pattern matching a whole
word (or two neighbouring words written as one), so that "pectineus" is not a pectoral and "trapped" not a trap.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class LungFieldMuscle:
    """One item of the list: its name as the docs give it, and the words that name it in a site's muscle.

    ``words`` are regular expressions; each must match a whole word of the muscle's text (all of them, in any
    order). ``alternatives`` are other sets of words for the same muscle (an abbreviation with its qualifier).
    """

    name: str
    words: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...] = ()

    def named_in(self, words: frozenset[str]) -> bool:
        return any(
            all(any(re.fullmatch(pattern, word) for word in words) for pattern in patterns)
            for patterns in (self.words, *self.alternatives)
        )


_PARASPINAL = r"erector|spinae|paraspinal\w*|multifid\w*|iliocostal\w*|longissim\w*|spinalis|semispinal\w*|rotatores"
_UPPER = r"upper|superior|cranial|proximal"

LUNG_FIELD_MUSCLES: tuple[LungFieldMuscle, ...] = (
    LungFieldMuscle("scalenes (anterior, middle, posterior)", (r"scalen\w*",)),
    LungFieldMuscle("trapezius (upper, middle, lower)", (r"trapez\w*|traps?",)),
    LungFieldMuscle("rhomboids (major, minor)", (r"rhomboid\w*",)),
    LungFieldMuscle("serratus anterior and serratus posterior (superior, inferior)", (r"serrat\w*",)),
    LungFieldMuscle("pectoralis major and minor", (r"pecs?|pectoral\w*",)),
    LungFieldMuscle("intercostals", (r"intercostal\w*",)),
    LungFieldMuscle("subscapularis", (r"subscap\w*",)),
    LungFieldMuscle("supraspinatus", (r"supraspin\w*",)),
    LungFieldMuscle("infraspinatus", (r"infraspin\w*",)),
    LungFieldMuscle(
        "thoracic erector spinae and multifidus (thoracic paraspinals)",
        (r"thora[ck]\w*", _PARASPINAL),
        ((r"t\d{1,2}", _PARASPINAL),),
    ),
    LungFieldMuscle(
        "upper quadratus lumborum (at the 12th rib)",
        (r"quadratus", r"lumborum", _UPPER),
        ((r"ql", _UPPER), (r"quadratus", r"lumborum", r"12th|rib\w*"), (r"ql", r"12th|rib\w*")),
    ),
    LungFieldMuscle("latissimus dorsi", (r"latissim\w*",)),
    LungFieldMuscle("subclavius", (r"subclavi\w*",)),
)


def muscle_words(text: str) -> frozenset[str]:
    """The words of a muscle's text, lower case and without accents, with each pair of neighbours also joined
    ("supra spinatus" is "supraspinatus" too)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    words = re.findall(r"[^\W_]+", plain)
    return frozenset(words) | {a + b for a, b in pairwise(words)}


@lru_cache(maxsize=4096)  # the lists' words and what was typed lately
def lung_field_muscle(text: str) -> LungFieldMuscle | None:
    """The item of :data:`LUNG_FIELD_MUSCLES` a site's muscle names, or None (an empty muscle names none)."""
    words = muscle_words(text)
    if not words:
        return None
    return next((muscle for muscle in LUNG_FIELD_MUSCLES if muscle.named_in(words)), None)


def muscle_over_lung(text: str) -> bool:
    """Whether the muscle named (from the lists or typed) lies over the thorax or the apex of the lung."""
    return lung_field_muscle(text) is not None
