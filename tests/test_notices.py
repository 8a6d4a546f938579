"""The third-party notices (packaging/notices.py, written into the bundle by app.spec): every part the bundle
carries, with its licence from the installed metadata, Qt's LGPL with how to use another Qt, and the fonts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_notices_list_pyside6_under_the_lgpl_reportlab_and_the_fonts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "packaging"))
    import notices

    from needlelog import __version__

    written = notices.write_notices(tmp_path / "THIRD-PARTY-NOTICES.txt", with_psycopg=False)
    text = written.read_text(encoding="utf-8")
    assert text.startswith(f"needlelog {__version__}: third-party notices")
    assert "MIT License" in text
    assert re.search(r"^PySide6[-_]Essentials [\d.]+: [^\n]*LGPL-3\.0", text, re.MULTILINE)
    assert re.search(r"^shiboken6 [\d.]+: [^\n]*LGPL-3\.0", text, re.MULTILINE)
    assert "replace those libraries" in text  # how to use another Qt
    for name in ("reportlab", "SQLAlchemy", "alembic", "argon2-cffi", "uharfbuzz", "platformdirs"):
        assert re.search(rf"^{name} [\d.]+: \S", text, re.MULTILINE | re.IGNORECASE), name
    assert re.search(r"^reportlab [\d.]+: BSD", text, re.MULTILINE)
    assert "--- LICENSE-Noto.txt ---" in text and "SIL OPEN FONT LICENSE" in text.upper()
    assert "Noto Sans script fonts (needlelog/reports/fonts): OFL-1.1" in text
    assert "psycopg" not in text.lower()
