"""One date and time format per language, and the time zone where the hour matters."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from corridor.cases.models import BreakGlass
from corridor.cases.tests.test_views_workflow import build, worker_client
from corridor.core import dates

AT = datetime.datetime(2026, 12, 1, 0, 34, tzinfo=datetime.UTC)
FORMATS = '{{ at|date:"DATE_FORMAT" }}|{{ at|date:"DATETIME_FORMAT" }}|{{ at|date:"SHORT_DATE_FORMAT" }}|{{ at|date:"SHORT_DATETIME_FORMAT" }}|{{ at|time }}'


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "1 December 2026|1 December 2026, 00:34|1 Dec 2026|1 Dec 2026, 00:34|00:34"),
        ("ru", "1 декабря 2026|1 декабря 2026, 00:34|01.12.2026|01.12.2026, 00:34|00:34"),
    ],
)
def test_each_language_has_one_24_hour_format(language: str, said: str) -> None:
    with translation.override(language):
        assert Template(FORMATS).render(Context({"at": AT})) == said


def test_a_moment_carries_its_date_and_time_zone() -> None:
    template = Template("{% load corridor_dates %}{{ at|moment }}")
    with translation.override("en"):
        assert dates.moment(AT) == "1 December 2026, 00:34 (UTC)"
        assert template.render(Context({"at": AT})) == "1 December 2026, 00:34 (UTC)"
    with translation.override("ru"):
        assert dates.moment(AT) == "1 декабря 2026, 00:34 (UTC)"


@pytest.mark.django_db
def test_break_glass_says_until_which_date_time_and_zone() -> None:
    cases = build()
    worker, client = worker_client(cases)
    opened = client.post(
        reverse("cases:break_glass"), {"reference": cases.b.reference, "reason": "The hotline got a call: he is detained."}
    )
    grant = BreakGlass.objects.get(user=worker, case=cases.b)
    said = [str(message) for message in get_messages(opened.wsgi_request)]
    with translation.override("en"):
        until = dates.moment(grant.expires)
    assert said == [f"Emergency access to {cases.b.reference} until {until}. Administrators have been alerted."]
    assert until.endswith("(UTC)")
