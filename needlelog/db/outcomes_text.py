"""The stored form of a PSFS's activities: JSON ``[[activity, score], ...]`` in one column of its outcome row.

Five short pairs, always read with their visit and never searched, so one text column (as ``signed_as`` is) rather
than a table of their own. A stored text that cannot be read gives no activities rather than a failed chart.
"""

from __future__ import annotations

import json

from needlelog.domain.outcomes import Instrument, OutcomeMeasure, PsfsActivity


def activities_text(activities: tuple[PsfsActivity, ...]) -> str:
    if not activities:
        return ""
    return json.dumps([[a.activity, a.score] for a in activities], ensure_ascii=False)


def activities_from_text(text: str) -> tuple[PsfsActivity, ...]:
    if not text:
        return ()
    try:
        pairs = json.loads(text)
        return tuple(PsfsActivity(str(name), None if score is None else int(score)) for name, score in pairs)
    except (ValueError, TypeError):
        return ()


def outcome_from_row(instrument: Instrument, total: float | None, activities: str) -> OutcomeMeasure:
    return OutcomeMeasure(instrument, total, activities_from_text(activities))
