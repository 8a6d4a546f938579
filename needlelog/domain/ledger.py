"""The needle ledger: needles in and out at every site, sharps confirmed, the count that must balance to sign."""

from __future__ import annotations

from dataclasses import dataclass

from needlelog.domain.model import NeedlingSite, TreatmentSession
from needlelog.domain.problems import FieldPath, FieldProblem, site_number


def site_name(index: int, site: NeedlingSite) -> str:
    """ "Site 2 (left upper trapezius)": the site's number, side and muscle (or region), as the ledger names it."""
    what = site.muscle or (site.region.label.lower() if site.region is not None else "")
    where = " ".join(part for part in ((site.side.label.lower() if site.side else ""), what) if part)
    return f"{site_number(index)} ({where})" if where else site_number(index)


@dataclass(frozen=True, slots=True)
class SiteLedger:
    """One site's needles in and out, and its name for the person counting ("Site 2 (left upper trapezius)")."""

    index: int
    name: str
    inserted: int
    removed: int

    @property
    def outstanding(self) -> int:
        return self.inserted - self.removed

    def problem(self) -> FieldProblem | None:
        path: FieldPath = ("sites", self.index, "needles_out")
        if self.outstanding > 0:
            word = "needle" if self.inserted == 1 else "needles"
            return FieldProblem.at(path, f"{self.name}: {self.outstanding} of {self.inserted} {word} not counted out.")
        if self.outstanding < 0:
            return FieldProblem.at(
                path, f"{self.name}: {self.removed} counted out but only {self.inserted} inserted; recount."
            )
        return None


@dataclass(frozen=True, slots=True)
class NeedleLedger:
    """Needles in, needles out at every site, sharps confirmed: the count that must balance before signing.

    The session's ledger is the sum of its sites'; a site's needles are counted out when its timer stops
    (adjustable until the note is signed), so a needle missing at the end is traced to its site.
    """

    inserted: int
    removed: int
    sharps_disposed: bool
    sites: tuple[SiteLedger, ...] = ()

    @classmethod
    def of(cls, session: TreatmentSession) -> NeedleLedger:
        sites = tuple(
            SiteLedger(i, site_name(i, site), site.needles or 0, site.needles_out)
            for i, site in enumerate(session.sites)
        )
        return cls(session.needles_inserted, session.needles_removed, session.sharps_disposed, sites)

    @property
    def outstanding(self) -> int:
        return self.inserted - self.removed

    @property
    def unaccounted(self) -> tuple[SiteLedger, ...]:
        """The sites whose needles out differ from their needles in."""
        return tuple(site for site in self.sites if site.outstanding != 0)

    @property
    def reconciled(self) -> bool:
        return self.inserted > 0 and self.outstanding == 0 and not self.unaccounted and self.sharps_disposed

    def problems(self) -> list[FieldProblem]:
        problems = [p for p in (site.problem() for site in self.sites) if p is not None]
        if not self.sharps_disposed:
            problems.append(
                FieldProblem(
                    "sharps_disposed",
                    "Needle ledger: confirm disposal in the sharps container.",
                )
            )
        return problems

    def summary(self) -> str:
        """What is missing, short enough for three lines beside the sites (each site's own words are at Sign):
        "5 needles not counted out: sites 1, 2 and 8. Not yet in the sharps container."."""
        if self.inserted == 0:
            return "No needles yet."
        parts: list[str] = []
        short = [site for site in self.unaccounted if site.outstanding > 0]
        over = [site for site in self.unaccounted if site.outstanding < 0]
        if short:
            count = sum(site.outstanding for site in short)
            parts.append(f"{count} {'needle' if count == 1 else 'needles'} not counted out: {_sites(short)}.")
        if over:
            parts.append(f"More counted out than in: {_sites(over)}; recount.")
        if not self.sharps_disposed:
            parts.append("Not yet in the sharps container.")
        return " ".join(parts)


def _sites(sites: list[SiteLedger]) -> str:
    numbers = [str(site.index + 1) for site in sites]
    if len(numbers) == 1:
        return f"site {numbers[0]}"
    return f"sites {', '.join(numbers[:-1])} and {numbers[-1]}"
