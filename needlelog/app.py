"""Composition root: settings -> engine -> services -> MainWindow. The only place things are wired."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QWidget

    from needlelog.db.argon2_memory import WorkingMemory
    from needlelog.db.page_check import EarlyPageCheck, PageCheck
    from needlelog.services.base import Clock
    from needlelog.services.encryption import Unlocked
    from needlelog.services.store import Services
    from needlelog.services.workspace import OpenDrafts
    from needlelog.ui.main_window import MainWindow
    from needlelog.ui.window.sign_in_flow import SignInFlow

# The program ended at start-up without opening a damaged chart (the person said no, or nothing to restore).
EXIT_DAMAGED = 1


def run(
    target: str | Callable[[], str],
    *,
    exit_after: float | None = None,
    hint: str = "",
    check: Callable[[str], None] | None = None,
) -> int:
    """Open the program on the chart at ``target`` (or the one it names when called): sign in (the first start
    creates the administrator), then the main window; returns the exit code. ``hint`` is shown under the
    sign-in (the demo's accounts). ``check`` refuses a target before it is opened (the command line's: a
    read-only chart). A chart that cannot be opened is said in a box, then raised.

    The sign-in window comes first (issue 14): the damaged-chart check, the storage library and the chart
    are loaded behind it, while the person types, and a sign-in pressed sooner waits for them. That check reads
    the header, the schema and the audit trail; the whole file's page check and the automatic backups start
    once the main window is painted (:meth:`ChartOpening.window_up`)."""
    from needlelog.ui.widgets.import_hook import read_no_sources

    read_no_sources()  # before Qt's modules and ours: PySide6's import hook would read every module's source
    from PySide6.QtWidgets import QApplication

    from needlelog import paths
    from needlelog.domain.errors import NeedlelogError
    from needlelog.ui.widgets.first_paint import after_first_paint
    from needlelog.ui.widgets.main_thread_gc import collect_garbage_on_the_gui_thread
    from needlelog.ui.window.sign_in_flow import SignInFlow

    if QApplication.instance() is None:  # Qt aborts the process when its X11 plugin cannot load: said first
        from PySide6.QtCore import QLibraryInfo

        from needlelog.ui.platform_check import refuse_missing_x11_libraries

        refuse_missing_x11_libraries([Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))])
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("needlelog")
    app.setDesktopFileName("needlelog")  # Wayland desktops match the window to needlelog.desktop and its icon
    # Signing out closes the main window before the sign-in shows: the flow says when the program ends.
    app.setQuitOnLastWindowClosed(False)  # type: ignore[attr-defined]
    collect_garbage_on_the_gui_thread(app)  # a collection in an export's or a backup's thread could crash Qt
    try:
        target = target() if callable(target) else target  # the default chart's folder may be unusable
        paths.data_dir()  # the open drafts are kept there: a folder that cannot be used is said now
    except NeedlelogError as exc:  # said in the window too; the command line prints it and exits 2
        from needlelog.ui.window import cannot_open  # its message box loads only when it is needed

        cannot_open.tell(str(exc))
        raise
    marks = StartupMarks.from_environment()
    flow = SignInFlow(
        None,
        open_drafts=lambda: _open_drafts(opening),
        hint=hint,
        show=_show_window,
    )
    opening = ChartOpening(target, flow, exit_after, check)
    flow.quit_requested.connect(app.quit)
    flow.window_opened.connect(
        lambda window: after_first_paint(window, lambda: (marks.mark("main window"), opening.window_up(window)))
    )
    flow.start()
    assert flow.dialog is not None
    after_first_paint(
        flow.dialog,
        lambda: (
            marks.mark("sign-in window"),
            _guard_wheels(),
            _preload_then(app, target, lambda: (opening.open(), marks.mark("chart open"))),
        ),
    )
    try:
        code = app.exec()
    finally:
        opening.close()
        if opening.services is None and flow.dialog is not None:
            _retire_sign_in_window(flow.dialog)
    if opening.failure is not None:
        raise opening.failure
    if opening.damage_found is not None:  # by the page check once the window was up; the chart is closed now
        return _after_late_damage(opening.target, opening.damage_found, opening.damage_key)
    return opening.exit_code if opening.exit_code is not None else code


def _guard_wheels() -> None:
    """A mouse wheel never changes a value the person did not click into: the application's wheel guard,
    installed once the sign-in window is painted. That window has no field a wheel could change, and the
    guard, an event filter in Python, sees every event of the application: installed before it, it ran for
    each of the sign-in window's thousand events of construction and first paint (issue 14: about 20 ms of the
    window's 0.17 s of CPU). Every window and coded field with such a field installs it too, in its
    constructor (``guard_wheels`` is idempotent)."""
    from needlelog.ui.widgets.wheel_guard import guard_wheels

    guard_wheels()


def _retire_sign_in_window(dialog: QWidget) -> None:
    """The chart did not open (damaged and not restored, or refused): the sign-in window shown before it goes
    too, now, rather than staying on screen behind the program's last word (and, where the program runs again
    in one process, as its tests do, under the next one's sign-in window)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    dialog.hide()  # hidden, not closed: closing is the person's Cancel, which asks about timers
    dialog.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


