"""What of a draft may be autosaved: the draft as typed, with each value the rules refuse left out.

Autosave must never lose the rest of a draft because one field is wrong, and must never store a
value the rules refuse. The editor's draft keeper calls :func:`savable_draft` with the problems of
:func:`needlelog.domain.rules.value_problems`; it acts on each problem's structured ``path``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from needlelog.domain.model import NeedlingSite, TreatmentSession
from needlelog.domain.outcomes import savable_outcomes
from needlelog.domain.rules import REASON_MAX, SHORT_TEXT_MAX, TEXT_MAX, FieldProblem
from needlelog.domain.text import TEXT_LIMITS, storable


def savable_draft(
    draft: TreatmentSession, problems: Sequence[FieldProblem], accepted_start: datetime
) -> TreatmentSession:
    """``draft`` with every value named by ``problems`` emptied, cut to length or put back.

    ``accepted_start`` is the last service start that was accepted (the stored draft's): a start the
    rules refuse is put back to it, and an end that would then come before it is emptied.
    """
    if not problems:
        return draft
    sites: list[NeedlingSite] = list(draft.sites)
    changes: dict[str, object] = {}
    for problem in problems:
        match problem.path:
            case ("sites", int(i), "needles") if i < len(sites):
                sites[i] = replace(sites[i], needles=None)
            case ("sites", int(i), "dwell_minutes") if i < len(sites):
                sites[i] = replace(sites[i], dwell_minutes=None)
            case ("sites", int(i), "muscle" | "needle_size" | "needle_lot" as name) if i < len(sites):
                kept: dict[str, Any] = {name: storable(getattr(sites[i], name), multiline=False)[:SHORT_TEXT_MAX]}
                sites[i] = replace(sites[i], **kept)
            case ("sites", int(i), "needles_out") if i < len(sites):
                sites[i] = replace(sites[i], needles_out=0)
            case ("sites", int(i), "dwell_reason") if i < len(sites):
                sites[i] = replace(sites[i], dwell_reason=storable(sites[i].dwell_reason)[:REASON_MAX])
            case ("sites", int(i), "timer") if i < len(sites):
                sites[i] = replace(sites[i], timer_stopped=None)
            case ("sites", int(i), "trigger_points", int()) if i < len(sites):
                inside = tuple(p for p in sites[i].trigger_points if 0 <= p.x <= 1 and 0 <= p.y <= 1)
                sites[i] = replace(sites[i], trigger_points=inside)
            case ("pain_before" | "pain_after" | "service_end" as name,):
                changes[name] = None
            case ("service_start",):
                changes["service_start"] = accepted_start
                if draft.service_end is not None and draft.service_end <= accepted_start:
                    changes["service_end"] = None
            case ("notes",):
                changes["notes"] = storable(draft.notes)[:TEXT_MAX]
            case ("reactions", "other_text"):
                other = storable(draft.reactions.other_text)[:TEXT_MAX]
                changes["reactions"] = replace(draft.reactions, other_text=other)
            case ("adverse_events", int(i), "description") if i < len(draft.adverse_events):
                events = list(changes.get("adverse_events", draft.adverse_events))  # type: ignore[call-overload]
                limit = TEXT_LIMITS["adverse_event.description"]
                events[i] = replace(events[i], description=storable(events[i].description)[:limit])
                changes["adverse_events"] = tuple(events)
    if any(problem.path == ("sites",) for problem in problems):
        # too many needles in all: the counts are the clinician's to give again
        sites = [replace(site, needles=None) for site in sites]
    changes["outcomes"] = savable_outcomes(draft.outcomes, problems)
    return replace(draft, sites=tuple(sites), **changes)  # type: ignore[arg-type]
