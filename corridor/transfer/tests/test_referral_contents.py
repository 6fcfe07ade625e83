"""Review R2: what a bundle's contents keep once parsed. The sender puts the date of birth's
precision beside the date (domain/referrals.py _person_values); parsing kept only keys named
in the field list, so "born in 1994" arrived as exactly 1 January 1994."""

from __future__ import annotations

import datetime

from corridor.transfer import referrals as bundle


def _contents(fields: list[str], person: dict[str, str]) -> bundle.Contents:
    return bundle.Contents(
        id="7d0c1f0e-7c57-4a53-9d39-2b8a3a1c1d11",
        created=datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC),
        sender="s",
        recipient="r",
        codename="Codename",
        fields=fields,
        person=person,
        case={},
    )


def test_the_birth_dates_precision_travels_with_it() -> None:
    sent = _contents(["names", "birth_date"], {"birth_date": "1994-01-01", "birth_precision": "year"})
    parsed = bundle.parse_contents(sent.to_json())
    assert parsed.person == {"birth_date": "1994-01-01", "birth_precision": "year"}


def test_nothing_unchosen_is_kept() -> None:
    sent = _contents(["names"], {"birth_date": "1994-01-01", "birth_precision": "year", "location": "Tbilisi"})
    parsed = bundle.parse_contents(sent.to_json())
    assert parsed.person == {}