class StartupMarks:
    """When each window was first painted, for bench/bench_startup.py: with ``NEEDLELOG_STARTUP_MARKS``
    naming a file, a line ``<what> <time.monotonic()>`` is appended to it; unset (always, in use), nothing."""

    def __init__(self, file: str | None) -> None:
        self.file = file

    @classmethod
    def from_environment(cls) -> StartupMarks:
        import os

        return cls(os.environ.get("NEEDLELOG_STARTUP_MARKS") or None)

    def mark(self, what: str) -> None:
        if self.file is None:
            return
        import time

        with open(self.file, "a", encoding="utf-8") as marks:
            marks.write(f"{what} {time.monotonic():.6f}\n")


class ChartOpening:
    """The chart opened behind the sign-in window: the damaged-chart check (and what it offers), the chart
    itself, then the sign-in window given it. A chart that cannot be opened is said in a box and ends the
    program; ``failure`` is then raised by :func:`run`, as before the window existed."""

    def __init__(
        self,
        target: str,
        flow: SignInFlow,
        exit_after: float | None,
        check: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target
        self.check = check
        self.flow = flow
        self.exit_after = exit_after
        self.services: Services | None = None
        self.failure: BaseException | None = None
        self.exit_code: int | None = None
        self.page_check: PageCheck | None = None
        self.damage_found: list[str] | None = None  # by the page check, once the window was up
        self.damage_key: bytes | None = None  # the damaged chart's file key, when it is encrypted
        self.memory: WorkingMemory | None = None  # the encrypted chart's sign-in's Argon2id memory, until it is done

    def open(self) -> None:
        from PySide6.QtWidgets import QApplication

        from needlelog.domain.errors import NeedlelogError
        from needlelog.services.store import open_chart
        from needlelog.ui.window import cannot_open

        _give_back_large_blocks()  # before the password checks: see there
        ended: int | None = None
        try:
            if self.check is not None:
                self.check(self.target)
            if self._encrypted():
                return  # opened with the password typed (sign-in), once the key it unwraps can read it
            # The header, schema and audit trail: the whole file's pages are read once the window is up.
            ended = recover_damaged_chart(self.target, pages=False)
            if ended is None:
                self.services = open_chart(self.target)
        except NeedlelogError as exc:
            cannot_open.tell(str(exc))
            self.failure = exc
        except BaseException as exc:  # raised by run() after the event loop, as it was before the window
            self.failure = exc
        if self.services is None:
            self.exit_code = ended if self.failure is None else None
            QApplication.exit(0)  # at once: nothing was opened that a window would have to close first
            return
        self.flow.attach(self.services)
        self._while_the_person_types()

    def _while_the_person_types(self) -> None:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication

        # While the person types: the main window's code, so that Enter has only the window to build.
        QTimer.singleShot(0, _load_the_main_window)
        if self.exit_after is not None:
            # For smoke tests of an installed or packaged program: show the window, then leave.
            QTimer.singleShot(int(self.exit_after * 1000), QApplication.quit)

    def _encrypted(self) -> bool:
        """An encrypted chart (issue 13): nothing of it can be read before the password, so the sign-in window
        opens it at Enter (:meth:`open_with_password`); its storage library loads meanwhile."""
        from needlelog.services.store import encrypted_chart

        self.flow.encrypt = self.encrypt
        self.flow.not_encrypted = _not_encrypted_words
        if encrypted_chart(self.target) is None:
            return False
        self.flow.open_with_password(self.open_with_password)
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, _load_the_cipher)
        QTimer.singleShot(0, self._make_working_memory)
        self._while_the_person_types()
        return True

    def _make_working_memory(self) -> None:
        """The 19 MiB the sign-in's two Argon2id derivations work in, mapped now rather than at Enter
        (``needlelog/db/argon2_memory.py``); given back once the main window is up."""
        from needlelog.db.argon2_memory import WorkingMemory

        if self.memory is None and self.services is None:
            self.memory = WorkingMemory.make()

    def open_with_password(self, username: str, password: str) -> Unlocked:
        """The encrypted chart opened with the key ``username``'s password unwraps (a wrong one is counted, and
        audited once the chart opens), then given to the sign-in window; returns that chart key, and the password
        hash checked meanwhile."""
        from PySide6.QtWidgets import QApplication

        from needlelog.domain.errors import StorageError
        from needlelog.services import encryption

        unlocked = encryption.unlock_for_sign_in(self.target, username, password, memory=self.memory)
        chart_key = unlocked.chart_key
        # The damaged-chart check, with the key: header, schema and audit trail; the pages once the window is up.
        ended = recover_damaged_chart(self.target, pages=False, key=encryption.file_key_of(chart_key))
        if ended is not None:
            self.exit_code = ended
            QApplication.exit(0)
            raise StorageError("The chart's file was found damaged: the program ends.")
        services = encryption.open_unlocked(self.target, chart_key)
        self.services = services
        self.flow.attach(services)
        return unlocked

    def encrypt(self, services: Services) -> Services:
        """The plain chart's file encrypted when its key holder is signed in (or the first administrator was just
        made) and every active account holds a copy of the key; a failure leaves it plain, said at sign-in."""
        from PySide6.QtWidgets import QApplication

        from needlelog.services import encryption

        if encryption.waiting_for(services) != []:
            return services
        busy = _say_while_encrypting()
        try:
            self.services, self.flow.encryption_problem = encryption.encrypt_when_ready(services)
        finally:
            QApplication.restoreOverrideCursor()
            busy.close()
            busy.deleteLater()
        return self.services

    def window_up(self, window: MainWindow) -> None:
        """The main window is painted (issue 14: nothing it does not need comes before that): its automatic
        backups start, and, after the program's first sign-in, the whole file's page check, in its thread."""
        window.auto_backup.start()  # after changes, once quiet, and daily (ui/window/backup_timer.py)
        self._give_back_working_memory()  # the sign-in is done: its password check has answered
        chart = chart_file(self.target)
        if self.page_check is not None or self.services is None or chart is None or not chart.is_file():
            return
        from needlelog.db.page_check import PageCheck, deferred
        from needlelog.ui.window.late_damage import LateDamage

        if not deferred(chart.stat().st_size):
            return  # checked whole before the sign-in
        relay = LateDamage(self.flow, self._damage_found)
        # said on this thread, in the event loop's turn; an encrypted chart's pages read with its key
        self.page_check = PageCheck(chart, relay.found.emit, self.services.file_key)

    def _damage_found(self, problems: list[str]) -> None:
        """The page check found the open chart damaged: nothing more is written to it (a draft's save is
        kept on this PC instead), the window closes, and :func:`run` offers the newest good backup."""
        from needlelog.ui.window.late_damage import close_on_damage

        if self.services is None or self.damage_found is not None:
            return
        self.damage_found = problems
        self.damage_key = self.services.file_key
        self.services.refuse_writes(
            "The chart's file was found damaged, so nothing more is saved to it; this draft is kept on this PC."
        )
        close_on_damage(self.flow.window)

    def _give_back_working_memory(self) -> None:
        memory, self.memory = self.memory, None
        if memory is not None:
            memory.close()

    def close(self) -> None:
        self._give_back_working_memory()
        if self.services is not None:
            self.services.close()


