"""The needle ledger's short summary beside the sites: numbers only, so that it fits three lines at 1366 pixels."""

from __future__ import annotations

from dataclasses import replace

from needlelog.domain.ledger import NeedleLedger
from needlelog.domain.model import NeedlingSite, TreatmentSession
from needlelog.domain.vocab import BodyRegion, Side
from tests.conftest import NOW


def session(*counts: tuple[int, int], sharps: bool = False) -> TreatmentSession:
    sites = tuple(
        NeedlingSite(region=BodyRegion.NECK, side=Side.LEFT, muscle="upper trapezius", needles=n, needles_out=out)
        for n, out in counts
    )
    return replace(
        TreatmentSession(patient_id=1, clinician_id=1, service_start=NOW), sites=sites, sharps_disposed=sharps
    )


def test_the_summary_names_sites_by_number_and_counts_the_needles_still_in() -> None:
    assert NeedleLedger.of(session()).summary() == "No needles yet."
    assert NeedleLedger.of(session((2, 0))).summary() == (
        "2 needles not counted out: site 1. Not yet in the sharps container."
    )
    ten = session(*[(2, 0)] * 9, (1, 0), sharps=True)
    assert NeedleLedger.of(ten).summary() == "19 needles not counted out: sites 1, 2, 3, 4, 5, 6, 7, 8, 9 and 10."
    assert NeedleLedger.of(session((1, 0), (2, 3), (2, 2), sharps=True)).summary() == (
        "1 needle not counted out: site 1. More counted out than in: site 2; recount."
    )
    assert NeedleLedger.of(session((2, 2), sharps=True)).summary() == ""
