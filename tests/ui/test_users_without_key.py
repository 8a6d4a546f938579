"""The Users window of an administrator who holds no copy of the chart key (issue 13): it says who can give a copy,
refuses in words a password that would take an account's copy away, and says what a password it set did."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from needlelog.services.store import Services
from needlelog.ui.dialogs.users import UsersDialog
from tests.conftest import FakeClock
from tests.services.test_keyless_sealing import PASSWORD, opened
from tests.services.test_second_admin_without_key import NEW_PASSWORD, second_admin_chart, wrapped


def test_the_users_window_says_who_can_give_a_copy_and_what_a_password_set_without_one_did(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path, ids = second_admin_chart(tmp_path)
    services: Services = opened(path, FakeClock())
    try:
        services.accounts.login("rsandhu", PASSWORD)
        dialog = UsersDialog(services)
        qtbot.addWidget(dialog)
        told = dialog.count.text()
        assert "rsandhu has no key to the chart yet and can keep charting meanwhile" in told
        assert "you hold no copy yourself, so a password you set gives none" in told and "(dwhitford holds it)" in told

        def choose(username: str) -> None:
            row = next(i for i, a in enumerate(dialog.accounts) if a.username == username)
            dialog.view.setCurrentIndex(dialog.model.index(row, 0))
            dialog.password_button.setChecked(True)
            qtbot.keyClicks(dialog.set_password_1, NEW_PASSWORD)
            qtbot.keyClicks(dialog.set_password_2, NEW_PASSWORD)
            dialog.set_password_button.click()

        choose("dwhitford")
        refused = dialog.password_general.text()
        assert "would take dwhitford's copy away: ask dwhitford (who holds it) to set it" in refused
        choose("rsandhu")  # their own: they never held a copy
        assert dialog.edit_status.text() == (
            "New password set for rsandhu: they sign in with it from now on, still without a copy of the chart key "
            "(you hold none to give): dwhitford can give one by setting their password."
        )
        dialog.close()
    finally:
        services.close()
    assert wrapped(path) == {"dwhitford"} and ids