def _after_late_damage(target: str, found: list[str], key: bytes | None = None) -> int:
    """The damaged-chart offer for damage found once the window was up (the chart is closed now); a backup
    put back in place is said, and the program still ends: the next start signs in to it."""
    ended = recover_damaged_chart(target, found=found, key=key)
    if ended is None:
        from needlelog.ui.window import damaged_chart

        damaged_chart.tell_closing(damaged_chart.restored_late_text(target))
    return EXIT_DAMAGED


def _give_back_large_blocks() -> None:
    """Every block of 128 KiB or more is mapped on its own and returned to the system when freed (glibc).

    glibc raises its threshold for that after such a block is freed: the sign-in's first Argon2id pass (19 MiB,
    mapped) is freed, so the second (the chart key's, issue 13) came from the heap and stayed in the process's
    memory for as long as it ran, 19 MiB of the 150 MB budget (issue 14). Fixing the threshold at glibc's own
    default turns that adjustment off. Elsewhere (another C library, another system) nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):
        return
    m_mmap_threshold = -3  # malloc.h
    mallopt(m_mmap_threshold, 128 * 1024)


def _say_while_encrypting() -> QWidget:
    """A window said while the chart's file is encrypted (once; about a minute and a half for 500,000 visits:
    a backup, the encrypted copy and their checks), with the busy cursor; the caller closes it."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QProgressDialog

    busy = QProgressDialog(
        "Encrypting the chart's file, once, after a backup: on a large chart this takes a minute or two.", "", 0, 0
    )
    busy.setObjectName("encryptingChart")
    busy.setWindowTitle("needlelog — encrypting the chart")
    busy.setCancelButton(None)  # type: ignore[arg-type]  # half an encryption is never left: nothing to cancel
    busy.setMinimumDuration(0)
    busy.setMinimumWidth(460)
    busy.show()
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    for _ in range(3):  # painted before the work holds the window's thread
        QApplication.processEvents()
    return busy


