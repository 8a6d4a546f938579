"""The packaged program: build app.spec with PyInstaller (one folder) and run what it made.

Built once per test run into a temporary folder (the `bundle` fixture of tests/e2e/conftest.py, shared with
test_package.py; never the repository's build/ or dist/).
A frozen program fails where the checkout cannot: files Alembic reads by path, modules only
imported by name at run time, worker processes started from the executable, Qt plugins.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest

from needlelog import __version__
from needlelog.services.seeding import IN_PROCESS_BELOW

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 120

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(600),
    pytest.mark.skipif(
        importlib.util.find_spec("PyInstaller") is None,
        reason="PyInstaller is not installed; install the 'package' extra: pip install -e '.[package]'",
    ),
]


def run(executable: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NEEDLELOG_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    environment.pop("NEEDLELOG_DB", None)
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=environment,
        check=False,
    )


def test_version(bundle: Path, tmp_path: Path) -> None:
    result = run(bundle, "--version", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"needlelog {__version__}"


def test_data_files_sit_where_the_code_looks_for_them(bundle: Path) -> None:
    # PyInstaller gives a frozen module the __file__ <_MEIPASS>/<package path>, so
    # migrate.py's Path(__file__).with_name("migrations") and paths.resources_dir()
    # (the package folder's parent) both land in _MEIPASS, the _internal folder.
    internal = bundle.parent / "_internal"
    migrations = internal / "needlelog" / "db" / "migrations"
    assert (migrations / "env.py").is_file()
    assert (migrations / "script.py.mako").is_file()
    assert sorted(p.name for p in (migrations / "versions").glob("*.py")) == sorted(
        p.name for p in (ROOT / "needlelog" / "db" / "migrations" / "versions").glob("*.py")
    )
    assert (internal / "resources" / "README.md").is_file()
    # The script fonts beside reports/text.py (Gurmukhi, Thai...), and harfbuzz that shapes them.
    fonts = internal / "needlelog" / "reports" / "fonts"
    assert sorted(p.name for p in fonts.glob("*.ttf")) == sorted(
        p.name for p in (ROOT / "needlelog" / "reports" / "fonts").glob("*.ttf")
    )
    assert (fonts / "LICENSE-Noto.txt").is_file()
    assert list(internal.glob("uharfbuzz/_harfbuzz*")), sorted(p.name for p in internal.iterdir())
    # needlelog's licence and the third-party notices at the root, where paths.py and Help → About read them.
    assert (internal / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    notices = (internal / "THIRD-PARTY-NOTICES.txt").read_text(encoding="utf-8")
    assert notices.startswith(f"needlelog {__version__}: third-party notices")
    assert re.search(r"^PySide6[-_]Essentials [\d.]+: [^\n]*LGPL-3\.0", notices, re.MULTILINE)
    assert re.search(r"^reportlab [\d.]+: ", notices, re.MULTILINE)


def test_seeded_database_passes_check(bundle: Path, tmp_path: Path) -> None:
    # Seeding a new file runs every Alembic migration from the bundle; check confirms the schema is at head.
    db = tmp_path / "x.sqlite"
    seeded = run(bundle, "seed", "--db", str(db), "--patients", "5", "--sessions", "20", home=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "seeded 5 patients, 20 sessions" in seeded.stdout
    checked = run(bundle, "check", "--db", str(db), home=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "ok" in checked.stdout
    # The bundle must stay as installed: no bytecode written beside the migration scripts.
    assert not list((bundle.parent / "_internal" / "needlelog").rglob("__pycache__"))


@pytest.mark.skipif(os.cpu_count() in (None, 1), reason="one CPU: seeding never starts worker processes")
def test_seeding_worker_processes_start_from_the_executable(bundle: Path, tmp_path: Path) -> None:
    # Enough sessions for the "spawn" process pool; each worker is the executable started
    # again, which only works because the entry script calls multiprocessing.freeze_support().
    db = tmp_path / "big.sqlite"
    sessions = IN_PROCESS_BELOW + 1000
    seeded = run(bundle, "seed", "--db", str(db), "--patients", "300", "--sessions", str(sessions), home=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert f"seeded 300 patients, {sessions} sessions" in seeded.stdout
    checked = run(bundle, "check", "--db", str(db), home=tmp_path)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(
    importlib.util.find_spec("psycopg") is None,
    reason="psycopg is not installed, so the bundle has no PostgreSQL driver (the optional 'postgres' extra)",
)
def test_postgresql_driver_is_bundled(bundle: Path, tmp_path: Path) -> None:
    # Nothing listens on port 1: reaching the connection attempt proves SQLAlchemy found
    # psycopg and its compiled libpq wrapper, both imported by name only.
    url = "postgresql://needlelog@127.0.0.1:1/needlelog?connect_timeout=5"
    result = run(bundle, "check", "--db", url, home=tmp_path)
    assert result.returncode == 2, result
    assert "Cannot reach the database server" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_window_opens_and_closes(bundle: Path, tmp_path: Path) -> None:
    # Offscreen Qt: proves the Qt libraries and platform plugins came along.
    db = tmp_path / "demo.sqlite"
    result = run(bundle, "demo", "--db", str(db), "--exit-after", "0.5", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_the_bundle_exports_visit_notes_with_every_font(bundle: Path, tmp_path: Path) -> None:
    # Rendering runs in worker processes that import the reports lazily; the fonts, bidi and
    # reshaper data must all be inside the bundle.
    db = tmp_path / "export.sqlite"
    assert run(bundle, "seed", "--db", str(db), "--patients", "30", "--sessions", "80", home=tmp_path).returncode == 0
    out = tmp_path / "notes"
    out.mkdir()
    exported = run(
        bundle,
        "export",
        "--db",
        str(db),
        "--from",
        "2000-01-01",
        "--to",
        "2100-01-01",
        "--out",
        str(out),
        "--include-drafts",
        "--combined",
        str(tmp_path / "all.pdf"),
        home=tmp_path,
    )
    assert exported.returncode == 0, exported.stderr
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 80
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "all.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Bow River Physiotherapy" in text and "Needling sites" in text


def test_the_bundle_opens_an_encrypted_chart(
    bundle: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sqlcipher3's compiled module and SQLAlchemy's pysqlcipher dialect are in the bundle (issue 13): `check`
    reads an encrypted chart through both (its pages and schema raw, its fingerprints and seals by the dialect),
    and `backup` makes an encrypted copy of it."""
    from tests.cipher_util import ADMIN_PASSWORD, encrypt_with_accounts, unreadable_without_key

    encrypt_with_accounts(db_path)
    monkeypatch.setenv("NEEDLELOG_PASSWORD", ADMIN_PASSWORD)
    checked = run(bundle, "check", "--db", str(db_path), "--user", "admin", home=tmp_path / "home")
    backed = run(bundle, "backup", "--db", str(db_path), "--user", "admin", home=tmp_path / "home")
    assert checked.returncode == 0, checked.stderr
    assert "encrypted; seals verified" in checked.stdout
    assert backed.returncode == 0, backed.stderr
    copies = list((tmp_path / "chart-backups").glob("chart-*.sqlite"))
    assert len(copies) == 1 and unreadable_without_key(copies[0])
