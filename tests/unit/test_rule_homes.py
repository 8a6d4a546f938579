"""Rules the editor and the services share, each with one home in the domain: lots, the clinic's settings,
accounts, what a stopped timer records and what of a draft may be autosaved."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from needlelog.domain.accounts import account_problems
from needlelog.domain.drafts import savable_draft
from needlelog.domain.lots import NeedleLot, expired_lot_problems, lot_problems, session_lot_problems, usable_lots
from needlelog.domain.model import (
    CONSENT_VALID_MONTHS_DEFAULT,
    Clinic,
    Clinician,
    NeedlingSite,
    Reactions,
    TreatmentSession,
    TriggerPoint,
)
from needlelog.domain.rules import (
    TEXT_MAX,
    FieldProblem,
    clinic_problems,
    consent_valid_months,
    field_name,
    value_problems,
)
from needlelog.domain.timers import resume_site_timer, stop_site_timer, untimed_dwell_message
from needlelog.domain.vocab import FigureView

NOW = datetime(2026, 3, 10, 16, 30, tzinfo=UTC)
START = NOW - timedelta(hours=1)
LOTS = [
    NeedleLot("Seirin", "0.25 x 30 mm", "L-OLD", date(2026, 1, 31)),
    NeedleLot("Seirin", "0.3", "L-NEW", date(2028, 1, 1)),
]


def draft(*sites: NeedlingSite, **values: object) -> TreatmentSession:
    return replace(TreatmentSession(patient_id=1, clinician_id=1, service_start=START, sites=sites), **values)  # type: ignore[arg-type]


def test_an_expired_lot_is_named_on_its_site_whatever_its_case() -> None:
    session = draft(NeedlingSite(needle_lot="l-old "), NeedlingSite(needle_lot="L-NEW"), NeedlingSite(needle_lot="L-X"))
    (problem,) = expired_lot_problems(session, LOTS)
    assert problem.field == "sites[0].needle_lot" and problem.path == ("sites", 0, "needle_lot")
    assert problem.message == "Site 1: needle lot L-OLD expired on 2026-01-31; choose another lot."
    assert expired_lot_problems(replace(session, service_start=datetime(2026, 1, 31, 12, tzinfo=UTC)), LOTS) == []
    assert [lot.lot for lot in usable_lots(LOTS, date(2026, 3, 10))] == ["L-NEW"]


def test_a_lot_names_brand_size_and_number_on_short_lines() -> None:
    assert {p.field for p in lot_problems(NeedleLot(" ", "", "L1", date(2027, 1, 1)))} == {"brand", "size"}
    assert [p.field for p in lot_problems(NeedleLot("b" * 201, "s", "L1", date(2027, 1, 1)))] == ["brand"]


def test_clinic_settings_ranges_and_the_one_consent_default() -> None:
    assert clinic_problems(Clinic("Riverside")) == []
    fields = [p.field for p in clinic_problems(Clinic(" ", default_dwell_minutes=4, consent_valid_months=121))]
    assert fields == ["name", "default_dwell_minutes", "consent_valid_months"]
    assert clinic_problems(Clinic("R", default_dwell_minutes=15, consent_valid_months=1)) == []
    assert consent_valid_months(None) == CONSENT_VALID_MONTHS_DEFAULT == Clinic("R").consent_valid_months == 12
    assert consent_valid_months(Clinic("R", consent_valid_months=6)) == 6


def test_an_account_needs_a_one_word_user_name_a_name_and_a_role() -> None:
    assert account_problems(Clinician("Dana", "dana")) == []
    bad = Clinician(" ", "two words", roles=frozenset())
    assert [p.field for p in account_problems(bad)] == ["username", "display_name", "roles"]


def test_a_stopped_timer_records_its_minutes_counts_its_needles_out_and_can_be_undone() -> None:
    running = NeedlingSite(needles=2, dwell_minutes=10, timer_started=NOW)
    stopped = stop_site_timer(running, NOW + timedelta(minutes=9, seconds=31))
    assert (stopped.timer_stopped, stopped.dwell_minutes) == (NOW + timedelta(minutes=9, seconds=31), 10)
    assert stopped.needles_out == 2  # "needles out" counts the site's needles out in the same action
    assert untimed_dwell_message(0, stopped) is None
    short = stop_site_timer(running, NOW + timedelta(minutes=4, seconds=50))
    assert short.dwell_minutes is None and short.timer_stopped is not None
    assert untimed_dwell_message(1, short) == (
        "Site 2: the needles were in 4:50 (about 5 min), outside 5–15 minutes; "
        "the timer's time is the record — write the reason, or undo the stop if it was a slip."
    )
    assert stop_site_timer(stopped, NOW + timedelta(hours=1)) is stopped  # stopped once; undo is its own act
    assert stop_site_timer(NeedlingSite(), NOW) == NeedlingSite()
    # Undo: the timer runs on from its original start; with the site as it was, everything comes back.
    assert resume_site_timer(short, before=running) == running
    assert resume_site_timer(short) == replace(short, timer_stopped=None, needles_out=0)
    assert resume_site_timer(running) is running


def test_field_paths_are_structured_and_named_the_same_as_before() -> None:
    assert field_name(("sites", 2, "trigger_points", 0)) == "sites[2].trigger_points[0]"
    assert FieldProblem("notes", "x").path == ("notes",)
    assert FieldProblem("notes", "x") == FieldProblem.at(("notes",), "x")


def test_autosave_keeps_the_draft_and_leaves_out_only_what_the_rules_refuse() -> None:
    outside = TriggerPoint(FigureView.FRONT, 1.5, 0.5)
    inside = TriggerPoint(FigureView.FRONT, 0.5, 0.5)
    typed = draft(
        NeedlingSite(needles=3, dwell_minutes=10, muscle="m"),
        NeedlingSite(needles=30, dwell_minutes=99, muscle="x" * 250, trigger_points=(inside, outside)),
        NeedlingSite(timer_started=NOW, timer_stopped=NOW - timedelta(minutes=1)),
        pain_before=11,
        pain_after=3,
        service_start=NOW + timedelta(days=1),
        service_end=START + timedelta(minutes=30),
        notes="n" * (TEXT_MAX + 5),
        reactions=Reactions(other_text="o" * (TEXT_MAX + 1)),
    )
    saved = savable_draft(typed, value_problems(typed, NOW), accepted_start=START)
    assert value_problems(saved, NOW) == []
    assert saved.sites[0] == typed.sites[0]
    assert (saved.sites[1].needles, saved.sites[1].dwell_minutes, len(saved.sites[1].muscle)) == (None, None, 200)
    assert saved.sites[1].trigger_points == (inside,)
    assert saved.sites[2].timer_stopped is None and saved.sites[2].timer_started == NOW
    assert (saved.pain_before, saved.pain_after) == (None, 3)
    assert (saved.service_start, saved.service_end) == (START, None)  # the end came before the typed start
    assert len(saved.notes) == TEXT_MAX and len(saved.reactions.other_text) == TEXT_MAX
    assert savable_draft(typed, [], accepted_start=START) is typed


def test_autosave_gives_back_the_counts_when_the_sites_add_up_to_too_many_needles() -> None:
    typed = draft(*(NeedlingSite(needles=20) for _ in range(4)))
    saved = savable_draft(typed, value_problems(typed, NOW), accepted_start=START)
    assert [s.needles for s in saved.sites] == [None] * 4


def test_a_start_put_back_drops_an_end_that_would_come_before_it() -> None:
    typed = draft(service_start=NOW, service_end=START - timedelta(minutes=5))
    refused = [FieldProblem("service_start", "Service start cannot be in the future.")]
    assert savable_draft(typed, refused, accepted_start=START).service_end is None
    later = replace(typed, service_end=START + timedelta(minutes=5))
    assert savable_draft(later, refused, accepted_start=START).service_end == later.service_end


def test_where_an_inventory_is_kept_a_lot_outside_it_is_refused_on_its_site() -> None:
    session = draft(
        NeedlingSite(needle_lot="X9999-01"), NeedlingSite(needle_lot=" l-new"), NeedlingSite(needle_lot="l-old")
    )
    problems = session_lot_problems(session, LOTS, inventory_kept=True)
    assert [p.field for p in problems] == ["sites[0].needle_lot", "sites[2].needle_lot"]
    assert problems[0].message.startswith("Site 1: needle lot X9999-01 is not in the clinic's needle-lot inventory")
    assert "expired" in problems[1].message
    # A clinic that keeps no inventory writes any lot number; only the expiry of a known lot is judged.
    assert session_lot_problems(session, [], inventory_kept=False) == []
    assert [p.field for p in session_lot_problems(session, LOTS, inventory_kept=False)] == ["sites[2].needle_lot"]
