"""Every needle accounted for at its site: a stopped timer counts its site out, an accidental stop is undone
(audited), Sign names the site whose needles are unaccounted, and a timed dwell is the record."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from needlelog.domain.access import AuditAction
from needlelog.domain.errors import ConflictError, ValidationError
from needlelog.domain.model import Clinician, Patient
from needlelog.domain.rules import fingerprint
from needlelog.domain.timers import resume_site_timer
from needlelog.domain.vocab import Side
from needlelog.services.store import Services
from tests.conftest import FakeClock
from tests.services.test_sessions import charted, neck_site


def test_a_stop_counts_the_site_out_and_an_undo_puts_the_needles_back_audited(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    started = clock.now
    running = neck_site(needles=2, needles_out=0, timer_started=started)
    draft = services.sessions.save_draft(replace(draft, sites=(running, neck_site(side=Side.LEFT, needles_out=0))))
    clock.advance(minutes=1)
    stopped = services.sessions.stop_timer(draft.id or 0, 0)
    assert [s.needles_out for s in stopped.sites] == [2, 0]  # the stopped site only
    assert stopped.needles_removed == 2 and stopped.sites[0].dwell_minutes is None  # 1:00, outside 5-15

    resumed = replace(stopped, sites=(resume_site_timer(stopped.sites[0], before=running), stopped.sites[1]))
    saved = services.sessions.resume_timer(resumed, 0)
    site = services.sessions.get(saved.id or 0).sites[0]
    assert (site.timer_started, site.timer_stopped, site.needles_out, site.dwell_minutes) == (started, None, 0, 10)
    assert [t.started for t in services.sessions.running_timers()] == [started]  # runs on from its start
    actions = [line.entry for line in services.registers.audit(date(2026, 1, 1), date(2026, 12, 31))]
    undone = [e for e in actions if e.action is AuditAction.TIMER_RESUMED]
    assert [(e.session_id, e.detail) for e in undone] == [
        (draft.id, "site 1 timer resumed from its start (an accidental stop undone)")
    ]
    with pytest.raises(ConflictError, match="not stopped"):  # nothing to undo twice
        services.sessions.resume_timer(replace(resumed, version=saved.version), 0)


def test_sign_names_each_site_whose_needles_are_not_all_counted_out(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    content = charted(
        draft, clock, sites=(neck_site(), neck_site(side=Side.LEFT, muscle="splenius capitis", needles_out=1))
    )
    with pytest.raises(ValidationError) as refused:
        services.sessions.sign(content, clinician.id or 0)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("sites[1].needles_out", "Site 2 (left splenius capitis): 1 of 2 needles not counted out.")
    ]
    signed = services.sessions.sign(charted(draft, clock, sites=content.sites[:1]), clinician.id or 0)
    assert signed.needles_removed == 2


def test_a_timer_past_15_minutes_is_the_record_and_its_reason_is_signed_into_the_fingerprint(
    services: Services, clinician: Clinician, patient: Patient, clock: FakeClock
) -> None:
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0, clock.now - timedelta(minutes=40))
    late = neck_site(timer_started=clock.now - timedelta(minutes=30), timer_stopped=clock.now - timedelta(minutes=13))
    content = charted(draft, clock, sites=(replace(late, dwell_minutes=None),))
    with pytest.raises(ValidationError, match="its timer ran 17:00, past 15 minutes; write the reason"):
        services.sessions.sign(content, clinician.id or 0)
    with pytest.raises(ValidationError, match="dwell typed as 10 min, but its timer ran 17:00"):
        services.sessions.sign(charted(draft, clock, sites=(late,)), clinician.id or 0)
    reason = "Patient asleep; alarm missed while helping another patient."
    signed = services.sessions.sign(
        replace(content, sites=(replace(content.sites[0], dwell_reason=reason),)), clinician.id or 0
    )
    stored = services.sessions.get(signed.id or 0)
    assert stored.sites[0].dwell_reason == reason and stored.sites[0].dwell_minutes is None
    assert stored.signed_at is not None
    assert stored.fingerprint == fingerprint(stored, patient, clinician, stored.signed_at)
    assert stored.fingerprint != fingerprint(
        replace(stored, sites=(replace(stored.sites[0], dwell_reason=""),)), patient, clinician, stored.signed_at
    )
