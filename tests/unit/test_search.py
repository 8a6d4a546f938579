from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from needlelog.domain.search import chart_key, parse_patient_query, prefix_upper_bound, search_key


def test_search_key_folds_case_and_accents() -> None:
    assert search_key("Zoë") == "zoe"
    assert search_key("Nguyễn") == "nguyen"
    assert search_key("ØYVIND") == "øyvind"
    assert search_key("  Алёна  ") == "алена"
    assert search_key("李") == "李"


def test_query_reads_names_chart_numbers_and_birth_dates_in_any_order() -> None:
    query = parse_patient_query("1984-05-17  Nguyễn, zo")
    assert query.words == ("nguyen", "zo")
    assert query.date_of_birth == date(1984, 5, 17)
    assert parse_patient_query("").is_empty
    assert parse_patient_query("2023-02-30").words == ("2023-02-30",)  # not a real date: searched as text
    assert chart_key(" c 100 ") == "C100"


@given(st.text(min_size=1, max_size=8).filter(lambda s: s[-1] != chr(0x10FFFF)), st.text(max_size=8))
def test_prefix_upper_bound_covers_every_continuation(prefix: str, rest: str) -> None:
    assert prefix <= prefix + rest < prefix_upper_bound(prefix)
