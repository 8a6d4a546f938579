"""The clinic's settings: the letterhead's logo (what a stored logo must be) and what a change of settings changed.

The logo is kept in the chart (every PC prints it), so it is checked before it is stored: a PNG or a JPEG,
read from its own header (the file's name says nothing), at most :data:`LOGO_MAX_BYTES` and
:data:`LOGO_MAX_SIDE` pixels a side. Whether its pixels decode is the reports' question (they draw it);
the service asks both before anything is written.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from needlelog.domain.model import Clinic

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 4000
LOGO_MIN_SIDE = 8
_PNG = b"\x89PNG\r\n\x1a\n"
# JPEG's start-of-frame markers (the ones that carry the picture's size): C0-CF but DHT, JPG and DAC.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(frozen=True, slots=True)
class LogoFacts:
    kind: str  # "PNG" or "JPEG"
    width: int
    height: int
    size_bytes: int

    def describe(self) -> str:
        return f"{self.kind} {self.width}×{self.height} px, {max(1, round(self.size_bytes / 1024))} KB"


def logo_facts(data: bytes) -> LogoFacts | None:
    """The logo's kind and size in pixels from its header; None when it is neither a PNG nor a JPEG."""
    if data.startswith(_PNG) and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return LogoFacts("PNG", width, height, len(data))
    if data.startswith(b"\xff\xd8"):
        return _jpeg_facts(data)
    return None


def _jpeg_facts(data: bytes) -> LogoFacts | None:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _JPEG_FRAMES:
            if at + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return LogoFacts("JPEG", width, height, len(data))
        if marker == 0xDA or length < 2:  # the picture's data begins before any size was given
            return None
        at += 2 + length
    return None


def logo_problem(data: bytes) -> str | None:
    """Why ``data`` cannot be the letterhead's logo, in one sentence; None when it can."""
    if len(data) > LOGO_MAX_BYTES:
        return f"The logo file is larger than {LOGO_MAX_BYTES // 1024 // 1024} MB: choose a smaller one."
    facts = logo_facts(data)
    if facts is None:
        return "The logo must be a PNG or JPEG image: choose another file."
    if not (LOGO_MIN_SIDE <= facts.width <= LOGO_MAX_SIDE and LOGO_MIN_SIDE <= facts.height <= LOGO_MAX_SIDE):
        return (
            f"The logo is {facts.width}×{facts.height} pixels; choose one of {LOGO_MIN_SIDE} to "
            f"{LOGO_MAX_SIDE} pixels a side."
        )
    return None


def describe_logo(data: bytes | None) -> str:
    if not data:
        return "none"
    facts = logo_facts(data)
    return "an unreadable file" if facts is None else facts.describe()


def _quoted(text: str) -> str:
    return "“" + " ".join(text.split()) + "”" if text.strip() else "(empty)"


def settings_changes(old: Clinic | None, new: Clinic) -> list[str]:
    """What a save of the clinic's settings changed, each as "what: old → new" for the audit trail."""
    changes: list[str] = []
    texts = (("clinic name", "name"), ("clinic address", "address"), ("clinic phone", "phone"))
    for label, attribute in texts:
        before = "" if old is None else str(getattr(old, attribute))
        after = str(getattr(new, attribute))
        if before != after:
            changes.append(f"{label}: {_quoted(before)} → {_quoted(after)}")
    numbers = (
        ("default dwell", "default_dwell_minutes", "minutes"),
        ("consent validity", "consent_valid_months", "months"),
    )
    for label, attribute, unit in numbers:
        after_number = getattr(new, attribute)
        before_number = None if old is None else getattr(old, attribute)
        if before_number != after_number:
            was = "unset" if before_number is None else str(before_number)
            changes.append(f"{label}: {was} → {after_number} {unit}")
    old_logo = None if old is None else old.logo
    if (old_logo or None) != (new.logo or None):
        changes.append(f"letterhead logo: {describe_logo(old_logo)} → {describe_logo(new.logo)}")
    return changes
