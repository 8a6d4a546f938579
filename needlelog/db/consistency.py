"""Whether every session's version agrees with the audit trail (`needlelog check` on a server).

Every use case that changes a session claims it at its version (the version goes up by one) and writes one
audit row naming it, in the same transaction: a save, a signature, an undone timer stop, a discard. So a
session can never have more of those audit rows than its version counts changes. More would mean two saves
claimed one version (a write lost), or the row was set back by hand. Fewer is not wrong: sessions charted
before the audit trail existed (schema 0005) and seeded ones carry versions without rows. An audit row naming
a session the chart does not hold is a session removed behind the triggers.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from needlelog.db.models import AuditRow, SessionRow
from needlelog.domain.access import AuditAction

VERSIONED = (
    AuditAction.SESSION_SAVED,
    AuditAction.SESSION_SIGNED,
    AuditAction.TIMER_RESUMED,
    AuditAction.SESSION_DISCARDED,
)
SHOWN = 20


def version_problems(engine: Engine) -> list[str]:
    """Each session whose version is behind its audited changes, and each audited session that is gone."""
    changes = func.count(AuditRow.id)
    stmt = (
        select(AuditRow.session_id, SessionRow.version, changes)
        .outerjoin(SessionRow, SessionRow.id == AuditRow.session_id)
        .where(AuditRow.session_id.is_not(None), AuditRow.action.in_(VERSIONED))
        .group_by(AuditRow.session_id, SessionRow.version)
        .having((SessionRow.version.is_(None)) | (changes > SessionRow.version - 1))
        .order_by(AuditRow.session_id)
    )
    problems = []
    with engine.connect() as conn:
        for session_id, stored, count in conn.execute(stmt):
            version: int | None = stored  # None: the outer join found no such session
            if version is None:
                problems.append(
                    f"versions: the audit trail records {count} change(s) to session {session_id}, "
                    "which the chart does not hold"
                )
            else:
                problems.append(
                    f"versions: session {session_id} is at version {version}, but the audit trail "
                    f"records {count} change(s) to it (a save lost, or the row set back)"
                )
    if len(problems) > SHOWN:
        return [*problems[:SHOWN], f"versions: and {len(problems) - SHOWN} more sessions"]
    return problems