def _not_encrypted_words(services: Services) -> str:
    """Said once at an administrator's sign-in while the chart's file stays plain because of keyless accounts."""
    from needlelog.domain.vocab import Role
    from needlelog.services import encryption

    user = services.access.user
    if user is None or Role.ADMIN not in user.roles:
        return ""
    return encryption.waiting_words(encryption.waiting_for(services))


def _load_the_cipher() -> None:
    import sqlcipher3  # type: ignore[import-untyped]  # noqa: F401 - imported for Enter, not used here


def _preload_then(app: QObject, target: str, then: Callable[[], None]) -> None:
    """The storage library and the services loaded in a thread while the person types (``needlelog/preload.py``
    says why a thread), then ``then`` on this thread: the chart's opening, which imports them itself at once
    when the thread could not start."""
    from needlelog.preload import Preload, modules_for, warm_for
    from needlelog.ui.widgets.thread_relay import ThreadRelay

    relay = ThreadRelay(then, app)  # lives as long as the program, like the application it belongs to
    try:
        Preload(relay.call, modules_for(target), warm_for(target))
    except RuntimeError:  # no thread to be had: open now, loading on this thread
        then()


# The main window's own modules, loaded on the window's thread (they define Qt classes) one per turn of the event
# loop while the person types, so that a key waits for one module at most; main_window itself loads the rest.
MAIN_WINDOW_MODULES = (
    "needlelog.ui.widgets.common",
    "needlelog.ui.widgets.fields",
    "needlelog.ui.widgets.timer_dock",
    "needlelog.ui.widgets.lock_screen",
    "needlelog.ui.window.backup_timer",
    "needlelog.ui.window.lock_controller",
    "needlelog.ui.window.open_editors",
    "needlelog.ui.window.patient_banner",
    "needlelog.ui.window.patient_browser",
    "needlelog.ui.editor.server_away",
    "needlelog.ui.main_window",
)


def _load_the_main_window(modules: tuple[str, ...] = MAIN_WINDOW_MODULES) -> None:
    """Import the first of ``modules``, then the others one per turn of the event loop."""
    import importlib

    from PySide6.QtCore import QTimer

    if not modules:
        return
    importlib.import_module(modules[0])
    QTimer.singleShot(0, lambda: _load_the_main_window(modules[1:]))


def _early_page_check(target: str) -> EarlyPageCheck | None:
    """The damaged-chart check's page reading, started now in a thread: a SQLite file named by a path."""
    from needlelog.db.page_check import EarlyPageCheck

    if "://" in target:
        return None
    try:
        return EarlyPageCheck(Path(target).expanduser())
    except (OSError, RuntimeError, ValueError):  # an unknown ~user, a name too long: opening says why
        return None


def _open_drafts(opening: ChartOpening) -> OpenDrafts | None:
    from needlelog import paths
    from needlelog.services.workspace import OpenDrafts

    if opening.services is None:
        return None
    return OpenDrafts(paths.data_dir() / "open-drafts.json", opening.services.location)


def _show_window(window: MainWindow) -> None:
    from PySide6.QtWidgets import QApplication

    screen = QApplication.primaryScreen()
    if screen is not None:
        # Clinic PCs run it full screen; without a window manager, maximising alone does nothing.
        window.setGeometry(screen.availableGeometry())
    window.showMaximized()
    # The keyboard goes to the chart at once (Ctrl+N after signing in), also where no window manager hands
    # the focus over when the sign-in window closes (a kiosk PC, Xvfb).
    window.activateWindow()
    window.raise_()
    window.reopen_drafts()  # its automatic backups start once it is painted (ChartOpening.window_up)


