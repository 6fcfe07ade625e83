"""`corridor createuser` prints an enrolment link for the address the instance serves."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command

from corridor.core import served

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

pytestmark = pytest.mark.django_db


def _link(**options: str) -> str:
    out = StringIO()
    call_command("createuser", stdout=out, **options)
    return out.getvalue().splitlines()[-1]


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:8000", "http://localhost:8000"),
        ("0.0.0.0:9000", "http://localhost:9000"),  # noqa: S104 -- a bind to recognise, nothing listens
        ("[::1]:8080", "http://localhost:8080"),
        ("corridor.example.org:80", "http://corridor.example.org"),
        ("10.1.2.3:8000", "http://10.1.2.3:8000"),
    ],
)
def test_a_loopback_bind_is_given_as_localhost(bind: str, url: str) -> None:
    assert served.url_for_bind(bind) == url


def test_the_link_follows_the_address_serve_bound(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    settings.BASE_URL_CONFIGURED = False
    link = _link(username="first", role="caseworker", noinput=True)
    assert link.startswith("http://localhost:8000/accounts/enrol/"), link
    served.record("127.0.0.1:8123")
    assert _link(username="second", role="caseworker", noinput=True).startswith("http://localhost:8123/accounts/enrol/")


def test_the_configured_base_url_and_the_option_win(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    served.record("127.0.0.1:8123")
    settings.BASE_URL_CONFIGURED = True
    settings.BASE_URL = "https://corridor.example.org/"
    assert _link(username="third", role="caseworker").startswith("https://corridor.example.org/accounts/enrol/")
    option = _link(username="fourth", role="caseworker", base_url="https://other.example.org")
    assert option.startswith("https://other.example.org/accounts/enrol/")
