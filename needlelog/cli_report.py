"""`needlelog report`: the clinic's dashboard as a PDF report and a CSV file (issue 15, item 3).

Signs in like `export` (``--user``, ``NEEDLELOG_PASSWORD``; cli_auth.py): a manager's or an administrator's
account, where the chart has accounts. A mistake in what was asked is one line naming the option, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_commands(commands: Any) -> None:
    from needlelog.cli import _day, _db_option

    report = commands.add_parser(
        "report",
        help="write the clinic's dashboard as a PDF report (and CSV): rates per clinician and month",
        description="Count the signed visits whose service date is in --from..--to (both days included), per "
        "clinician and month: needles, mild reactions, bruising, bleeding and adverse events as rates with 95 %% "
        "Wilson intervals beside the published rates; unsigned drafts by age; the twitch mix. Written as a PDF "
        "(--out) and optionally a CSV file. A manager's or an administrator's report; audited.",
    )
    _db_option(report, required=True)
    report.add_argument("--from", dest="date_from", type=_day, required=True, metavar="DATE", help="YYYY-MM-DD")
    report.add_argument("--to", dest="date_to", type=_day, required=True, metavar="DATE", help="YYYY-MM-DD")
    report.add_argument("--out", type=Path, required=True, metavar="FILE.pdf", help="the PDF report to write")
    report.add_argument("--csv", type=Path, metavar="FILE.csv", help="also write the figures as a CSV file")
    report.add_argument("--clinician", metavar="USER", help="only this clinician's visits (user name)")
    report.add_argument(
        "--user",
        metavar="NAME",
        help="the account to report as, where the chart has accounts (password: $NEEDLELOG_PASSWORD or a prompt)",
    )


def _file(option: str, path: Path, suffix: str) -> Path:
    from needlelog.cli import UsageError, _home

    path = _home(path)
    if path.suffix.lower() != suffix:
        raise UsageError(f"{option}: {path.name} does not end in {suffix}; name the file FILE{suffix}")
    if path.is_dir():
        raise UsageError(f"{option}: {path} is a folder; name a file in it")
    if not path.absolute().parent.is_dir():
        raise UsageError(f"{option}: the folder {path.absolute().parent} does not exist")
    return path


def run(args: argparse.Namespace) -> int:
    from needlelog.cli import EXIT_OK, UsageError, _say, _writable
    from needlelog.cli_auth import open_signed_in
    from needlelog.domain.errors import ValidationError

    if args.date_from > args.date_to:
        raise UsageError(f"--from {args.date_from} is after --to {args.date_to}; give the earlier day first")
    pdf = _file("--out", args.out, ".pdf")
    csv = args.csv and _file("--csv", args.csv, ".csv")
    if csv is not None and csv.absolute() == pdf.absolute():
        raise UsageError("--csv names the same file as --out; give the CSV file its own name")
    services = open_signed_in(_writable(args, "report (it records itself in the audit trail)"), args.user)
    try:
        try:
            written = services.reports.write_report(args.date_from, args.date_to, pdf, csv, args.clinician)
        except ValidationError as exc:
            if any(p.field == "clinician" for p in exc.problems):
                raise UsageError(f"--clinician: {exc}") from None
            raise
    finally:
        services.close()
    total = written.dashboard.total()
    extra = f" and {csv}" if csv is not None else ""
    _say(
        f"clinic report {args.date_from} to {args.date_to}: {total.visits:,} signed visits, "
        f"{len(written.dashboard.drafts):,} unsigned drafts; written to {pdf}{extra}"
    )
    return EXIT_OK
