"""Importing media reports: CSV parsing, clear errors, and near-duplicate flags against what exists."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from corridor.accounts import domain as accounts_domain
from corridor.audit.models import AuditEntry
from corridor.documentation import imports
from corridor.documentation.models import Source
from corridor.documentation.tests.factories import officer, source

pytestmark = pytest.mark.django_db

ORIGINAL = (
    "Officers of the regiment detained twelve men in Argun on the first of March and beat them in a former military building"
)


def test_parse_csv_with_semicolons_and_a_bom() -> None:
    data = "\ufefftitle;text;address;published\nReport;Some text;https://example.org/a;2017/03/02\n".encode()
    rows = imports.parse_csv(data)
    assert imports.clean_reports(rows) == [
        {"title": "Report", "text": "Some text", "url": "https://example.org/a", "published": datetime.date(2017, 3, 2)}
    ]


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe not utf-8", b"text,address\nno title column,https://example.org\n"],
)
def test_parse_csv_refuses_clearly(data: bytes) -> None:
    with pytest.raises(ValidationError) as refused:
        imports.parse_csv(data)
    assert "file" in refused.value.message_dict


def test_bad_date_names_the_row() -> None:
    with pytest.raises(ValidationError) as refused:
        imports.clean_reports([{"title": "a"}, {"title": "b", "published": "March"}])
    assert list(refused.value.message_dict) == ["reports[1].published"]


def test_import_flags_copies_of_existing_and_of_each_other() -> None:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    existing = source(doc, team, title="Original", text=ORIGINAL)
    results = imports.import_reports(
        doc,
        team,
        [
            {"title": "Reprint", "text": "As reported: " + ORIGINAL},
            {"title": "Unrelated", "text": "The embassy announced a new programme for humanitarian visas this spring"},
            {"title": "Second reprint", "text": ORIGINAL + " according to witnesses"},
        ],
    )
    assert [r.source.title for r in results] == ["Reprint", "Unrelated", "Second reprint"]
    assert [m.pk for m, _score in results[0].matches] == [existing.pk]
    assert results[1].matches == []
    assert {m.pk for m, _score in results[2].matches} == {existing.pk, results[0].source.pk}
    assert AuditEntry.objects.filter(action="documentation.import.media").count() == 1


def test_import_is_all_or_nothing() -> None:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    with pytest.raises(ValidationError) as refused:
        imports.import_reports(doc, team, [{"title": "Good"}, {"title": "Bad", "url": "ftp://example.org"}])
    assert list(refused.value.message_dict) == ["reports[1].url"]
    assert Source.objects.count() == 0