def chart_file(target: str) -> Path | None:
    """The SQLite file ``target`` names, there or not; None for a server or a refused path (opening the
    chart says why)."""
    from needlelog.db.engine import resolve_target, sqlite_path
    from needlelog.domain.errors import NeedlelogError

    try:
        return sqlite_path(resolve_target(target))
    except NeedlelogError:
        return None


def recover_damaged_chart(
    target: str,
    clock: Clock | None = None,
    *,
    early: EarlyPageCheck | None = None,
    pages: bool = True,
    found: list[str] | None = None,
    key: bytes | None = None,
) -> int | None:
    """Before anyone signs in (issue 12, item 3): a damaged chart is set aside, never opened for writing, and
    the newest backup that checks out offered in words; so is a chart that is missing (or empty) while its
    backups are there, rather than a new empty chart made in its place. None when the program goes on (the
    chart is sound, new, or the backup is back in its place); an exit code when it ends, having said why and
    where the damaged file is. ``pages=False``: the whole file's page check is left for later (the program's
    start); ``found``: the damage that later check found, the chart closed since (the file is not read again);
    ``key``: an encrypted chart's file key (its pages, and its backups, read with it)."""
    from needlelog.domain.errors import NeedlelogError
    from needlelog.services.base import utc_now

    clock = clock or utc_now
    chart = chart_file(target)
    if chart is None:
        return None
    try:
        if found is not None:
            return _damaged_chart(chart, clock, found=found, key=key)
        if chart.is_file() and chart.stat().st_size > 0:
            return _damaged_chart(chart, clock, early, pages=pages, key=key)
        return _missing_chart(chart, clock)
    except (NeedlelogError, OSError) as exc:
        from needlelog.ui.window import damaged_chart  # its dialogs load only when a chart is damaged

        damaged_chart.tell_closing(damaged_chart.cannot_recover_text(chart, exc))
        return EXIT_DAMAGED


def _damaged_chart(
    chart: Path,
    clock: Clock,
    early: EarlyPageCheck | None = None,
    *,
    pages: bool = True,
    found: list[str] | None = None,
    key: bytes | None = None,
) -> int | None:
    from needlelog.services import restoring

    problems = found if found is not None else restoring.inspect_chart(chart, early, pages=pages, key=key)
    if not problems:
        return None
    from needlelog.services import backups
    from needlelog.ui.window import damaged_chart

    aside = restoring.set_aside_damaged(chart, clock=clock)  # never opened for writing, never deleted
    folder = backups.backup_folder(chart)
    good = backups.newest_good_backup(folder, chart, key)
    if good is None:
        damaged_chart.tell_closing(damaged_chart.no_backup_text(chart, aside, problems, folder))
        return EXIT_DAMAGED
    offer = damaged_chart.offer_text(chart, aside, problems, good.taken_at, good.signed_notes, clock())
    if not damaged_chart.offer_backup(offer):
        damaged_chart.tell_closing(damaged_chart.declined_text(aside))
        return EXIT_DAMAGED
    return _restore_at_start(chart, good.path, clock, aside, key)


def _missing_chart(chart: Path, clock: Clock) -> int | None:
    """No chart (or an empty file) where backups of one are: the newest good one is offered before a new,
    empty chart would be made there (a chart set aside as damaged and the offer declined, a file lost)."""
    from needlelog.services import backups
    from needlelog.ui.window import damaged_chart

    folder = backups.backup_folder(chart)
    good = backups.newest_good_backup(folder, chart)
    if good is None:
        return None  # a new chart: the first start
    damaged = sorted(chart.parent.glob(f"{chart.name}.*.damaged"))
    offer = damaged_chart.missing_offer_text(chart, damaged, good.taken_at, good.signed_notes, clock())
    if not damaged_chart.offer_backup(offer):
        damaged_chart.tell_closing(damaged_chart.missing_declined_text(chart, folder))
        return EXIT_DAMAGED
    return _restore_at_start(chart, good.path, clock, damaged[-1] if damaged else None)


def _restore_at_start(
    chart: Path, backup: Path, clock: Clock, aside: Path | None, key: bytes | None = None
) -> int | None:
    from needlelog.services import restoring
    from needlelog.ui.window import damaged_chart
    from needlelog.ui.window.backup_timer import failure_words

    try:
        restoring.restore(chart, backup, clock=clock, key=key)
    except Exception as exc:  # said in words; the damaged file stays where it was put
        damaged_chart.tell_closing(damaged_chart.restore_failed_text(aside, failure_words(exc)))
        return EXIT_DAMAGED
    return None
