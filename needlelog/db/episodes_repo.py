"""Episodes of care (schema 0011): stored, listed, counted, and the episode a draft belongs to.

Functions take the caller's ORM session: the service owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from needlelog.db.models import EpisodeRow, SessionRow
from needlelog.domain.episodes import Episode, episode_for
from needlelog.domain.vocab import Condition, SessionStatus


def episode_from_row(row: EpisodeRow) -> Episode:
    return Episode(row.patient_id, row.plan, row.started_on, row.condition, row.closed_on, row.id)


def patient_episodes(db: Session, patient_id: int) -> list[Episode]:
    """The patient's episodes, latest started first."""
    stmt = (
        select(EpisodeRow)
        .where(EpisodeRow.patient_id == patient_id)
        .order_by(EpisodeRow.started_on.desc(), EpisodeRow.id.desc())
    )
    return [episode_from_row(row) for row in db.scalars(stmt)]


def signed_visit_counts(db: Session, episode_ids: Iterable[int]) -> dict[int, int]:
    """Each episode's signed visits (an index read: ``treatment_session (episode_id, status)``)."""
    wanted = sorted(set(episode_ids))
    counts = dict.fromkeys(wanted, 0)
    if wanted:
        stmt = (
            select(SessionRow.episode_id, func.count())
            .where(SessionRow.episode_id.in_(wanted), SessionRow.status == SessionStatus.SIGNED)
            .group_by(SessionRow.episode_id)
        )
        counts.update({episode_id: count for episode_id, count in db.execute(stmt) if episode_id is not None})
    return counts


def add_episode(db: Session, episode: Episode, now: datetime) -> Episode:
    """Store a new episode, closing on its start date the patient's open episodes it takes over from: those for
    the same condition and those that name none. Open drafts move to the episode that now fits them."""
    for open_row in db.scalars(
        select(EpisodeRow).where(EpisodeRow.patient_id == episode.patient_id, EpisodeRow.closed_on.is_(None))
    ):
        if open_row.condition is None or open_row.condition is episode.condition:
            open_row.closed_on = max(episode.started_on, open_row.started_on)
    row = EpisodeRow(
        patient_id=episode.patient_id,
        condition=episode.condition,
        plan=episode.plan,
        started_on=episode.started_on,
        closed_on=None,
        created_at=now,
    )
    db.add(row)
    db.flush()
    relink_drafts(db, episode.patient_id)
    return episode_from_row(row)


def episode_id_for(db: Session, patient_id: int, condition: Condition | None) -> int | None:
    """The episode a visit of the patient for ``condition`` counts in now (:func:`episode_for`)."""
    chosen = episode_for(condition, patient_episodes(db, patient_id))
    return None if chosen is None else chosen.id


def relink_drafts(db: Session, patient_id: int) -> None:
    """Every open draft of the patient linked to the episode that fits it now (signed visits keep theirs)."""
    episodes = patient_episodes(db, patient_id)
    drafts = db.execute(
        select(SessionRow.id, SessionRow.condition, SessionRow.episode_id).where(
            SessionRow.patient_id == patient_id, SessionRow.status == SessionStatus.DRAFT
        )
    ).all()
    for session_id, condition, linked in drafts:
        chosen = episode_for(condition, episodes)
        wanted = None if chosen is None else chosen.id
        if wanted != linked:
            db.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id)
                .values(episode_id=wanted)
                .execution_options(synchronize_session=False)
            )
