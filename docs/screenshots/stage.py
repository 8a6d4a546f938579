"""Stage the windows the user guide shows, for a screenshot under Xvfb.

    needlelog demo --db /tmp/demo.sqlite --no-window
    Xvfb :99 -screen 0 1366x768x24 &
    DISPLAY=:99 python docs/screenshots/stage.py /tmp/demo.sqlite editor &
    sleep 5; DISPLAY=:99 import -window root docs/screenshots/editor-1366x768.png

``main`` shows the main window on the first patient; ``editor`` a draft with ten needling sites
tapped on the body chart; ``timers`` the dock with three dwell timers (running, at the planned
dwell, at the 15-minute alarm); ``locked`` the idle lock's screen; ``export`` the manager's export dialog.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from PySide6.QtWidgets import QApplication

from needlelog.domain.figure import anchor_points
from needlelog.domain.vocab import BodyRegion, Condition, Side, TwitchResponse
from needlelog.services.store import open_chart
from needlelog.ui.main_window import MainWindow

SITES = [
    (BodyRegion.NECK, Side.RIGHT, "upper trapezius", 2, TwitchResponse.STRONG),
    (BodyRegion.NECK, Side.LEFT, "upper trapezius", 2, TwitchResponse.WEAK),
    (BodyRegion.CHEST, Side.LEFT, "pectoralis major", 1, TwitchResponse.WEAK),
    (BodyRegion.SHOULDER, Side.RIGHT, "infraspinatus", 2, TwitchResponse.STRONG),
    (BodyRegion.FOREARM_HAND, Side.RIGHT, "wrist extensors", 1, TwitchResponse.NONE),
    (BodyRegion.UPPER_BACK, Side.RIGHT, "rhomboids", 3, TwitchResponse.WEAK),
    (BodyRegion.THIGH, Side.LEFT, "vastus lateralis", 2, TwitchResponse.NONE),
    (BodyRegion.LOWER_BACK, Side.MIDLINE, "lumbar multifidus", 6, TwitchResponse.STRONG),
    (BodyRegion.HIP_GLUTEAL, Side.RIGHT, "gluteus medius", 3, TwitchResponse.WEAK),
    (BodyRegion.HEAD_JAW, Side.RIGHT, "masseter", 1, TwitchResponse.NONE),
]


def main() -> None:
    app = QApplication(sys.argv[:1])
    services = open_chart(sys.argv[1])
    clinician = services.clinic.clinicians()[0]
    window = MainWindow(services, clinician)
    screen = app.primaryScreen().availableGeometry()
    window.setGeometry(screen)
    window.show()
    chosen = services.patients.search("")[2]
    window.search.setText(chosen.chart_number)
    window.show_patient(chosen.id)  # at once, not after the search's typing pause
    if sys.argv[2:] == ["editor"]:
        editor = window.new_session()
        assert editor is not None
        editor.setGeometry(screen)
        editor.condition.set_code(Condition.NECK_HEADACHE)
        for i, (region, side, muscle, needles, twitch) in enumerate(SITES):
            point = anchor_points(region, side)[0]
            row = editor.place_marker(point.view, point.x + 0.01 * (i % 3), point.y + 0.01 * (i % 2))
            assert row is not None, (region, side)
            row.muscle.setCurrentText(muscle)
            row.needles.set_number(needles)
            row.twitch.set_code(twitch)
            row.size.setCurrentText("0.25 x 30 mm")
            row.lot.setText("L2304-27")
        editor.rows[4].dwell.set_number(16)
        editor.rows[0].timer_started = datetime.now(UTC) - timedelta(minutes=6)
        editor.rows[1].timer_started = datetime.now(UTC) - timedelta(minutes=11)
        # a timer that ran past 15 minutes (its reason asked for below the table); the rest counted out, but one
        # needle of the lower back
        editor.rows[2].timer_started = datetime.now(UTC) - timedelta(minutes=19)
        editor.rows[2].timer_stopped = datetime.now(UTC) - timedelta(minutes=2)
        editor.rows[2].dwell.set_number(None)
        for row in editor.rows[2:]:
            row.out.setValue(row.needles.number() or 0)
        editor.rows[7].out.setValue(5)
        editor.tick_timers()
        editor.pain_before.set_number(7)
        editor.notes.setPlainText("Dense taut bands R upper trapezius and infraspinatus; good local twitch responses.")
        editor.sign()
    if sys.argv[2:] in (["timers"], ["locked"]):
        now = datetime.now(UTC)
        timers = [
            (3.3, BodyRegion.NECK, Side.RIGHT),
            (10.6, BodyRegion.LOWER_BACK, Side.LEFT),
            (15.2, BodyRegion.SHOULDER, Side.RIGHT),
        ]
        for patient in services.patients.search("")[3:]:
            if not timers:
                break
            minutes_in, region, side = timers[0]
            window.show_patient(patient.id)
            editor = window.new_session()
            assert editor is not None
            point = anchor_points(region, side)[0]
            row = editor.place_marker(point.view, point.x, point.y)
            if row is None:  # no valid consent on file: no needle for this patient (the editor says why)
                editor.close()
                continue
            timers.pop(0)
            row.needles.set_number(2)
            row.timer_started = now - timedelta(minutes=minutes_in)
            editor.save_now()
            editor.close()
        window.show_patient(chosen.id)
    if sys.argv[2:] == ["locked"]:
        from needlelog.services.demo import DEMO_PASSWORD

        services.accounts.login("dwhitford", DEMO_PASSWORD)
        window.lock()
    if sys.argv[2:] == ["export"]:
        window.export_notes()
    app.exec()


if __name__ == "__main__":
    main()
