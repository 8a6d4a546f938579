"""The command line as a new user meets it (issue 17, item 4): no screen, `--db` before the command, the help.

Each error is the real command in its own process: one line on stderr, exit 2, no traceback, nothing made.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from needlelog import cli
from tests.e2e.test_cli import needlelog, one_line_error


def without_screen(*args: str, platform: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real command where no display server is named, as on a server or in an SSH session."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    if platform is not None:
        environment["QT_QPA_PLATFORM"] = platform
    return subprocess.run(
        [sys.executable, "-m", "needlelog", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        check=False,
    )


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="Windows and macOS always have a screen session")
@pytest.mark.parametrize(
    ("args", "platform"),
    [(("--db", "{tmp}/chart.sqlite"), None), (("demo", "--db", "{tmp}/chart.sqlite"), None), ((), "xcb")],
    ids=["window", "demo", "xcb-asked-for"],
)
def test_without_a_screen_the_window_says_so_in_one_line(
    tmp_path: Path, args: tuple[str, ...], platform: str | None
) -> None:
    result = without_screen(*(a.format(tmp=tmp_path) for a in args), platform=platform)
    line = one_line_error(result)
    assert "no screen" in line and "DISPLAY" in line and "needlelog check" in line
    assert result.returncode == 2 and "Aborted" not in result.stderr and "xcb-cursor0" not in result.stderr
    assert not (tmp_path / "chart.sqlite").exists()  # refused before any chart (or demo clinic) is made


@pytest.mark.skipif(
    sys.platform != "linux" or shutil.which("gcc") is None, reason="builds a stand-in X11 plugin with gcc"
)
def test_a_missing_system_library_of_qts_x11_plugin_is_named_in_one_line(tmp_path: Path) -> None:
    """An X11 plugin that needs a library this PC lacks (a stand-in, found first through QT_PLUGIN_PATH, as Qt
    would): Qt would abort; the program names the library and stops before any chart is made."""
    (tmp_path / "gone.c").write_text("int gone(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int gone(void);\nint use(void) { return gone(); }\n")
    library = tmp_path / "libneedlelog-gone.so.0"
    plugin = tmp_path / "plugins" / "platforms" / "libqxcb.so"
    plugin.parent.mkdir(parents=True)
    gcc = ["gcc", "-shared", "-fPIC", "-o"]
    subprocess.run([*gcc, str(library), "-Wl,-soname,libneedlelog-gone.so.0", str(tmp_path / "gone.c")], check=True)
    subprocess.run([*gcc, str(plugin), str(tmp_path / "plugin.c"), str(library)], check=True)
    library.unlink()
    environment = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run(
        [sys.executable, "-m", "needlelog", "--db", str(tmp_path / "chart.sqlite")],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, "DISPLAY": ":77", "QT_PLUGIN_PATH": str(tmp_path / "plugins")},
        check=False,
    )
    line = one_line_error(result)
    assert "libneedlelog-gone.so.0" in line and "is missing; install it" in line
    assert not (tmp_path / "chart.sqlite").exists()


def test_offscreen_needs_no_screen(tmp_path: Path) -> None:
    result = without_screen("demo", "--db", str(tmp_path / "demo.sqlite"), "--exit-after", "0", platform="offscreen")
    assert result.returncode == 0, result.stderr


def test_db_before_the_command_is_the_commands_chart(tmp_path: Path) -> None:
    chart = str(tmp_path / "chart.sqlite")
    seeded = needlelog("--db", chart, "seed", "--patients", "2", "--sessions", "3")
    assert seeded.returncode == 0, seeded.stderr
    checked = needlelog("--db", chart, "check")
    assert (checked.returncode, checked.stdout.strip()) == (0, f"{chart}: ok (integrity, foreign keys, schema at head)")
    upgraded = needlelog("--db", chart, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr


def test_a_command_without_its_chart_names_both_places_for_db() -> None:
    environment = {"NEEDLELOG_DB": ""}
    line = one_line_error(needlelog("db", "upgrade", env=environment))
    assert "--db" in line and "before or after `db upgrade`" in line and "NEEDLELOG_DB" in line


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every sub-command's parser, sub-sub-commands too ("db upgrade")."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[f"{prefix}{name}"] = sub
                found |= commands(sub, f"{prefix}{name} ")
    return found


def test_every_command_and_option_is_described() -> None:
    found = commands(cli.build_parser())
    assert {"demo", "seed", "export", "check", "db upgrade", "backup", "restore"} <= set(found)
    for name, parser in found.items():
        if name == "db":
            continue  # only a group of actions, each described
        assert parser.description, f"{name} has no description"
        for action in parser._actions:
            if action.dest in ("help", "exit_after") or isinstance(action, argparse._SubParsersAction):
                continue  # --exit-after is for smoke tests only, hidden on purpose
            assert action.help and action.help != argparse.SUPPRESS, f"{name} {action.option_strings or action.dest}"


def test_commands_that_need_a_chart_do_not_promise_a_default_one() -> None:
    for name in ("seed", "export", "check", "db upgrade", "backup", "restore"):
        db_help = next(a.help for a in commands(cli.build_parser())[name]._actions if a.dest == "db")
        assert db_help and "user data folder" not in db_help and "required" in db_help, name


def test_the_real_help_describes_seed_and_its_counts() -> None:
    result = needlelog("seed", "--help")
    assert result.returncode == 0
    for words in ("synthetic patients", "--patients N", "--sessions M", "--seed S", "before the command"):
        assert words in " ".join(result.stdout.split()), words
