"""Headers and hosts: every response carries the CSP, no page points at another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.core.middleware import CSP

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Any absolute or protocol-relative URL in an attribute that makes the browser fetch or go somewhere.
EXTERNAL = re.compile(r"""(?:src|href|action|srcset|poster|data|formaction)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
CSS_EXTERNAL = re.compile(r"""(?:url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//)""", re.I)


def _templates() -> list[Path]:
    return sorted(ROOT.glob("*/templates/**/*.html"))


def test_templates_exist_to_scan() -> None:
    assert len(_templates()) >= 20


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_references_another_host(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert EXTERNAL.findall(source) == []
    assert CSS_EXTERNAL.findall(source) == []


def test_static_files_fetch_nothing_from_elsewhere() -> None:
    for path in (ROOT / "web" / "static").rglob("*.css"):
        assert CSS_EXTERNAL.findall(path.read_text()) == [], path


def _pages_for(role: str) -> list[str]:
    names = ["web:dashboard", "accounts:security", "accounts:users", "accounts:new_user", "web:unseal", "audit:log"]
    return [reverse(name) for name in names]


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CASEWORKER, Role.TRUSTEE, Role.AUDITOR])
def test_every_response_has_csp_and_no_external_reference(role: str) -> None:
    client = sign_in(Client(), make_staff(role))
    anonymous = Client()
    urls = _pages_for(role) + [reverse("accounts:login"), "/no-such-page/"]
    seen = 0
    for url in urls:
        for who in (client, anonymous):
            response = who.get(url)
            assert response["Content-Security-Policy"] == CSP, url
            assert "default-src 'none'" in response["Content-Security-Policy"]
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Referrer-Policy"] == "same-origin"
            assert response["X-Frame-Options"] == "DENY"
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                html = response.content.decode()
                assert EXTERNAL.findall(html) == [], url
                seen += 1
    assert seen >= 3


def test_csp_names_no_other_host() -> None:
    for directive in CSP.split(";"):
        sources = directive.split()[1:]
        assert set(sources) <= {"'self'", "'none'", "data:"}, directive


def test_login_page_in_russian() -> None:
    response = Client(headers={"accept-language": "ru"}).get(reverse("accounts:login"))
    html = response.content.decode()
    assert 'lang="ru"' in html
    assert "Войти" in html


def test_language_switch_without_javascript() -> None:
    client = Client()
    response = client.post(reverse("web:language"), {"language": "ru", "next": reverse("accounts:login")})
    assert response.status_code == 302
    assert 'lang="ru"' in client.get(reverse("accounts:login")).content.decode()


def test_error_pages_do_not_leak_and_are_not_500() -> None:
    response = Client().get("/accounts/teams/not-a-number/")
    assert response.status_code == 404


def test_anonymous_error_page_sets_no_cookie() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response.cookies == {}
