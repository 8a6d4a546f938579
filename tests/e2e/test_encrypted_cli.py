"""The command line on an encrypted chart (issue 13, item 1): without --user it is refused in one line, exit 2; with
--user and the password it exports, audited under that account; a wrong password is counted as at the window; and
`recover` opens it with the recovery key."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from needlelog.db import keyfile
from needlelog.db.cipher import raw_connect
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services import encryption
from needlelog.services.store import Services
from tests.cipher_util import unreadable_without_key
from tests.db.test_signed_notes import signed_and_draft  # noqa: F401 (a fixture)
from tests.e2e.test_backup_cli import needlelog
from tests.e2e.test_cli_sign_in import PASSWORD, export, one_line


@pytest.fixture
def encrypted(
    services: Services,
    clinician: Clinician,
    db_path: Path,
    signed_and_draft: tuple[int, int],  # noqa: F811
) -> tuple[Path, str]:
    """A clinic's chart with one signed note, encrypted: its path and recovery key."""
    services.accounts.create_admin("admin", "Clinic Administrator", PASSWORD)
    recovery = services.accounts.take_recovery_key() or ""
    services.accounts.login("admin", PASSWORD)
    services.accounts.set_password(clinician.id or 0, PASSWORD)
    manager = Clinician("Kiran Patel", "kpatel", authorised_to_needle=False, roles=frozenset({Role.MANAGER}))
    services.accounts.add_user(manager, PASSWORD)
    services, problem = encryption.encrypt_when_ready(services)
    services.close()
    assert problem is None and unreadable_without_key(db_path)
    return db_path, recovery


def trail(chart: Path) -> list[tuple[str, str]]:
    with closing(raw_connect(chart, keyfile.file_key_for(chart, "admin", PASSWORD))) as raw:
        return list(raw.execute("SELECT user_name, action FROM audit_log ORDER BY id"))


def test_an_encrypted_chart_needs_user_then_exports_through_it(encrypted: tuple[Path, str], tmp_path: Path) -> None:
    chart, _ = encrypted
    refused = export(chart, tmp_path / "none", password=PASSWORD)
    assert one_line(refused) == (
        "needlelog: this chart is encrypted: give --user NAME (the password from NEEDLELOG_PASSWORD or the prompt)."
    )
    assert not (tmp_path / "none").exists()
    wrong = export(chart, tmp_path / "wrong", "--user", "kpatel", password="not-the-password")
    assert one_line(wrong) == "needlelog: Wrong user name or password."
    done = export(chart, tmp_path / "notes", "--user", "kpatel", password=PASSWORD)
    assert done.returncode == 0 and "exported 1 visit note" in done.stdout, done.stderr
    assert len(list((tmp_path / "notes").glob("*.pdf"))) == 1
    actions = trail(chart)
    assert ("kpatel", "login_failed") in actions  # the wrong password, written by the next opening
    assert ("kpatel", "login") in actions and ("kpatel", "pdf_exported") in actions


def test_recover_opens_an_encrypted_chart_with_the_recovery_key(encrypted: tuple[Path, str], tmp_path: Path) -> None:
    chart, recovery = encrypted
    done = needlelog(
        "recover",
        "--db",
        str(chart),
        "--user",
        "admin",
        home=tmp_path,
        NEEDLELOG_RECOVERY_KEY=recovery,
        NEEDLELOG_PASSWORD="a-brand-new-password",
    )
    assert done.returncode == 0 and "password set with the recovery key" in done.stdout, done.stderr
    assert len(keyfile.file_key_for(chart, "admin", "a-brand-new-password")) == 32  # the file of keys in step
    with pytest.raises(keyfile.PermissionDenied):
        keyfile.file_key_for(chart, "admin", PASSWORD)


def test_an_encrypted_chart_copied_without_its_file_of_keys_is_told_where_that_file_belongs(
    encrypted: tuple[Path, str], tmp_path: Path
) -> None:
    chart, _ = encrypted
    alone = tmp_path / "copied" / chart.name
    alone.parent.mkdir()
    alone.write_bytes(chart.read_bytes())  # the chart's file only, as someone copying it by hand might
    said = f"or it is an encrypted chart whose file of keys {chart.name}.keys is not beside it"
    assert said in one_line(export(alone, tmp_path / "notes", "--user", "kpatel", password=PASSWORD))
    checked = needlelog("check", "--db", str(alone), home=tmp_path)
    assert said in one_line(checked)
    assert not (tmp_path / "notes").exists()
