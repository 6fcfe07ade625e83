"""Fuzz of the documentation import of media reports (corridor/documentation/imports.py):
any CSV bytes, and any rows the API hands over, are reports or a ValidationError with a
message, never another exception (the page and the API would answer 500).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corridor.documentation.imports import clean_reports, parse_csv

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
columns = st.sampled_from(["title", "text", "address", "url", "author", "outlet", "published", " Title ", ""]) | st.text(
    max_size=8
)


def _check(call: Any) -> Any:
    try:
        return call()
    except ValidationError as error:
        assert error.messages and all(message.strip() for message in error.messages)
        return None


@FUZZ
@given(st.binary(max_size=1500))
@example(b"title," + b"x" * 200_000)  # found here: a header field over csv's limit escaped as csv.Error (500)
@example(b'title\n"' + b"x" * 200_000)
@example(b"title;text\n\x00;\x00")
@example(b"\xef\xbb\xbftitle,published\na,2024/13/01")
def test_any_csv_is_reports_or_a_clear_refusal(data: bytes) -> None:
    rows = _check(lambda: parse_csv(data))
    if rows is not None:
        _check(lambda: clean_reports(rows))


@FUZZ
@given(st.lists(st.dictionaries(columns, scalars | st.lists(scalars, max_size=2), max_size=6), max_size=6))
@example([{"published": "2024-02-30"}])
@example([{"published": 20240101}])
def test_any_rows_are_cleaned_or_refused(rows: list[dict[str, Any]]) -> None:
    cleaned = _check(lambda: clean_reports(rows))
    if cleaned is not None:
        assert len(cleaned) == len(rows)
        assert all("title" in report and "published" in report for report in cleaned)
