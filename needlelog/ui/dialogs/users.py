"""The administrator's window of user accounts (roles, the authorised-to-needle flag, passwords); the settings
window is :mod:`needlelog.ui.dialogs.settings`.

It is shown with ``open()`` (window-modal, never a nested event loop); every refusal of the
services is shown in words beside its field.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from needlelog.domain.access import PASSWORD_MIN
from needlelog.domain.errors import NeedlelogError
from needlelog.domain.model import Clinician
from needlelog.domain.vocab import Role
from needlelog.services.store import Services
from needlelog.ui.dialogs.recovery_key import password_set_words, without_key_words
from needlelog.ui.models.paged import PagedTableModel
from needlelog.ui.widgets.common import fixed_columns, named
from needlelog.ui.widgets.forms import (
    FieldErrors,
    button,
    close_row,
    counted,
    make_table,
    message_label,
    row_of,
)
from needlelog.ui.widgets.wheel_guard import guard_wheels

PASSWORDS_DIFFER = "The two passwords differ: type the same password twice."


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def role_words(roles: frozenset[Role]) -> str:
    return ", ".join(role.label for role in Role if role in roles) or "none"


# An upgraded chart's file is encrypted only once every active account can open it (docs/ARCHITECTURE.md).
NOT_ENCRYPTED_YET = (
    "Until each of them has a key, the chart's file is not encrypted: it is encrypted at the next sign-in after."
)


class UserModel(PagedTableModel[Clinician]):
    headers = ("Name", "User name", "Roles", "Authorised to needle", "Active", "Registration")

    def display(self, row: Clinician, column: int) -> str:
        if column == 0:
            return row.display_name + (f", {row.credentials}" if row.credentials else "")
        if column == 1:
            return row.username
        if column == 2:
            return role_words(row.roles)
        if column == 3:
            return _yes(row.authorised_to_needle and Role.CLINICIAN in row.roles)
        if column == 4:
            return _yes(row.active)
        return row.registration_number


class AccountFields:
    """Name, credentials, registration, roles and the authorised-to-needle flag: one form's worth.

    The add form and the selected user's form each hold one, under their own object-name prefix.
    """

    def __init__(self, prefix: str, form: QFormLayout, errors: FieldErrors, *, with_username: bool) -> None:
        self.display_name = QLineEdit()
        named(self.display_name, f"{prefix}Name", "Name", "The name printed on visit notes, e.g. Dana Whitford")
        self.username: QLineEdit | None = None
        if with_username:
            self.username = QLineEdit()
            named(self.username, f"{prefix}Username", "User name", "One word to sign in with, e.g. dwhitford")
        self.credentials = QLineEdit()
        named(self.credentials, f"{prefix}Credentials", "Credentials", "Printed after the name, e.g. PT, MScPT")
        self.registration = QLineEdit()
        named(self.registration, f"{prefix}Registration", "Registration number", "The college registration number")
        self.roles: dict[Role, QCheckBox] = {}
        roles_row = QHBoxLayout()
        roles_row.setContentsMargins(0, 0, 0, 0)
        roles_box = QWidget()
        roles_box.setLayout(roles_row)
        named(roles_box, f"{prefix}Roles", "Roles")
        for role in Role:
            check = QCheckBox(role.label)
            named(check, f"{prefix}Role_{role.value}", f"Role: {role.label}")
            check.toggled.connect(self._roles_changed)
            self.roles[role] = check
            roles_row.addWidget(check)
        roles_row.addStretch(1)
        self.authorised = QCheckBox("Authorised to needle (may sign dry-needling notes)")
        named(self.authorised, f"{prefix}Authorised", "Authorised to needle")
        rows: list[tuple[str, QWidget, str]] = [("Name", self.display_name, "display_name")]
        if self.username is not None:
            rows.append(("User name", self.username, "username"))
        rows += [
            ("Credentials", self.credentials, "credentials"),
            ("Registration", self.registration, "registration_number"),
            ("Roles", roles_box, "roles"),
        ]
        for words, widget, field in rows:
            form.addRow(words, errors.beside(field, widget, words.lower()))
        errors.widgets["roles"] = self.roles[Role.CLINICIAN]
        form.addRow("", self.authorised)
        self.roles[Role.CLINICIAN].setChecked(True)
        self.authorised.setChecked(True)

    def _roles_changed(self) -> None:
        # Only a clinician needles: the flag means nothing for a manager or an administrator alone.
        self.authorised.setEnabled(self.roles[Role.CLINICIAN].isChecked())

    def show(self, account: Clinician) -> None:
        self.display_name.setText(account.display_name)
        if self.username is not None:
            self.username.setText(account.username)
        self.credentials.setText(account.credentials)
        self.registration.setText(account.registration_number)
        for role, check in self.roles.items():
            check.setChecked(role in account.roles)
        self.authorised.setChecked(account.authorised_to_needle)
        self._roles_changed()

    def clear(self) -> None:
        for edit in (self.display_name, self.username, self.credentials, self.registration):
            if edit is not None:
                edit.clear()
        for role, check in self.roles.items():
            check.setChecked(role is Role.CLINICIAN)
        self.authorised.setChecked(True)

    def value(self, account: Clinician) -> Clinician:
        roles = frozenset(role for role, check in self.roles.items() if check.isChecked())
        return replace(
            account,
            display_name=self.display_name.text().strip(),
            username=self.username.text().strip() if self.username is not None else account.username,
            credentials=self.credentials.text().strip(),
            registration_number=self.registration.text().strip(),
            roles=roles,
            authorised_to_needle=self.authorised.isChecked() and Role.CLINICIAN in roles,
        )

    def set_enabled(self, enabled: bool) -> None:
        for widget in (self.display_name, self.credentials, self.registration, *self.roles.values()):
            widget.setEnabled(enabled)
        self.authorised.setEnabled(enabled and self.roles[Role.CLINICIAN].isChecked())


def password_pair(
    prefix: str, form: QFormLayout, errors: FieldErrors, words: str = "Password"
) -> tuple[QLineEdit, QLineEdit]:
    first, again = QLineEdit(), QLineEdit()
    for edit, name, accessible in ((first, "Password", words), (again, "PasswordAgain", f"{words} again")):
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        named(edit, f"{prefix}{name}", accessible)
    first.setPlaceholderText(f"At least {PASSWORD_MIN} characters")
    form.addRow(words, errors.beside("password", first, "the password"))
    form.addRow("Again", errors.beside("password_again", again, "the repeated password"))
    return first, again


class UsersDialog(QDialog):
    """Every account; add one; edit the chosen one (not its user name), deactivate it, set its password."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        guard_wheels()
        self.services = services
        named(self, "usersDialog", "Users")
        self.setWindowTitle("Users")
        self.resize(1160, 700)
        layout = QVBoxLayout(self)
        self.general = message_label("usersError", "Problem", error=True)
        self._build_table(layout)
        forms = QHBoxLayout()
        layout.addLayout(forms)
        forms.addWidget(self._build_adding(), 1)
        forms.addWidget(self._build_chosen(), 1)
        layout.addWidget(self.general)
        closing, self.close_button = close_row(self, "users")
        layout.addLayout(closing)
        self.accounts: list[Clinician] = []
        self.reload()

    # --- building ------------------------------------------------------------------------------
    def _build_table(self, layout: QVBoxLayout) -> None:
        """Every account, and the count line under it."""
        self.model = UserModel(self)
        self.view = make_table("userTable", "User accounts")
        self.view.setModel(self.model)
        fixed_columns(
            self.view,
            stretch=0,
            samples={
                1: "dwhitford00",
                2: "Clinician, Manager, Administrator",
                3: "Authorised to needle",
                4: "Active",
                5: "PT-000000",
            },
        )
        self.view.selectionModel().currentRowChanged.connect(self._current_changed)
        layout.addWidget(self.view, 1)
        self.count = message_label("userCount", "Number of accounts")
        layout.addWidget(self.count)

    def _build_adding(self) -> QGroupBox:
        """Adding a user: the account's fields and its first password."""
        adding = QGroupBox("Add a user")
        add_form = QFormLayout(adding)
        self.add_general = message_label("addUserError", "Problem adding the user", error=True)
        self.add_errors = FieldErrors("addUser", self.add_general)
        self.new = AccountFields("newUser", add_form, self.add_errors, with_username=True)
        self.new_password, self.new_again = password_pair("newUser", add_form, self.add_errors)
        self.add_button = button("Add user", "addUser", "Add the user", "Create the account with this password")
        self.add_button.clicked.connect(self.add_user)
        add_form.addRow("", row_of(self.add_button, 1))
        add_form.addRow(self.add_general)
        return adding

    def _build_chosen(self) -> QGroupBox:
        """The chosen user: its fields (not its user name), whether it is active, and a new password."""
        self.editing = QGroupBox("Selected user")
        edit_layout = QVBoxLayout(self.editing)
        edit_form = QFormLayout()
        edit_layout.addLayout(edit_form)
        self.edit_general = message_label("editUserError", "Problem saving the user", error=True)
        self.edit_errors = FieldErrors("editUser", self.edit_general)
        self.chosen_username = QLabel("")
        named(self.chosen_username, "editUserUsername", "User name (cannot be changed)")
        self.chosen_username.setTextFormat(Qt.TextFormat.PlainText)
        edit_form.addRow("User name", self.chosen_username)
        self.edit = AccountFields("editUser", edit_form, self.edit_errors, with_username=False)
        self.active = QCheckBox("Active (may sign in)")
        named(self.active, "editUserActive", "Active", "Untick to stop this account signing in; its notes stay")
        edit_form.addRow("", self.active)
        self.save_button = button("Save changes", "saveUser", "Save the user's changes")
        self.save_button.clicked.connect(self.save_user)
        self.password_button = button(
            "Set password…", "showSetPassword", "Set password", "Give this user a new password (also lifts a lock)"
        )
        self.password_button.setCheckable(True)
        self.password_button.toggled.connect(self._show_password_form)
        edit_form.addRow("", row_of(self.save_button, self.password_button, 1))
        edit_form.addRow(self.edit_general)
        edit_layout.addWidget(self._build_password_panel())
        self.edit_status = message_label("editUserStatus", "Saved")
        edit_layout.addWidget(self.edit_status)
        return self.editing

    def _build_password_panel(self) -> QFrame:
        """The chosen user's new password, typed twice (hidden until "Set password…" is pressed)."""
        self.password_frame = QFrame()
        named(self.password_frame, "setPasswordPanel", "New password")
        self.password_frame.setFrameShape(QFrame.Shape.StyledPanel)
        password_form = QFormLayout(self.password_frame)
        self.password_general = message_label("setPasswordError", "Problem setting the password", error=True)
        self.password_errors = FieldErrors("setPassword", self.password_general)
        self.set_password_1, self.set_password_2 = password_pair(
            "setPassword", password_form, self.password_errors, "New password"
        )
        self.set_password_button = button("Set password", "setPassword", "Set the new password")
        self.set_password_button.clicked.connect(self.set_password)
        self.set_password_2.returnPressed.connect(self.set_password)
        password_form.addRow("", row_of(self.set_password_button, 1))
        password_form.addRow(self.password_general)
        self.password_frame.hide()
        return self.password_frame

    # --- the table -----------------------------------------------------------------------------
    def reload(self, keep: int | None = None) -> None:
        self.general.clear()
        waiting: list[str] = []
        givers: list[str] = []
        try:
            self.accounts = self.services.accounts.users()
            waiting = self.services.accounts.without_key()
            givers = self.services.accounts.key_givers() if waiting else []
        except NeedlelogError as exc:
            self.general.setText(str(exc))
            self.accounts = []
            self.add_button.setEnabled(False)
        self.model.set_rows(self.accounts)
        active = sum(1 for account in self.accounts if account.active)
        self.count.setText(
            f"{counted(len(self.accounts), 'account')}, {active:,} active."
            + (f" {without_key_words(waiting, givers, holds_key=self.services.accounts.holds_key)}" if waiting else "")
            + (f" {NOT_ENCRYPTED_YET}" if waiting and self.services.file_key is None else "")
        )
        row = next((i for i, a in enumerate(self.accounts) if a.id == keep and keep is not None), -1)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))
        self._show_chosen(self.chosen())

    def chosen(self) -> Clinician | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.edit_status.clear()
        self._show_chosen(self.model.row_at(current.row()) if current.isValid() else None)

    def _show_chosen(self, account: Clinician | None) -> None:
        self.edit_errors.clear()
        self.password_errors.clear()
        self.password_button.setChecked(False)
        for widget in (self.active, self.save_button, self.password_button):
            widget.setEnabled(account is not None)
        if account is None:
            self.editing.setTitle("Selected user: choose one in the table")
            self.chosen_username.clear()
            self.edit.set_enabled(False)
            return
        self.editing.setTitle(f"Selected user: {account.display_name}")
        self.chosen_username.setText(account.username)
        self.edit.show(account)
        self.edit.set_enabled(True)
        self.active.setChecked(account.active)

    # --- adding --------------------------------------------------------------------------------
    def add_user(self) -> None:
        self.add_errors.clear()
        self.edit_status.clear()
        if self.new_password.text() != self.new_again.text():
            self.add_errors.refuse("password_again", PASSWORDS_DIFFER)
            return
        account = self.new.value(Clinician("", ""))
        try:
            added = self.services.accounts.add_user(account, self.new_password.text())
        except NeedlelogError as exc:
            self.add_errors.show(exc)
            return
        self.new.clear()
        self.new_password.clear()
        self.new_again.clear()
        self.reload(added.id)
        self.edit_status.setText(f"{added.display_name} ({added.username}) added as {role_words(added.roles)}.")

    # --- the chosen user -----------------------------------------------------------------------
    def save_user(self) -> None:
        account = self.chosen()
        if account is None:
            return
        self.edit_errors.clear()
        changed = replace(self.edit.value(account), active=self.active.isChecked())
        try:
            saved = self.services.accounts.update_user(changed)
        except NeedlelogError as exc:
            self.edit_errors.show(exc)
            return
        self.reload(saved.id)
        self.edit_status.setText(f"Changes to {saved.display_name} ({saved.username}) saved.")

    def _show_password_form(self, shown: bool) -> None:
        self.password_frame.setVisible(shown)
        self.set_password_1.clear()
        self.set_password_2.clear()
        self.password_errors.clear()
        if shown:
            self.set_password_1.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_password(self) -> None:
        account = self.chosen()
        if account is None or account.id is None:
            return
        self.password_errors.clear()
        if self.set_password_1.text() != self.set_password_2.text():
            self.password_errors.refuse("password_again", PASSWORDS_DIFFER)
            return
        try:
            self.services.accounts.set_password(account.id, self.set_password_1.text())
        except NeedlelogError as exc:
            self.password_errors.show(exc)
            return
        self.password_button.setChecked(False)  # hides and clears the two fields
        accounts = self.services.accounts
        try:
            givers = [] if accounts.holds_key else accounts.key_givers()
        except NeedlelogError:
            givers = []  # the password is set; only the names of who can give a copy are left out
        self.edit_status.setText(password_set_words(account.username, accounts.holds_key, givers))
