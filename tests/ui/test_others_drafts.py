"""Another clinician's draft opens read-only (issue 13, item 4): the services refuse to save, sign or discard it,
and the editor says so by being view-only rather than by failing at its first autosave."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from needlelog.services.store import Services
from tests.ui.test_sign_out import Chart, Flow, chart, flow, menu_action, start_a_timer  # noqa: F401 (fixtures)


def test_a_colleagues_draft_opens_view_only_and_nothing_is_written_from_it(
    qtbot: QtBot,
    chart: Chart,  # noqa: F811
    flow: Flow,  # noqa: F811
) -> None:
    services, _clock, patient, _path = chart
    dana = flow.sign_in("dwhitford")
    editor = start_a_timer(qtbot, dana, patient)
    qtbot.keyClicks(editor.notes, "Dana's words")
    session_id = editor.session.id or 0
    menu_action(dana, "actionSignOut").trigger()
    before = stored(services, session_id)

    mina = flow.sign_in("mokoye")
    theirs = mina.open_session(session_id)
    assert theirs is not None
    qtbot.addWidget(theirs)
    assert theirs.view_only and not theirs.add_site_button.isEnabled() and not theirs.sign_button.isEnabled()
    assert theirs.notes.isReadOnly() or not theirs.notes.isEnabled()
    assert theirs.try_to_close()
    theirs.close()
    assert stored(services, session_id) == before


def stored(services: Services, session_id: int) -> object:
    user, services.access.user = services.access.user, None
    try:
        return services.sessions.get(session_id)
    finally:
        services.access.user = user


def test_the_dock_stops_a_colleagues_timer_whose_draft_is_open_read_only(
    qtbot: QtBot,
    chart: Chart,  # noqa: F811
    flow: Flow,  # noqa: F811
) -> None:
    """Taking a colleague's needles out stays allowed: through the service, shown in the read-only editor."""
    services, _clock, patient, _path = chart
    dana = flow.sign_in("dwhitford")
    editor = start_a_timer(qtbot, dana, patient)
    session_id = editor.session.id or 0
    menu_action(dana, "actionSignOut").trigger()
    mina = flow.sign_in("mokoye")
    theirs = mina.open_session(session_id)
    assert theirs is not None and theirs.view_only
    qtbot.addWidget(theirs)
    assert len(mina.timers.timers) == 1
    mina.stop_timer(mina.timers.timers[0])
    stopped = stored(services, session_id)
    assert stopped.sites[0].timer_stopped is not None and stopped.sites[0].needles_out == 2  # type: ignore[attr-defined]
    assert theirs.rows[0].timer_stopped is not None and theirs.rows[0].out.value() == 2
    mina.timers.reload()
    assert mina.timers.timers == []


def test_a_colleagues_draft_left_open_is_not_reopened_for_the_next_person(
    qtbot: QtBot,
    chart: Chart,  # noqa: F811
    flow: Flow,  # noqa: F811
) -> None:
    services, _clock, patient, path = chart
    from needlelog.services.workspace import OpenDrafts

    dana = flow.sign_in("dwhitford")
    editor = start_a_timer(qtbot, dana, patient)
    drafts = OpenDrafts(path.parent / "open-drafts.json", services.location)
    drafts.opened(editor.session.id or 0)  # as a crash leaves it: still listed
    menu_action(dana, "actionSignOut").trigger()
    mina = flow.sign_in("mokoye")
    mina.open_editors.open_drafts = drafts
    assert mina.open_editors.reopen_drafts() == []
    assert drafts.ids() == [editor.session.id]  # still Dana's to reopen
