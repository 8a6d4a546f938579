"""The window's side of backups (issue 12, items 1-3), with real widgets offscreen and real SQLite files.

Automatic backups after changes (once the chart has gone a minute without a save) and daily, failures
said in the status bar; the administrator's Restore dialog and the restore it starts; and the start-up
offer of the newest good backup when the chart is found damaged. Questions are answered by patching
their module functions; the program's clock is the tests' :class:`FakeClock`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QTableView
from pytestqt.qtbot import QtBot

from needlelog import app
from needlelog.domain.errors import StorageError
from needlelog.domain.model import Clinician, Patient
from needlelog.domain.vocab import Role
from needlelog.services import backups
from needlelog.services.store import Services, open_chart
from needlelog.ui.dialogs import restore_dialog
from needlelog.ui.dialogs.restore_dialog import RestoreDialog, when_in_words
from needlelog.ui.main_window import MainWindow
from needlelog.ui.window import damaged_chart
from needlelog.ui.window.backup_timer import (
    AT_LEAST_EVERY,
    IDLE_BEFORE_BACKUP,
    RETRY_AFTER,
    AutoBackup,
    failure_words,
)
from tests.conftest import NOW, TEST_HASHER, TEST_WRAPPING, FakeClock, make_patient
from tests.services.test_sessions import neck_site

PASSWORD = "needle-test-pass"


def chart_of(services: Services) -> Path:
    return Path(services.location)


def folder_of(services: Services) -> Path:
    return backups.backup_folder(chart_of(services))


def finished(qtbot: QtBot, auto: AutoBackup) -> None:
    """Wait for the copy under way (a thread) and its result, collected on the main thread."""
    qtbot.waitUntil(lambda: not auto.running, timeout=15_000)


def audit_actions(chart: Path) -> list[str]:
    with closing(sqlite3.connect(chart)) as conn:
        return [row[0] for row in conn.execute("SELECT action FROM audit_log ORDER BY id")]


def patient_charts(chart: Path) -> set[str]:
    with closing(sqlite3.connect(chart)) as conn:
        return {row[0] for row in conn.execute("SELECT chart_number FROM patient")}


@pytest.fixture
def window(qtbot: QtBot, services: Services) -> MainWindow:
    main = MainWindow(services)
    qtbot.addWidget(main)
    return main


# --- automatic backups --------------------------------------------------------------------------
def test_backs_up_after_a_quiet_minute_and_daily(qtbot: QtBot, window: MainWindow, services: Services) -> None:
    clock = services.clock
    assert isinstance(clock, FakeClock)
    auto = window.auto_backup
    assert not auto.poll.isActive(), "a window a test makes backs nothing up until the program starts it"
    auto.start()
    assert auto.poll.isActive()

    # The first look backs up (every start of the program is at least a daily copy).
    assert auto.check()
    finished(qtbot, auto)
    [first] = backups.list_backups(folder_of(services), chart_of(services))
    assert auto.label.text().startswith("Backed up at")
    assert auto.label.objectName() == "backupStatus"

    # A save, then typing goes on: no copy until the chart has had a minute without a save.
    services.patients.create(make_patient("C200"))
    assert not auto.check()
    clock.advance(seconds=30)
    assert not auto.check()
    services.patients.create(make_patient("C201"))  # still busy: the quiet minute starts again
    clock.advance(seconds=40)
    assert not auto.check()
    clock.advance(seconds=IDLE_BEFORE_BACKUP.total_seconds())
    assert auto.check()
    finished(qtbot, auto)
    # (the day's earlier copy is thinned away: 12 daily copies are the newest of each day)
    [newest] = backups.list_backups(folder_of(services), chart_of(services))
    assert newest.taken_at > first.taken_at and newest.check == "ok"
    assert {"C200", "C201"} <= patient_charts(newest.path)

    # The copy's own audit row is the only change since: looked at once a minute later, nothing copied
    # (the services leave backup rows out of "changed"), then nothing more to do.
    assert not auto.check()
    clock.advance(seconds=IDLE_BEFORE_BACKUP.total_seconds())
    assert auto.check()
    finished(qtbot, auto)
    assert "no change since the last copy" in auto.label.text()
    clock.advance(seconds=IDLE_BEFORE_BACKUP.total_seconds())
    assert not auto.check()
    assert backups.list_backups(folder_of(services), chart_of(services)) == [newest]

    # A day later the daily look comes round, even with nothing changed (and copies nothing new).
    clock.advance(seconds=AT_LEAST_EVERY.total_seconds())
    assert auto.check()
    finished(qtbot, auto)
    assert backups.list_backups(folder_of(services), chart_of(services)) == [newest]
    assert "backup" in audit_actions(chart_of(services))


def test_a_failed_backup_is_said_in_the_status_bar_and_tried_again_later(
    qtbot: QtBot, window: MainWindow, services: Services, tmp_path: Path
) -> None:
    clock = services.clock
    assert isinstance(clock, FakeClock)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder's parent should be")
    backups.choose_backup_folder(chart_of(services), blocker / "backups")
    auto = AutoBackup(services, window)  # reads the folder chosen on this PC
    auto.start()
    assert auto.check()
    finished(qtbot, auto)
    text = auto.label.text()
    assert text.startswith("Automatic backup failed:") and "next try at" in text
    assert "Traceback" not in text and "unexpected" not in text.lower()
    assert str(blocker) in text
    assert auto.label.styleSheet(), "a failure is shown in the error colour"

    # Not again at every poll: after a while.
    clock.advance(seconds=10)
    assert not auto.check()
    clock.advance(seconds=RETRY_AFTER.total_seconds())
    backups.choose_backup_folder(chart_of(services), None)  # IT fixed it: back to the default folder
    auto.folder = backups.backup_folder(chart_of(services))
    assert auto.check()
    finished(qtbot, auto)
    assert auto.label.text().startswith("Backed up at")
    assert auto.label.styleSheet() == ""


def test_closing_the_window_lets_a_running_copy_finish(qtbot: QtBot, window: MainWindow, services: Services) -> None:
    auto = window.auto_backup
    auto.start()
    assert auto.back_up("after changes")
    window.close()  # closed() stops the watch and waits for the copy
    assert not auto.running and not auto.poll.isActive()
    assert len(backups.list_backups(folder_of(services), chart_of(services))) == 1
    assert not list(folder_of(services).glob(".*partial"))


def test_what_was_charted_in_the_last_minute_is_copied_at_closing(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    clock = services.clock
    assert isinstance(clock, FakeClock)
    auto = window.auto_backup
    auto.start()
    assert auto.check()
    finished(qtbot, auto)
    clock.advance(hours=1)
    services.patients.create(make_patient("LAST-MINUTE"))
    assert not auto.check()  # not quiet for a minute yet
    window.close()
    [newest] = backups.list_backups(folder_of(services), chart_of(services))
    assert "LAST-MINUTE" in patient_charts(newest.path)
    assert not auto.running


def test_signing_out_copies_the_last_minute_without_making_the_next_person_wait(
    qtbot: QtBot, window: MainWindow, services: Services
) -> None:
    auto = window.auto_backup
    auto.start()
    assert auto.check()
    finished(qtbot, auto)
    services.clock.advance(hours=1)  # type: ignore[attr-defined]
    services.patients.create(make_patient("BEFORE-SIGN-OUT"))
    assert window.sign_out()
    job = auto.job
    assert job is not None, "the copy goes on in its thread while the sign-in window shows"
    assert job.done.wait(15)
    [newest] = backups.list_backups(folder_of(services), chart_of(services))
    assert "BEFORE-SIGN-OUT" in patient_charts(newest.path)


def test_a_window_that_was_never_started_copies_nothing_at_closing(window: MainWindow, services: Services) -> None:
    services.patients.create(make_patient("C300"))
    window.close()
    assert backups.list_backups(folder_of(services), chart_of(services)) == []


def test_failures_and_moments_in_words() -> None:
    assert "full" in failure_words(OSError(errno.ENOSPC, "No space left on device", "/backups/x"))
    assert failure_words(StorageError("The folder  X is full;\n free some space.")) == (
        "The folder X is full; free some space."
    )
    odd = failure_words(RuntimeError("boom"))
    assert odd.startswith("The backup could not be made") and "\n" not in odd
    now = datetime(2026, 3, 10, 12, 0).astimezone()  # noon on a Tuesday, on this PC's clock
    assert when_in_words(now - timedelta(hours=2), now).startswith("today at ")
    assert when_in_words(now - timedelta(days=1), now).startswith("yesterday (Monday) at ")
    assert when_in_words(now - timedelta(days=2), now).startswith("Sunday ")
    assert "2026" in when_in_words(now - timedelta(days=30), now)


# --- the Restore dialog -------------------------------------------------------------------------
@pytest.fixture
def clinic(seeded_chart: Services) -> Services:
    seeded_chart.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    seeded_chart.accounts.add_user(
        Clinician("Kiran Patel", "kpatel", "Manager", roles=frozenset({Role.MANAGER})), PASSWORD
    )
    return seeded_chart


@pytest.fixture
def two_backups(clinic: Services) -> Iterator[list[backups.BackupInfo]]:
    """A copy two days ago, a patient registered, a copy now (newest first)."""
    clock = clinic.clock
    assert isinstance(clock, FakeClock)
    chart = chart_of(clinic)
    clock.advance(days=-2)
    older = backups.take_backup(chart, clock=clock, reason="test")
    clock.advance(days=2)
    clinic.patients.create(make_patient("LATE-1"))
    newer = backups.take_backup(chart, clock=clock, reason="test")
    assert older is not None and newer is not None
    yield [newer, older]


def admin_window(qtbot: QtBot, services: Services) -> MainWindow:
    services.accounts.login("admin", PASSWORD)
    main = MainWindow(services)
    qtbot.addWidget(main)
    return main


def test_restore_is_in_the_admin_menu_for_the_administrator_only(qtbot: QtBot, clinic: Services) -> None:
    clinic.accounts.login("kpatel", PASSWORD)
    manager = MainWindow(clinic)
    qtbot.addWidget(manager)
    assert not manager.restore_action.isVisible()
    assert manager.restore_backup() is None
    clinic.accounts.sign_out()
    admin = admin_window(qtbot, clinic)
    assert admin.restore_action.isVisible() and admin.restore_action.objectName() == "actionRestore"


def test_the_dialog_lists_each_backup_and_restores_the_chosen_one(
    qtbot: QtBot, clinic: Services, two_backups: list[backups.BackupInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = chart_of(clinic)
    main = admin_window(qtbot, clinic)
    signed_out: list[bool] = []
    main.signed_out.connect(lambda: signed_out.append(True))
    dialog = main.restore_backup()
    assert isinstance(dialog, RestoreDialog)
    qtbot.waitExposed(dialog)
    table = dialog.findChild(QTableView, "backupTable")
    assert table is not None and table.model().rowCount() == 2  # listed at once, by their names
    qtbot.waitUntil(lambda: dialog.checked, timeout=15_000)  # each re-opened and checked in a thread
    cells = [[table.model().index(r, c).data() for c in range(4)] for r in range(2)]
    assert cells[0][3] == cells[1][3] == "Checks out"
    assert cells[1][2] == f"{two_backups[1].signed_notes:,}" and two_backups[1].signed_notes > 0
    assert cells[0][1].endswith(("KB", "MB"))
    assert "2 backups" in dialog.intro.text()

    asked: list[str] = []
    told: list[str] = []
    monkeypatch.setattr(restore_dialog, "ask_to_restore", lambda _parent, text: asked.append(text) or True)
    monkeypatch.setattr(restore_dialog, "tell", lambda _parent, text, problem=False: told.append(text))
    table.selectRow(1)  # the older copy, two days ago
    button = dialog.findChild(QPushButton, "restoreChosen")
    assert button is not None and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    when = when_in_words(two_backups[1].taken_at, clinic.clock())
    assert asked and f"You will go back to {when}" in asked[0]
    assert "before-restore" in asked[0] and str(chart.parent) in asked[0]
    assert told and f"The chart is back to {when}" in told[-1]
    assert signed_out == [True], "everyone signs in again: the accounts are the backup's"
    kept = next(chart.parent.glob(f"{chart.stem}.before-restore-*"))
    assert str(kept) in told[-1]
    assert "LATE-1" not in patient_charts(chart) and "LATE-1" in patient_charts(kept)
    assert "restore" in audit_actions(chart), "the restore is audited in the restored chart"
    assert app.chart_file(str(chart)) == chart


def test_saying_no_restores_nothing_and_a_damaged_copy_is_refused(
    qtbot: QtBot, clinic: Services, two_backups: list[backups.BackupInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = chart_of(clinic)
    damage(two_backups[1].path)
    main = admin_window(qtbot, clinic)
    dialog = main.restore_backup()
    assert isinstance(dialog, RestoreDialog)
    qtbot.waitUntil(lambda: dialog.checked, timeout=15_000)
    assert "1 of them checks out" in dialog.intro.text()
    monkeypatch.setattr(restore_dialog, "ask_to_restore", lambda _parent, _text: False)
    assert not dialog.restore_selected()  # the newest, selected at first: the person says no
    assert "LATE-1" in patient_charts(chart)
    assert dialog.model.index(1, 3).data() != "Checks out"
    dialog.table.selectRow(1)
    assert dialog.chosen() is not None and dialog.chosen().check != "ok"  # type: ignore[union-attr]
    assert not dialog.restore_selected()
    assert dialog.message.text().startswith("This backup does not check out")
    assert "LATE-1" in patient_charts(chart)


def test_no_restore_while_needles_are_in(
    qtbot: QtBot, services: Services, clinician: Clinician, patient: Patient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = services.clock
    assert isinstance(clock, FakeClock)
    assert backups.take_backup(chart_of(services), clock=clock, reason="test") is not None
    draft = services.sessions.new_draft(patient.id or 0, clinician.id or 0)
    services.sessions.save_draft(replace(draft, sites=(neck_site(timer_started=clock.now),)))
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    main = admin_window(qtbot, services)
    dialog = main.restore_backup()
    assert isinstance(dialog, RestoreDialog)
    qtbot.waitUntil(lambda: dialog.checked, timeout=15_000)
    monkeypatch.setattr(restore_dialog, "ask_to_restore", lambda _parent, _text: pytest.fail("not asked"))
    assert not dialog.restore_selected()
    assert dialog.message.text().startswith("1 dwell timer is running")
    assert len(services.sessions.running_timers()) == 1


def test_a_restore_that_fails_says_why_and_leaves_the_chart_and_the_person_signed_in(
    qtbot: QtBot, clinic: Services, two_backups: list[backups.BackupInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart = chart_of(clinic)
    main = admin_window(qtbot, clinic)
    signed_out: list[bool] = []
    main.signed_out.connect(lambda: signed_out.append(True))
    dialog = main.restore_backup()
    assert isinstance(dialog, RestoreDialog)
    qtbot.waitUntil(lambda: dialog.checked, timeout=15_000)
    told: list[tuple[str, bool]] = []
    monkeypatch.setattr(restore_dialog, "ask_to_restore", lambda _parent, _text: True)
    monkeypatch.setattr(restore_dialog, "tell", lambda _parent, text, problem=False: told.append((text, problem)))
    two_backups[1].path.unlink()  # gone between the list and the click (another PC's clean-up, a full disk)
    dialog.table.selectRow(1)
    assert dialog.restore_selected()
    [(words, problem)] = told
    assert problem and words.startswith("The backup was not restored:") and "The chart is as it was." in words
    assert "Traceback" not in words
    assert not signed_out and clinic.access.user is not None
    assert "LATE-1" in patient_charts(chart)
    assert not main.auto_backup.poll.isActive(), "a watch that was not running is not started by a failure"
    assert clinic.accounts.users(), "the chart opens again on the next use"


def test_the_administrator_chooses_where_this_pc_keeps_the_backups(
    qtbot: QtBot,
    clinic: Services,
    two_backups: list[backups.BackupInfo],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chart = chart_of(clinic)
    main = admin_window(qtbot, clinic)
    dialog = main.restore_backup()
    assert isinstance(dialog, RestoreDialog)
    assert "(the default, beside the chart)" in dialog.folder_label.text()
    assert not dialog.default_folder.isEnabled()
    elsewhere = tmp_path / "usb-drive" / "needlelog"
    monkeypatch.setattr(restore_dialog, "choose_folder", lambda _parent, _start: elsewhere)
    qtbot.mouseClick(dialog.change_folder, Qt.MouseButton.LeftButton)
    assert str(elsewhere) in dialog.folder_label.text() and "(chosen here)" in dialog.folder_label.text()
    assert dialog.model.rowCount() == 0 and "There is no backup" in dialog.intro.text()
    assert "stay there" in dialog.message.text()
    assert backups.backup_folder(chart) == elsewhere

    # The window's watch takes the next copy there.
    main.auto_backup.start()
    assert main.auto_backup.back_up("after changes")
    finished(qtbot, main.auto_backup)
    assert [info.path.parent for info in backups.list_backups(elsewhere, chart)] == [elsewhere]

    # A file is no folder: said beside the list, nothing changed.
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    assert not dialog.set_backup_folder(a_file)
    assert "is a file" in dialog.message.text() and backups.backup_folder(chart) == elsewhere

    qtbot.mouseClick(dialog.default_folder, Qt.MouseButton.LeftButton)
    assert backups.backup_folder(chart) == backups.default_backup_folder(chart)
    assert dialog.model.rowCount() == 2


# --- a damaged chart at start-up ----------------------------------------------------------------
def damage(path: Path) -> None:
    """Overwrite pages in the middle of the file with garbage, as a failing disk would."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(max(4096, (size // 2) // 4096 * 4096))
        handle.write(os.urandom(3 * 4096))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def backed_up_then_damaged(db_path: Path) -> Iterator[tuple[Path, backups.BackupInfo]]:
    """A chart with a patient, backed up on Sunday, another patient charted since, then damaged."""
    clock = FakeClock(NOW - timedelta(days=2))
    chart = open_chart(db_path, clock=clock, hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    for n in range(40):
        chart.patients.create(make_patient(f"B{n:03}", family_name=f"Family {n} " + "x" * 150))
    good = backups.take_backup(db_path, clock=clock, reason="test")
    clock.advance(days=2)
    chart.patients.create(make_patient("SINCE"))
    chart.close()  # the last connection checkpoints the write-ahead log into the file
    damage(db_path)
    assert good is not None
    yield db_path, good


def test_a_damaged_chart_is_set_aside_and_the_newest_good_backup_offered(
    backed_up_then_damaged: tuple[Path, backups.BackupInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart, good = backed_up_then_damaged
    before = digest(chart)
    offers: list[str] = []
    monkeypatch.setattr(damaged_chart, "offer_backup", lambda text: offers.append(text) or True)
    monkeypatch.setattr(damaged_chart, "tell_closing", lambda text: pytest.fail(f"closed: {text}"))

    assert app.recover_damaged_chart(str(chart), FakeClock()) is None  # the program goes on

    aside = next(chart.parent.glob(f"{chart.name}.*.damaged"))
    assert digest(aside) == before, "the damaged file is kept as it was, never opened for writing"
    [offer] = offers
    assert str(aside) in offer and "is damaged" in offer
    when = when_in_words(good.taken_at, NOW)
    assert when.startswith(good.taken_at.astimezone().strftime("%A"))  # two days back: its weekday
    assert f"You will go back to {when}" in offer
    assert "what was charted since is in the damaged file" in offer
    assert "B000" in patient_charts(chart) and "SINCE" not in patient_charts(chart)
    assert "restore" in audit_actions(chart)
    assert app.recover_damaged_chart(str(chart), FakeClock()) is None  # sound now: nothing asked
    assert len(offers) == 1


def test_declining_the_offer_leaves_the_program_closed_saying_where_the_file_is(
    backed_up_then_damaged: tuple[Path, backups.BackupInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart, _good = backed_up_then_damaged
    before = digest(chart)
    closing_words: list[str] = []
    monkeypatch.setattr(damaged_chart, "offer_backup", lambda _text: False)
    monkeypatch.setattr(damaged_chart, "tell_closing", closing_words.append)

    # Through the composition root itself: it ends before any chart is opened or sign-in shown.
    assert app.run(str(chart)) == app.EXIT_DAMAGED

    aside = next(chart.parent.glob(f"{chart.name}.*.damaged"))
    assert not chart.exists(), "nothing was opened or created in the damaged chart's place"
    assert digest(aside) == before
    [words] = closing_words
    assert str(aside) in words and "will close" in words


def test_with_no_good_backup_the_program_says_so_and_closes(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chart = open_chart(db_path, clock=FakeClock(), hasher=TEST_HASHER, wrapping=TEST_WRAPPING)
    for n in range(40):
        chart.patients.create(make_patient(f"N{n:03}", family_name="y" * 150))
    chart.close()
    damage(db_path)
    closing_words: list[str] = []
    monkeypatch.setattr(damaged_chart, "offer_backup", lambda _text: pytest.fail("nothing to offer"))
    monkeypatch.setattr(damaged_chart, "tell_closing", closing_words.append)
    assert app.recover_damaged_chart(str(db_path), FakeClock()) == app.EXIT_DAMAGED
    [words] = closing_words
    assert "no backup that checks out" in words and ".damaged" in words


def test_after_declining_the_next_start_offers_the_backup_again_not_an_empty_chart(
    backed_up_then_damaged: tuple[Path, backups.BackupInfo], monkeypatch: pytest.MonkeyPatch
) -> None:
    chart, good = backed_up_then_damaged
    monkeypatch.setattr(damaged_chart, "offer_backup", lambda _text: False)
    monkeypatch.setattr(damaged_chart, "tell_closing", lambda _text: None)
    assert app.recover_damaged_chart(str(chart), FakeClock()) == app.EXIT_DAMAGED
    aside = next(chart.parent.glob(f"{chart.name}.*.damaged"))

    # The next start: no chart where its backups are. Declined again, no empty chart is made in its place.
    closing_words: list[str] = []
    monkeypatch.setattr(damaged_chart, "tell_closing", closing_words.append)
    assert app.recover_damaged_chart(str(chart), FakeClock()) == app.EXIT_DAMAGED
    assert not chart.exists() and "without making a new, empty chart" in closing_words[0]

    offers: list[str] = []
    monkeypatch.setattr(damaged_chart, "offer_backup", lambda text: offers.append(text) or True)
    assert app.recover_damaged_chart(str(chart), FakeClock()) is None
    [offer] = offers
    assert f"There is no chart at {chart}" in offer and str(aside) in offer
    assert f"You will go back to {when_in_words(good.taken_at, NOW)}" in offer
    assert "B000" in patient_charts(chart) and aside.exists()


def test_a_new_chart_with_no_backups_is_asked_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(damaged_chart, "offer_backup", lambda _text: pytest.fail("nothing to offer"))
    monkeypatch.setattr(damaged_chart, "tell_closing", pytest.fail)
    assert app.recover_damaged_chart(str(tmp_path / "new.sqlite"), FakeClock()) is None
    assert not (tmp_path / "new.sqlite").exists()
