"""One needle box per session (issue 11, item 6): the lot is typed once and every new site takes it, with
its size from the clinic's inventory; a site may name another; a lot outside the inventory is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from needlelog.domain.errors import ValidationError
from needlelog.domain.lots import NeedleLot
from needlelog.domain.model import Clinician, Patient
from needlelog.services.store import Services
from needlelog.ui.session_editor import SessionEditor
from tests.ui.test_session_editor import chart, chart_site, main_window  # noqa: F401 (chart is a fixture)


@pytest.fixture
def stocked(chart: tuple[Services, Clinician, Patient, Path]) -> Iterator[tuple[Services, Clinician, Patient]]:  # noqa: F811
    services, clinician, patient, _path = chart
    services.registers.add_lot(NeedleLot("Seirin", "0.30 x 50 mm", "L2304-27", date(2030, 1, 31)))
    services.registers.add_lot(NeedleLot("Seirin", "0.25 x 30 mm", "L2401-02", date(2030, 6, 30)))
    yield services, clinician, patient


def type_lot(qtbot: QtBot, editor: SessionEditor, index: int, lot: str) -> None:
    field = editor.rows[index].lot
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, lot)
    qtbot.keyClick(field, Qt.Key.Key_Tab)  # leaving the field: the lot is the session's


def editor_for(qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient) -> SessionEditor:
    window = main_window(qtbot, services, clinician)
    window.show_patient(patient.id or 0)
    editor = window.new_session()
    assert editor is not None
    with qtbot.waitActive(editor.window()):  # the lot is the session's when the clinician leaves the field
        editor.window().activateWindow()
    return editor


def problems_of(editor: SessionEditor) -> list[str]:
    return [editor.problems.item(i).text() for i in range(editor.problems.count())]


def test_the_lot_is_typed_once_and_every_new_site_takes_it_with_its_size(
    qtbot: QtBot, stocked: tuple[Services, Clinician, Patient]
) -> None:
    services, clinician, patient = stocked
    editor = editor_for(qtbot, services, clinician, patient)
    chart_site(qtbot, editor, "Low", "L", 2, "W")
    type_lot(qtbot, editor, 0, "l2304-27")  # as typed, in lower case
    assert editor.rows[0].lot.text() == "L2304-27" and editor.rows[0].size.currentText() == "0.30 x 50 mm"
    chart_site(qtbot, editor, "Low", "R", 2, "W")
    assert (editor.rows[1].lot.text(), editor.rows[1].size.currentText()) == ("L2304-27", "0.30 x 50 mm")
    type_lot(qtbot, editor, 1, "L2401-02")  # this site from another box: it keeps its own
    assert editor.rows[1].size.currentText() == "0.25 x 30 mm"
    assert editor.rows[0].lot.text() == "L2304-27"
    chart_site(qtbot, editor, "Neck", "L", 1, "N")
    assert editor.rows[2].lot.text() == "L2401-02"  # the box last named
    assert not any("needle lot" in text for text in problems_of(editor))


def test_sites_tapped_before_the_lot_take_it_when_it_is_typed(
    qtbot: QtBot, stocked: tuple[Services, Clinician, Patient]
) -> None:
    services, clinician, patient = stocked
    editor = editor_for(qtbot, services, clinician, patient)
    for side in ("L", "R"):
        chart_site(qtbot, editor, "Low", side, 2, "W")
    type_lot(qtbot, editor, 1, "L2304-27")
    assert [row.lot.text() for row in editor.rows] == ["L2304-27", "L2304-27"]


def test_a_lot_outside_the_inventory_is_refused_naming_its_site(
    qtbot: QtBot, stocked: tuple[Services, Clinician, Patient]
) -> None:
    services, clinician, patient = stocked
    editor = editor_for(qtbot, services, clinician, patient)
    chart_site(qtbot, editor, "Low", "L", 2, "W")
    type_lot(qtbot, editor, 0, "X9999-01")
    error = editor.rows[0].error  # shown beside the site as it is typed
    qtbot.waitUntil(lambda: "X9999-01" in error.text())
    assert error.text().startswith("Site 1: needle lot X9999-01 is not in the clinic's needle-lot inventory")
    # The sign use case refuses it too, whatever a window shows.
    editor.save_now()
    draft = services.sessions.get(editor.session.id or 0)
    with pytest.raises(ValidationError) as refused:
        services.sessions.sign(draft, clinician.id or 0)
    assert "sites[0].needle_lot" in [problem.field for problem in refused.value.problems]
