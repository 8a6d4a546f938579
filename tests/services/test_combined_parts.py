"""A combined PDF rendered in parts on every core and joined: the same pages and a bookmark per visit on its first
page, as one process renders it; the parts never left behind."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pypdf
import pytest

from needlelog.services import exporting
from needlelog.services.exporting import ExportCriteria
from needlelog.services.seeding import seed_chart
from needlelog.services.store import Services, build_services, engine_at_head
from tests.conftest import NOW, FakeClock

LAST_MONTHS = ExportCriteria(date(2024, 1, 1), date(2026, 3, 10))


@pytest.fixture
def chart(tmp_path: Path) -> Iterator[Services]:
    engine = engine_at_head(tmp_path / "chart.sqlite")
    seed_chart(engine, 20, 200, seed=3, now=NOW, workers=1, history_days=200)
    services = build_services(engine, FakeClock())
    yield services
    services.close()


def outline(path: Path) -> list[tuple[str, int]]:
    reader = pypdf.PdfReader(path)
    return [(entry.title, reader.get_destination_page_number(entry)) for entry in reader.outline]  # type: ignore[union-attr]


@pytest.mark.timeout(120)
def test_parts_joined_give_the_pages_and_bookmarks_of_one_render(chart: Services, tmp_path: Path) -> None:
    matched = chart.exports.count(LAST_MONTHS)
    assert matched >= 2 * exporting.PART_NOTES  # rendered in parts with two workers
    whole, joined = tmp_path / "whole.pdf", tmp_path / "joined.pdf"
    chart.exports.export(LAST_MONTHS, tmp_path, per_visit=False, combined=whole, workers=1)
    result = chart.exports.export(LAST_MONTHS, tmp_path, per_visit=False, combined=joined, workers=2)
    assert result.combined == joined and not result.cancelled
    marks = outline(joined)
    assert len(marks) == matched
    assert marks == outline(whole)  # the same titles, each on the same page
    pages = [page for _, page in marks]
    assert pages[0] == 0 and pages == sorted(set(pages))  # each visit's own first page, in order
    reader = pypdf.PdfReader(joined)
    assert len(reader.pages) == len(pypdf.PdfReader(whole).pages)
    assert reader.metadata is not None and reader.metadata.title == f"Visit notes ({matched})"
    for title, page in marks[:: max(1, matched // 10)]:
        text = reader.pages[page].extract_text()
        assert "Page 1 of" in text
        chart_number = title.split("(")[1].split(")")[0]
        assert chart_number in text
    assert joined.stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("chart.")) == ["joined.pdf", "whole.pdf"]
    assert multiprocessing.active_children() == []


@pytest.mark.timeout(120)
def test_per_visit_files_and_the_combined_parts_share_the_workers(chart: Services, tmp_path: Path) -> None:
    out, combined = tmp_path / "out", tmp_path / "all.pdf"
    result = chart.exports.export(LAST_MONTHS, out, combined=combined, workers=2)
    assert result.written == result.matched == len(outline(combined))
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("chart.")) == ["all.pdf", "out"]
