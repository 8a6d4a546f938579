"""`needlelog report` (issue 15, item 3) as a manager runs it: real processes, real files, one summary line;
one line naming the option for every mistake, exit 2; signed in like `export`, audited."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

import pypdf
import pytest

from needlelog.domain.model import Clinician
from tests.db.test_signed_notes import signed_and_draft  # noqa: F401 (a fixture)
from tests.e2e.test_cli import needlelog, one_line_error
from tests.e2e.test_cli_sign_in import PASSWORD, chart  # noqa: F401 (a fixture)
from tests.e2e.test_cli_sign_in import needlelog as signed_needlelog

EVER = ("--from", "2000-01-01", "--to", "2100-12-31")


@pytest.fixture(scope="module")
def clinic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clinic") / "clinic.sqlite"
    seeded = needlelog("seed", "--db", str(db), "--patients", "12", "--sessions", "300", "--seed", "4")
    assert seeded.returncode == 0, seeded.stderr
    return db


@pytest.mark.timeout(120)
def test_report_writes_the_pdf_and_the_csv(clinic_db: Path, tmp_path: Path) -> None:
    pdf, sheet = tmp_path / "report.pdf", tmp_path / "report.csv"
    ran = needlelog("report", "--db", str(clinic_db), *EVER, "--out", str(pdf), "--csv", str(sheet))
    assert ran.returncode == 0, ran.stderr
    with sqlite3.connect(clinic_db) as raw:
        signed = raw.execute("SELECT COUNT(*) FROM treatment_session WHERE status = 'signed'").fetchone()[0]
        audited = raw.execute("SELECT detail FROM audit_log WHERE action = 'report_written'").fetchall()
    assert ran.stdout.startswith(f"clinic report 2000-01-01 to 2100-12-31: {signed:,} signed visits")
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    assert "Clinic report" in text and "Brady et al. 2014" in text and "Boyce et al. 2020" in text
    rows = list(csv.DictReader(io.StringIO(sheet.read_text("utf-8-sig"))))
    total = [r for r in rows if r["Section"] == "clinic total" and r["Measure"] == "Signed visits"]
    assert [r["Count"] for r in total] == [str(signed)]
    assert audited == [("clinic report 2000-01-01 to 2100-12-31: report.pdf, report.csv",)]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--from", "2026-03-10", "--to", "2026-01-01", "--out", "r.pdf"), "--from 2026-03-10 is after --to"),
        (("--from", "10/03/2026", "--to", "2026-01-01", "--out", "r.pdf"), "'10/03/2026' is not a date"),
        (("--from", "2026-02-30", "--to", "2026-03-01", "--out", "r.pdf"), "'2026-02-30' is not a date"),
        ((*EVER, "--out", "r.txt"), "--out: r.txt does not end in .pdf"),
        ((*EVER, "--out", "r.pdf", "--csv", "r.pdf"), "--csv: r.pdf does not end in .csv"),
        ((*EVER, "--out", "nowhere/r.pdf"), "--out: the folder"),
        ((*EVER, "--out", "r.pdf", "--clinician", "nobody"), "--clinician: No clinician has the user name 'nobody'"),
        (("--to", "2026-01-01", "--out", "r.pdf"), "--from"),
    ],
)
def test_a_mistake_is_one_line_naming_the_option(
    clinic_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], words: str
) -> None:
    monkeypatch.chdir(tmp_path)
    line = one_line_error(needlelog("report", "--db", str(clinic_db), *args))
    assert words in line
    assert not list(tmp_path.glob("r.*"))  # nothing written


@pytest.mark.timeout(120)
def test_a_chart_with_accounts_reports_for_a_manager_or_an_administrator_only(
    chart: Path,  # noqa: F811
    clinician: Clinician,
    tmp_path: Path,
) -> None:
    def report(user: str) -> tuple[int, str]:
        ran = signed_needlelog(
            "report",
            "--db",
            str(chart),
            *EVER,
            "--out",
            str(tmp_path / f"{user}.pdf"),
            "--user",
            user,
            password=PASSWORD,
        )
        return ran.returncode, ran.stderr.strip()

    assert report("kpatel") == (0, "")
    assert report("admin") == (0, "")
    code, said = report(clinician.username)
    assert code == 2 and said.startswith("needlelog: ") and "may not" in said
    assert not (tmp_path / f"{clinician.username}.pdf").exists()
    with sqlite3.connect(chart) as raw:
        who = raw.execute("SELECT user_name FROM audit_log WHERE action = 'report_written' ORDER BY id").fetchall()
    assert who == [("kpatel",), ("admin",)]
