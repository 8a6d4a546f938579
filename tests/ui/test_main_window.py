"""The main window driven as a person would: typing, clicking, scrolling, with the real services."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from needlelog.services.store import Services
from needlelog.ui.main_window import MainWindow
from needlelog.ui.models.paged import PAGE


def window(qtbot: QtBot, services: Services) -> MainWindow:
    main = MainWindow(services)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main


def test_typing_a_name_narrows_the_list_and_opens_the_chart(qtbot: QtBot, seeded_chart: Services) -> None:
    main = window(qtbot, seeded_chart)
    everyone = main.patients.rowCount()
    assert everyone == 60
    target = seeded_chart.patients.search("")[17]
    search = main.findChild(QLineEdit, "patientSearch")
    qtbot.keyClicks(search, target.family_name[:4])
    narrowed = main.patients.rowCount()
    assert 0 < narrowed < everyone
    assert all(
        main.patients.row_at(r).family_name.lower().startswith(target.family_name[:4].lower())
        or main.patients.row_at(r).given_name.lower().startswith(target.family_name[:4].lower())
        for r in range(narrowed)
    )
    search.clear()
    qtbot.keyClicks(search, target.chart_number)
    assert main.patients.rowCount() == 1
    # the first hit is opened once typing pauses: banner and history show that patient
    qtbot.waitUntil(lambda: main.current_patient is not None and main.current_patient.id == target.id, timeout=10000)
    assert main.current_patient is not None and main.current_patient.id == target.id
    assert main.banner.name.text() == f"{target.given_name} {target.family_name}"
    assert target.chart_number in main.banner.details.text()
    assert (
        main.history.rowCount() == seeded_chart.sessions.count_for_patient(target.id) or main.history.rowCount() == PAGE
    )


def test_clicking_a_patient_shows_their_history_newest_first(qtbot: QtBot, seeded_chart: Services) -> None:
    main = window(qtbot, seeded_chart)
    view = main.patient_view
    rect = view.visualRect(main.patients.index(3, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    chosen = main.patients.row_at(3)
    assert main.current_patient is not None and main.current_patient.id == chosen.id
    dates = [main.history.row_at(r).service_start for r in range(main.history.rowCount())]
    assert dates == sorted(dates, reverse=True)
    assert main.history_title.text() == f"Sessions ({seeded_chart.sessions.count_for_patient(chosen.id)})"


def test_a_long_history_loads_a_page_at_a_time(qtbot: QtBot, seeded_chart: Services) -> None:
    main = window(qtbot, seeded_chart)
    busiest = max(seeded_chart.patients.search(""), key=lambda p: seeded_chart.sessions.count_for_patient(p.id))
    total = seeded_chart.sessions.count_for_patient(busiest.id)
    assert total > PAGE, "the seeded clinic should have a patient with more than one page of visits"
    main.show_patient(busiest.id)
    assert main.history.rowCount() == PAGE
    main.history_view.scrollToBottom()
    qtbot.waitUntil(lambda: main.history.rowCount() > PAGE, timeout=10000)
    while main.history.canFetchMore(main.history.index(-1, -1)):
        main.history.fetchMore(main.history.index(-1, -1))
    assert main.history.rowCount() == total


def test_nothing_found_clears_the_chart(qtbot: QtBot, seeded_chart: Services) -> None:
    main = window(qtbot, seeded_chart)
    qtbot.keyClicks(main.search, "zzzz-no-such-patient")
    assert main.patients.rowCount() == 0
    assert main.current_patient is None
    assert main.banner.name.text() == "No patient selected"
    assert main.result_count.text() == "0 patients"


def test_ctrl_f_goes_to_the_search(qtbot: QtBot, seeded_chart: Services) -> None:
    main = window(qtbot, seeded_chart)
    with qtbot.waitActive(main):
        main.activateWindow()
    main.patient_view.setFocus()
    qtbot.waitUntil(main.patient_view.hasFocus, timeout=10000)
    qtbot.keyClick(main.patient_view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(main.search.hasFocus, timeout=10000)


def test_item_models_keep_qt_s_contract(qtbot: QtBot, qtmodeltester, seeded_chart: Services) -> None:  # type: ignore[no-untyped-def]
    main = window(qtbot, seeded_chart)
    qtmodeltester.check(main.patients)
    main.show_patient(seeded_chart.patients.search("")[0].id)
    qtmodeltester.check(main.history)


def test_every_interactive_widget_has_an_object_name_and_an_accessible_name(
    qtbot: QtBot, seeded_chart: Services
) -> None:
    main = window(qtbot, seeded_chart)
    interactive = [
        w
        for w in main.findChildren(QWidget)
        if isinstance(w, QLineEdit | QAbstractButton | QAbstractItemView) and w.isVisible()
    ]
    assert interactive
    for widget in interactive:
        if (
            isinstance(widget, QAbstractButton)
            and widget.parent() is not None
            and widget.objectName().startswith("qt_")
        ):
            continue  # Qt's own internals (the corner button of a table)
        assert widget.objectName(), widget
        assert widget.accessibleName(), widget.objectName()


def test_the_banner_reckons_age_and_consent_on_the_program_s_clock(qtbot: QtBot, seeded_chart: Services) -> None:
    from datetime import date

    from needlelog.domain.model import Consent
    from needlelog.domain.vocab import ConsentMethod
    from tests.conftest import FakeClock, make_patient

    clock = seeded_chart.clock
    assert isinstance(clock, FakeClock)
    born, consented = date(1984, 3, 20), date(2025, 3, 25)  # 41, consent good until 2026-03-25
    patient = seeded_chart.patients.create(
        make_patient("C-CLOCK", date_of_birth=born, consent=Consent(consented, ConsentMethod.WRITTEN, "Dana"))
    )
    main = window(qtbot, seeded_chart)
    main.show_patient(patient.id)
    assert main.banner.details.text().startswith("Age 41 ·")
    assert main.banner.consent.text().startswith("✔")
    clock.advance(days=30)  # the program's "today" moves; the wall clock does not
    main.show_patient(patient.id)
    assert main.banner.details.text().startswith("Age 42 ·")
    assert main.banner.consent.text().startswith("✖ No valid consent")
