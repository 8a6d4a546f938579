"""`needlelog backup` and `needlelog restore` (SPEC §8), and the backup `needlelog check` points to.

Kept apart from :mod:`needlelog.cli` (which registers and dispatches them) so that neither grows past
a page. Each command prints one line; a user error is one line on stderr with exit 2 (raised here
as :class:`~needlelog.cli.UsageError` or the services' :class:`StorageError`).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from needlelog.cli import EXIT_OK, UsageError, _db_option, _home, _say, _target


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """The `backup` and `restore` subcommands, on the command line's subparsers."""
    backup = commands.add_parser(
        "backup",
        help="copy the chart into its backup folder, checked (skipped when nothing changed)",
        description="Copy a SQLite chart with SQLite's online backup API, check the copy, record it in the "
        "audit trail and thin older copies to 12 daily, 10 weekly and 9 monthly.",
    )
    _db_option(backup, required=True)
    backup.add_argument("--to", type=Path, metavar="DIR", help="backup folder (default: this PC's for the chart)")
    backup.add_argument(
        "--user",
        metavar="NAME",
        help="the account whose password opens an encrypted chart (password: $NEEDLELOG_PASSWORD or a prompt)",
    )
    restore = commands.add_parser(
        "restore",
        help="replace the chart by a backup copy (the current chart is kept aside)",
        description="Check BACKUP, keep the current chart aside, put the backup in its place (upgraded if "
        "it is older) and record the restore in its audit trail.",
    )
    _db_option(restore, required=True)
    restore.add_argument("backup", type=Path, metavar="BACKUP", help="a backup file (or its name in the backup folder)")
    restore.add_argument(
        "--user",
        metavar="NAME",
        help="the account whose password opens an encrypted backup, as it was when the backup was taken "
        "(password: $NEEDLELOG_PASSWORD or a prompt; every password lost: $NEEDLELOG_RECOVERY_KEY)",
    )


def run(args: argparse.Namespace) -> int:
    from needlelog import cli_server

    if cli_server.is_server(_target(args)):  # pg_dump / pg_restore
        return cli_server.run_server_backup(args)
    if args.command == "backup":
        return _cmd_backup(args)
    return _cmd_restore(args)


def chart_file(args: argparse.Namespace, command: str) -> Path:
    """The SQLite file ``--db`` names; a server URL is refused in words."""
    from needlelog.db.engine import resolve_target, sqlite_path

    target = _target(args)
    path = sqlite_path(resolve_target(target))
    if path is None:
        raise UsageError(
            f"{command} works on a SQLite chart file; a database server keeps its own backups (e.g. pg_dump)"
        )
    return path


def _cmd_backup(args: argparse.Namespace) -> int:
    from needlelog.cli_key import access_for, file_key, keys_for
    from needlelog.services.backups import take_backup

    chart = chart_file(args, "backup")
    folder = _home(args.to) if args.to is not None else None
    keys = keys_for(chart, args.user)
    reason = "needlelog backup (command line)" if keys is None else f"needlelog backup (command line, {args.user})"
    info = take_backup(chart, folder, reason=reason, key=file_key(keys), access=access_for(keys))
    if info is None:
        from needlelog.services.backups import backup_folder

        _say(f"{chart} has not changed since its newest backup in {folder or backup_folder(chart)}; nothing copied")
        return EXIT_OK
    _say(f"backed up {chart} to {info.path} ({_size(info.size_bytes)}, {info.signed_notes} signed notes, checked ok)")
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace) -> int:
    from needlelog.cli_key import access_for, file_key, keys_for
    from needlelog.services.backups import backup_folder, restore

    chart = chart_file(args, "restore")
    backup = _home(args.backup)
    if not backup.exists() and len(backup.parts) == 1 and (backup_folder(chart) / backup).exists():
        backup = backup_folder(chart) / backup  # a copy's name, as `check` or the folder listing shows it
    # An encrypted backup opens with the keys in its own side file (the accounts as they were when it was taken).
    keys = keys_for(chart, args.user, recovery=True, keys_from=backup)
    result = restore(chart, backup, key=file_key(keys), access=access_for(keys))
    taken = f"taken {_when(result.taken_at)}, " if result.taken_at is not None else ""
    upgraded = f", upgraded from schema {result.migrated_from}" if result.migrated_from else ""
    kept = f"; the chart before is kept as {result.aside}" if result.aside is not None else ""
    _say(f"restored {chart} from {result.backup} ({taken}{result.signed_notes} signed notes{upgraded}){kept}")
    return EXIT_OK


def say_newest_backup(target: str, key: bytes | None = None) -> None:
    """After `check` found problems: the newest backup that checks out, or that there is none (stderr)."""
    from needlelog.db.engine import resolve_target, sqlite_path
    from needlelog.services.backups import backup_folder, newest_good_backup

    path = sqlite_path(resolve_target(target))
    if path is None:
        return
    folder = backup_folder(path)
    best = newest_good_backup(folder, path, key)
    if best is None:
        print(f"needlelog check: no backup of {path.name} that checks out in {folder}", file=sys.stderr)
        return
    print(
        f"needlelog check: the newest good backup is {best.path} (taken {_when(best.taken_at)}, "
        f"{best.signed_notes} signed notes); to go back to it: needlelog restore --db {path} {best.path}"
        + (" --user NAME" if key is not None else ""),
        file=sys.stderr,
    )


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%A %Y-%m-%d %H:%M")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
