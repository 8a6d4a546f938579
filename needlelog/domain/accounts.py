"""What an account must say: a one-word user name, a name, short credentials, at least one role."""

from __future__ import annotations

from needlelog.domain.model import Clinician
from needlelog.domain.rules import SHORT_TEXT_MAX, FieldProblem

USERNAME_MAX = 80


def account_problems(account: Clinician) -> list[FieldProblem]:
    problems = []
    username = account.username.strip()
    if not username:
        problems.append(FieldProblem("username", "User name is required."))
    elif len(username) > USERNAME_MAX or any(c.isspace() for c in username):
        problems.append(FieldProblem("username", f"User name: one word of at most {USERNAME_MAX} characters."))
    if not account.display_name.strip():
        problems.append(FieldProblem("display_name", "Name is required."))
    for name, label in (
        ("display_name", "Name"),
        ("credentials", "Credentials"),
        ("registration_number", "Registration number"),
    ):
        if len(getattr(account, name)) > SHORT_TEXT_MAX:
            problems.append(FieldProblem(name, f"{label} is longer than {SHORT_TEXT_MAX} characters."))
    if not account.roles:
        problems.append(FieldProblem("roles", "Give the user at least one role."))
    return problems
