"""Who holds a copy of the chart key, as the seals know it (issue 13): what the next keyed write may seal for others.

An account that holds no copy of the key (its password from before the key: a chart upgraded to 0014) signs in
and charts without it, and what it writes is sealed by the next write that holds the key. Someone with the file
and without the key can write rows too, and a forged row cannot be told from a keyless account's by its bytes.
What can be told: who the row says wrote it. So a row waiting for a seal is sealed only if the account it names
(the audit row's actor, the record's author or signer) holds no copy of the key and never held one; an account
that holds a copy seals what it writes itself, so a row in its name without a seal was not written by it.
Anything else waiting stays unsealed, behind the head, and `needlelog check` names it.

"Never held one" is kept in the seals themselves: the first keyed write after an account gets its copy seals a
*keyholder* mark for it (``record_seal`` kind ``keyholder``, row id the account's, append-only), so deleting an
account's wrapping to pass it off as keyless is found too (the mark stays, the copy is gone).
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from needlelog.db.models import ClinicianRow, KeyWrappingRow, RecordSealRow

KEYHOLDER = "keyholder"


def _mark(key: bytes, account_id: int) -> str:
    message = f'["{KEYHOLDER}",{int(account_id)}]'.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _marked(db: Session) -> dict[int, str]:
    rows = db.execute(select(RecordSealRow.row_id, RecordSealRow.seal).where(RecordSealRow.kind == KEYHOLDER))
    return {int(account): seal for account, seal in rows}


def _wrapped(db: Session) -> set[int]:
    accounts = db.scalars(select(KeyWrappingRow.clinician_id).where(KeyWrappingRow.clinician_id.is_not(None)))
    return {int(account) for account in accounts if account is not None}


def mark_keyholders(db: Session, key: bytes) -> None:
    """Seal a keyholder mark for each account that holds a copy of the key and has none yet (a keyed write)."""
    new = _wrapped(db) - _marked(db).keys()
    if new:
        db.execute(
            insert(RecordSealRow),
            [{"kind": KEYHOLDER, "row_id": account, "seal": _mark(key, account)} for account in sorted(new)],
        )


def keyholders(db: Session) -> set[int]:
    """The accounts that hold a copy of the key or ever held one (their marks are not checked here: `check`
    names a forged mark)."""
    return _wrapped(db) | _marked(db).keys()


def keyless_names(db: Session) -> dict[str, int]:
    """The accounts that never held a copy of the key, by user name (as the audit trail writes it)."""
    held = keyholders(db)
    rows = db.execute(select(ClinicianRow.id, ClinicianRow.username))
    return {str(name): int(ident) for ident, name in rows if int(ident) not in held}


def holder_names(db: Session) -> set[str]:
    """The user names of the accounts that hold or held a copy, lower case (as an audit row may spell one)."""
    held = keyholders(db)
    rows = db.execute(select(ClinicianRow.id, func.lower(ClinicianRow.username)))
    return {str(name) for ident, name in rows if int(ident) in held}


def keyholder_problems(db: Session, key: bytes) -> list[str]:
    """Each keyholder mark that is forged, and each account whose mark says it held a copy that is gone."""
    problems = []
    wrapped = _wrapped(db)
    names = {int(ident): str(name) for ident, name in db.execute(select(ClinicianRow.id, ClinicianRow.username))}
    for account, seal in sorted(_marked(db).items()):
        who = names.get(account, f"account {account}")
        if not hmac.compare_digest(seal, _mark(key, account)):
            problems.append(f"seal: the mark that {who} holds a copy of the chart key does not match its seal: forged")
        elif account not in wrapped:
            problems.append(
                f"seal: {who} held a copy of the chart key and it is gone: its wrapping was deleted "
                "(an administrator who holds the key sets the password again to give a new copy)"
            )
    return problems
