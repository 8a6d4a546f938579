"""Needle lots: the clinic's inventory, what a lot must say, and the rule that an expired lot is not used.

The editor (as the clinician types) and the sign use case (before a note is signed) call the same
:func:`expired_lot_problems`, so the rule and its words exist once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from needlelog.domain.model import TreatmentSession
from needlelog.domain.rules import FieldProblem, local_date
from needlelog.domain.text import is_blank, text_problems

_LOT_FIELDS = (("brand", "Brand"), ("size", "Size"), ("lot", "Lot number"))


@dataclass(frozen=True, slots=True)
class NeedleLot:
    brand: str
    size: str
    lot: str
    expiry: date
    id: int | None = None

    def expired_on(self, day: date) -> bool:
        return day > self.expiry

    @property
    def label(self) -> str:
        return f"{self.lot} · {self.brand} {self.size} · exp. {self.expiry.isoformat()}"


def lot_key(lot_number: str) -> str:
    """Lot numbers are compared without regard to case or surrounding spaces, as the recall searches them."""
    return lot_number.strip().lower()


def lot_problems(lot: NeedleLot) -> list[FieldProblem]:
    """A lot added to the inventory names its brand, size and number, each on one short line."""
    problems = []
    for name, label in _LOT_FIELDS:
        value = getattr(lot, name)
        if is_blank(value):
            problems.append(FieldProblem(name, f"{label} is required."))
        else:
            problems += text_problems(name, label, value, f"lot.{name}")
    return problems


def expired_lot_problems(session: TreatmentSession, lots: Iterable[NeedleLot]) -> list[FieldProblem]:
    """Each site whose needle lot, a lot of the clinic's inventory, had expired on the service day.

    ``lots`` is the inventory (or any part of it that holds the sites' lots); a lot not in it is not judged.
    """
    by_key = {lot_key(lot.lot): lot for lot in lots}
    service_day = local_date(session.service_start)
    problems: list[FieldProblem] = []
    for i, site in enumerate(session.sites):
        lot = by_key.get(lot_key(site.needle_lot)) if site.needle_lot.strip() else None
        if lot is not None and lot.expired_on(service_day):
            problems.append(
                FieldProblem.at(
                    ("sites", i, "needle_lot"),
                    f"Site {i + 1}: needle lot {lot.lot} expired on {lot.expiry.isoformat()}; choose another lot.",
                )
            )
    return problems


def session_lot_problems(
    session: TreatmentSession, lots: Iterable[NeedleLot], *, inventory_kept: bool
) -> list[FieldProblem]:
    """Every site whose needle lot cannot have been used: expired on the service day, or, where the clinic
    keeps an inventory (``inventory_kept``), not in it (a typo such as X9999-01 would defeat a recall).

    ``lots`` holds at least the inventory's lots that the sites name."""
    problems = expired_lot_problems(session, lots)
    if not inventory_kept:
        return problems
    known = {lot_key(lot.lot) for lot in lots}
    for i, site in enumerate(session.sites):
        if site.needle_lot.strip() and lot_key(site.needle_lot) not in known:
            problems.append(
                FieldProblem.at(
                    ("sites", i, "needle_lot"),
                    f"Site {i + 1}: needle lot {site.needle_lot.strip()} is not in the clinic's needle-lot "
                    "inventory; choose one of its lots, or ask a manager to add it (Manager > Needle lots).",
                )
            )
    return sorted(problems, key=lambda problem: problem.path)


def usable_lots(lots: Iterable[NeedleLot], day: date) -> list[NeedleLot]:
    """The lots that may be chosen on ``day``: an expired lot cannot be."""
    return [lot for lot in lots if not lot.expired_on(day)]
