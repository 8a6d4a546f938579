"""What an account must say: a one-word user name, a name, short credentials, at least one role."""

from __future__ import annotations

from needlelog.domain.model import Clinician
from needlelog.domain.problems import FieldProblem
from needlelog.domain.text import TEXT_LIMITS, is_blank, text_problems

USERNAME_MAX = TEXT_LIMITS["account.username"]


def account_problems(account: Clinician) -> list[FieldProblem]:
    problems = []
    username = account.username.strip()
    if not username:
        problems.append(FieldProblem("username", "User name is required."))
    elif len(username) > USERNAME_MAX or any(c.isspace() for c in username):
        problems.append(FieldProblem("username", f"User name: one word of at most {USERNAME_MAX} characters."))
    else:
        problems += text_problems("username", "User name", username, "account.username")
    if is_blank(account.display_name):
        problems.append(FieldProblem("display_name", "Name is required."))
    for name, label in (
        ("display_name", "Name"),
        ("credentials", "Credentials"),
        ("registration_number", "Registration number"),
    ):
        problems += text_problems(name, label, getattr(account, name), f"account.{name}")
    if not account.roles:
        problems.append(FieldProblem("roles", "Give the user at least one role."))
    return problems
