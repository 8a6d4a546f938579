"""The lung-field caution follows the muscle as well as the place (issue 11, item 4), on the real editor:
a scalene picked from the lists and a supraspinatus charted on the back figure show the caution and tick the
breathing aftercare; their signed note prints the caution; a calf muscle gets none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.figure import lung_field_site
from needlelog.domain.model import Clinician, Patient, TriggerPoint
from needlelog.domain.vocab import MUSCLES, Aftercare, BodyRegion, FigureView, Side
from needlelog.services.store import Services
from needlelog.ui.session_editor import SessionEditor
from tests.conftest import FakeClock
from tests.services.test_sessions import charted, neck_site
from tests.ui.test_body_chart import open_editor, tap
from tests.ui.test_session_editor import chart, main_window, pick

__all__ = ["chart"]

Chart = tuple[Services, Clinician, Patient, Path]
RIGHT_SHOULDER_FROM_BEHIND = TriggerPoint(FigureView.BACK, 0.8, 0.21)
RIGHT_CALF = TriggerPoint(FigureView.BACK, 0.58, 0.85)


def editor_for(qtbot: QtBot, chart: Chart) -> SessionEditor:
    services, clinician, patient, _path = chart
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id)
    return open_editor(qtbot, window)


def quick_pick(qtbot: QtBot, editor: SessionEditor, region: BodyRegion, muscle: str) -> None:
    n = MUSCLES[region].index(muscle) + 1
    qtbot.keyClick(editor, getattr(Qt.Key, f"Key_{n}"), Qt.KeyboardModifier.ControlModifier)


def test_scalenes_picked_from_the_lists_show_the_caution_tick_the_aftercare_and_print_on_the_signed_note(
    qtbot: QtBot, chart: Chart, tmp_path: Path
) -> None:
    services, clinician, _patient, _path = chart
    editor = editor_for(qtbot, chart)
    pick(qtbot, editor.place_region, "Neck")
    pick(qtbot, editor.place_side, "R")
    qtbot.keyClick(editor, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    row = editor.rows[0]
    breathing = editor.aftercare_checks[Aftercare.SEEK_CARE_BREATHING]
    # placed from the lists, the marker sits mid-neck, away from the lung: no caution yet
    assert not editor.lung_caution.isVisible() and not breathing.isChecked()
    quick_pick(qtbot, editor, BodyRegion.NECK, "scalenes")
    assert row.muscle.currentText() == "scalenes"
    assert editor.lung_caution.isVisible() and "site 1" in editor.lung_caution.text()
    assert breathing.isChecked()
    assert editor.save_now()
    stored = services.sessions.get(editor.session.id or 0)
    assert stored.lung_field_caution
    (site,) = stored.sites
    assert not lung_field_site(neck_site(muscle="levator scapulae", trigger_points=site.trigger_points))
    editor.window().close()

    # signed with the site as charted, the note prints the lung-field line (read back with pypdf)
    now = datetime.now(UTC)
    signed = services.sessions.sign(
        charted(
            stored,
            FakeClock(now),
            service_end=now + timedelta(minutes=1),
            sites=(
                neck_site(muscle="scalenes", trigger_points=site.trigger_points),
                neck_site(side=Side.LEFT, needles=3, muscle="levator scapulae"),
                neck_site(region=BodyRegion.SHOULDER, muscle="teres minor"),
            ),
            aftercare=frozenset({Aftercare.HYDRATE, Aftercare.SEEK_CARE_BREATHING}),
        ),
        clinician.id or 0,
    )
    assert signed.is_signed and signed.lung_field_caution
    pdf = services.exports.export_note(signed.id or 0, tmp_path / "note.pdf")
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages)
    assert "Lung-field caution: site 1 over the lung field (pneumothorax risk)" in text
    assert "shortness of breath or chest pain: given." in text


def test_supraspinatus_on_the_back_figure_shows_the_caution_and_gastrocnemius_none(qtbot: QtBot, chart: Chart) -> None:
    editor = editor_for(qtbot, chart)
    breathing = editor.aftercare_checks[Aftercare.SEEK_CARE_BREATHING]
    tap(qtbot, editor, RIGHT_CALF)
    quick_pick(qtbot, editor, BodyRegion.CALF, "gastrocnemius")
    assert editor.rows[0].muscle.currentText() == "gastrocnemius"
    assert not editor.lung_caution.isVisible() and not breathing.isChecked()

    tap(qtbot, editor, RIGHT_SHOULDER_FROM_BEHIND)
    assert (editor.rows[1].region.code(), editor.rows[1].side.code()) == (BodyRegion.SHOULDER, Side.RIGHT)
    assert not editor.lung_caution.isVisible()
    quick_pick(qtbot, editor, BodyRegion.SHOULDER, "supraspinatus")
    assert editor.lung_caution.isVisible() and "site 2" in editor.lung_caution.text()
    assert "site 1" not in editor.lung_caution.text()
    assert breathing.isChecked()

    # a muscle typed in the clinician's own words counts the same
    tap(qtbot, editor, TriggerPoint(FigureView.BACK, 0.42, 0.85))  # left calf
    row = editor.rows[2]
    row.muscle.setFocus()
    qtbot.keyClicks(row.muscle.lineEdit(), "Scalene ant.")  # accents are the matcher's unit tests
    assert "sites 2, 3" in editor.lung_caution.text()
    editor.window().close()
