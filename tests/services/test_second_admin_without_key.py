"""A second administrator who holds no copy of the chart key (their password is from before it: a chart upgraded to
0014) manages accounts (issue 13). A password they set cannot wrap the key: it used to drop the account's copy
silently (the account then signed in without one, and on an encrypted chart could not open the file at all). Now
such a password is refused for an account that holds or held a copy, naming who can set it; an account that never
held one gets its password and still no copy, said in the audit row and in the Users window, which names the
administrators who can give one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from needlelog.domain.errors import PermissionDenied
from needlelog.domain.model import Clinician
from needlelog.services.store import seal_findings
from tests.conftest import FakeClock
from tests.services.test_keyless_sealing import PASSWORD, opened, upgraded_chart

NEW_PASSWORD = "another-long-password-1"


def second_admin_chart(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """dwhitford (administrator) signed in first and holds the key; rsandhu, made an administrator too, holds none."""
    path = upgraded_chart(tmp_path)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE clinician SET roles = 'admin clinician' WHERE username = 'rsandhu'")
        ids = dict(raw.execute("SELECT username, id FROM clinician").fetchall())
    services = opened(path, FakeClock())
    try:
        services.accounts.login("dwhitford", PASSWORD)
        services.accounts.sign_out()
    finally:
        services.close()
    return path, ids


def wrapped(path: Path) -> set[str]:
    with sqlite3.connect(path) as raw:
        return {
            row[0]
            for row in raw.execute("SELECT c.username FROM key_wrapping k JOIN clinician c ON c.id = k.clinician_id")
        }


def test_an_administrator_without_the_key_cannot_take_an_accounts_copy_away(tmp_path: Path) -> None:
    path, ids = second_admin_chart(tmp_path)
    services = opened(path, FakeClock())
    try:
        services.accounts.login("rsandhu", PASSWORD)
        assert not services.accounts.holds_key and services.accounts.key_givers() == ["dwhitford"]
        with pytest.raises(PermissionDenied) as refused:
            services.accounts.set_password(ids["dwhitford"], NEW_PASSWORD)
        assert str(refused.value) == (
            "You hold no copy of the chart key, so a password you set would take dwhitford's copy away: "
            "ask dwhitford (who holds it) to set it."
        )
        services.accounts.sign_out()
        services.accounts.login("dwhitford", PASSWORD)  # the old password still opens their copy
        assert services.access.chart_key is not None
    finally:
        services.close()
    assert "dwhitford" in wrapped(path)


def test_an_account_that_never_held_a_copy_gets_a_password_and_still_no_copy_said_in_words(tmp_path: Path) -> None:
    path, _ids = second_admin_chart(tmp_path)
    services = opened(path, FakeClock())
    try:
        services.accounts.login("rsandhu", PASSWORD)
        added = services.accounts.add_user(Clinician("Kiran Patel", "kpatel", "PT", "PT-1"), PASSWORD)
        services.accounts.set_password(added.id or 0, NEW_PASSWORD)
        assert "kpatel" in services.accounts.without_key()
        services.accounts.sign_out()
        services.accounts.login("kpatel", NEW_PASSWORD)  # signs in, without a copy
        assert services.access.chart_key is None
        services.accounts.sign_out()
        services.accounts.login("dwhitford", PASSWORD)  # holds the key: seals what was written meanwhile
        services.accounts.set_password(added.id or 0, PASSWORD)  # and gives kpatel its copy
    finally:
        services.close()
    assert "kpatel" in wrapped(path)
    with sqlite3.connect(path) as raw:
        said = [row[0] for row in raw.execute("SELECT detail FROM audit_log WHERE detail LIKE 'kpatel:%' ORDER BY id")]
    without = "by an administrator without a copy of the chart key: none given"
    assert said[0].startswith("kpatel: added") and said[0].endswith(without), said
    assert said[1] == f"kpatel: password set {without}" and said[2] == "kpatel: password set"
    assert seal_findings(path, "dwhitford", PASSWORD) == ([], [])
