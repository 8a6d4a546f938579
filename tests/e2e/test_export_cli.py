"""`needlelog export` as a manager runs it: real processes, real files, one summary line, one-line errors."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pypdf
import pytest

from tests.e2e.test_cli import needlelog, one_line_error

EVER = ("--from", "2000-01-01", "--to", "2100-12-31")


@pytest.fixture(scope="module")
def clinic_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clinic") / "clinic.sqlite"
    seeded = needlelog("seed", "--db", str(db), "--patients", "12", "--sessions", "60", "--seed", "4")
    assert seeded.returncode == 0, seeded.stderr
    return db


def query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as raw:
        return raw.execute(sql, params).fetchall()


@pytest.mark.timeout(120)
def test_export_writes_a_pdf_per_signed_visit_a_combined_pdf_and_a_csv(clinic_db: Path, tmp_path: Path) -> None:
    out, combined, sheet = tmp_path / "notes", tmp_path / "all.pdf", tmp_path / "all.csv"
    result = needlelog(
        "export", "--db", str(clinic_db), *EVER, "--out", str(out), "--combined", str(combined), "--csv", str(sheet)
    )
    assert result.returncode == 0, result.stderr
    signed = query(clinic_db, "SELECT COUNT(*) FROM treatment_session WHERE status = 'signed'")[0][0]
    drafts = query(clinic_db, "SELECT COUNT(*) FROM treatment_session WHERE status = 'draft'")[0][0]
    assert isinstance(signed, int) and signed > 40
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"exported {signed} visit notes (2000-01-01 to 2100-12-31, signed only) to {out}")
    assert f"combined: {combined}" in lines[0] and f"CSV: {sheet}" in lines[0]
    pdfs = sorted(out.iterdir())
    assert len(pdfs) == signed and all(p.suffix == ".pdf" and not p.name.startswith(".") for p in pdfs)
    assert len(pypdf.PdfReader(combined).outline) == signed
    with sheet.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == signed and {r["Status"] for r in rows} == {"Signed"}
    # the first visit's PDF carries its patient, chart, clinician and fingerprint
    chart, family, given, clinician, username, fingerprint = query(
        clinic_db,
        "SELECT p.chart_number, p.family_name, p.given_name, c.display_name, c.username, s.fingerprint"
        " FROM treatment_session s JOIN patient p ON p.id = s.patient_id JOIN clinician c ON c.id = s.clinician_id"
        " WHERE s.status = 'signed' ORDER BY s.service_start, s.id LIMIT 1",
    )[0]
    first = out / f"{rows[0]['Date']}_{chart}_{username}.pdf"
    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(first).pages).split())
    for fact in (f"{given} {family}", f"chart {chart}", clinician, fingerprint):
        assert fact in text, fact
    if drafts:
        everything = needlelog(
            "export", "--db", str(clinic_db), *EVER, "--out", str(tmp_path / "all"), "--include-drafts"
        )
        assert everything.returncode == 0, everything.stderr
        assert len(list((tmp_path / "all").iterdir())) == signed + drafts


@pytest.mark.timeout(120)
def test_export_narrows_to_a_clinician_and_a_patient(clinic_db: Path, tmp_path: Path) -> None:
    username, chart = query(
        clinic_db,
        "SELECT c.username, p.chart_number FROM treatment_session s JOIN clinician c ON c.id = s.clinician_id"
        " JOIN patient p ON p.id = s.patient_id WHERE s.status = 'signed' GROUP BY 1, 2 ORDER BY COUNT(*) DESC LIMIT 1",
    )[0]
    assert isinstance(username, str) and isinstance(chart, str)
    theirs = query(
        clinic_db,
        "SELECT COUNT(*) FROM treatment_session s JOIN clinician c ON c.id = s.clinician_id"
        " WHERE c.username = ? AND s.status = 'signed'",
        username,
    )[0][0]
    result = needlelog("export", "--db", str(clinic_db), *EVER, "--out", str(tmp_path / "c"), "--clinician", username)
    assert result.returncode == 0, result.stderr
    files = list((tmp_path / "c").iterdir())
    assert len(files) == theirs and all(f"_{username}" in p.name for p in files)
    both = needlelog(
        "export", "--db", str(clinic_db), *EVER, "--out", str(tmp_path / "p"), "--clinician", username,
        "--patient", chart.lower(),
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    files = list((tmp_path / "p").iterdir())
    assert files and all(p.name.split("_")[1] == chart and f"_{username}" in p.name for p in files)


def test_an_empty_range_says_so_and_writes_nothing(clinic_db: Path, tmp_path: Path) -> None:
    result = needlelog(
        "export", "--db", str(clinic_db), "--from", "1990-01-01", "--to", "1990-01-31", "--out", str(tmp_path / "o")
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "no visit notes match (1990-01-01 to 1990-01-31, signed only); nothing written"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            ("--from", "2026-1-1", "--to", "2026-02-01"),
            "argument --from: '2026-1-1' is not a date; write it as YYYY-MM-DD",
        ),
        (("--from", "03/04/2026", "--to", "2026-05-01"), "'03/04/2026' is not a date"),
        (("--from", "2026-02-30", "--to", "2026-03-01"), "'2026-02-30' is not a date"),
        (("--from", "2026-03-01", "--to", "2026-02-01"), "The end date 2026-02-01 is before the start date 2026-03-01"),
        ((*EVER, "--clinician", "nobody"), "No clinician has the user name 'nobody'."),
        ((*EVER, "--patient", "X999"), "No patient has the chart number X999."),
        (("--from", "2026-01-01"), "required: --to"),
    ],
)
def test_user_errors_are_one_line_with_exit_2(
    clinic_db: Path, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    line = one_line_error(needlelog("export", "--db", str(clinic_db), "--out", str(tmp_path / "out"), *args))
    assert words in line
    assert not (tmp_path / "out").exists()


def test_a_missing_folder_or_database_is_one_line_with_exit_2(clinic_db: Path, tmp_path: Path) -> None:
    line = one_line_error(needlelog("export", "--db", str(clinic_db), *EVER, "--out", str(tmp_path / "no" / "out")))
    assert f"the folder {tmp_path / 'no'} does not exist" in line
    csv_line = one_line_error(
        needlelog(
            "export",
            "--db",
            str(clinic_db),
            *EVER,
            "--out",
            str(tmp_path / "o"),
            "--csv",
            str(tmp_path / "no" / "x.csv"),
        )
    )
    assert "does not exist" in csv_line and not (tmp_path / "o").exists()
    missing = tmp_path / "absent.sqlite"
    assert "There is no database at" in one_line_error(
        needlelog("export", "--db", str(missing), *EVER, "--out", str(tmp_path / "o"))
    )
    assert not missing.exists()  # an export never creates a chart
