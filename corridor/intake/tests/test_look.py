"""Issue 18, items 3 and 4: the intake page's name and look, the logo's cleaning, the quick exit,
and the public page's guarantees with every look option set: no cookie, no other host."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.intake import questionnaire
from corridor.intake.domain import look as look_actions
from corridor.intake.tests.helpers import HELP, RETURN, SEND, answers, passphrase_in

pytestmark = pytest.mark.django_db

LEAVE = HELP + "leave/"
LOGO = HELP + "logo/"
EXIT = "https://weather.example.org/today"
ORG_RU, ORG_EN = "Сеть Светлячок", "Firefly Network"
GPS_PLANT = "GPS-PLANT"
COMMENT_PLANT = "COMMENT-PLANT-Grozny"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _photo() -> bytes:
    """A JPEG carrying EXIF GPS (with a planted string), a maker note and a comment."""
    image = Image.new("RGB", (900, 600), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "PlantedCameraMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (43.0, 18.0, 51.0)
    gps[3] = "E"
    gps[4] = (45.0, 41.0, 39.0)
    gps[27] = GPS_PLANT  # GPSProcessingMethod
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=COMMENT_PLANT.encode())
    data = out.getvalue()
    assert GPS_PLANT.encode() in data and COMMENT_PLANT.encode() in data and b"PlantedCameraMaker" in data
    return data


def _everything(admin: Any) -> None:
    """Every look option set, the logo included."""
    client = sign_in(Client(), admin)
    response = client.post(
        "/intake/look/",
        {
            "name_ru": ORG_RU,
            "name_en": ORG_EN,
            "introduction_ru": "Мы помогаем.",
            "introduction_en": "We help.",
            "page_title_ru": "Погода",
            "page_title_en": "Weather",
            "quick_exit_url": EXIT,
            "logo": SimpleUploadedFile("logo.jpg", _photo(), content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


# -- the action ---------------------------------------------------------------------------------


def test_only_admins_change_the_look_and_each_change_is_audited() -> None:
    with pytest.raises(PermissionDenied):
        look_actions.save_look(make_staff(Role.HOTLINE), look_actions.LookChange(no_name=True))
    admin = make_staff(Role.ADMIN)
    look_actions.save_look(admin, look_actions.LookChange(name={"en": ORG_EN}, quick_exit_url=EXIT))
    look_actions.save_look(admin, look_actions.LookChange(name={"en": ORG_EN}, quick_exit_url=EXIT))  # unchanged
    entries = list(AuditEntry.objects.filter(action="intake.look.change"))
    assert [e.actor_id for e in entries] == [admin.pk]
    row = questionnaire.look()
    assert (row.name, row.quick_exit_url) == ({"en": ORG_EN}, EXIT)


@pytest.mark.parametrize(
    "url",
    ["http://weather.example.org/", "javascript:alert(1)", "//weather.example.org/", "https://user:pw@example.org/", "weather"],
)
def test_the_quick_exit_address_must_be_https(url: str) -> None:
    with pytest.raises(ValidationError):
        look_actions.save_look(make_staff(Role.ADMIN), look_actions.LookChange(quick_exit_url=url))
    assert questionnaire.look().quick_exit_url == ""


# -- the logo -----------------------------------------------------------------------------------


def test_the_logo_is_served_from_here_without_its_metadata() -> None:
    _everything(make_staff(Role.ADMIN))
    response = Client().get(LOGO)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.cookies == {}
    served = response.content
    for planted in (GPS_PLANT, COMMENT_PLANT, "PlantedCameraMaker"):
        assert planted.encode() not in served
        assert planted.encode("utf-16-le") not in served
    stored = bytes(questionnaire.look().logo or b"")
    assert stored == served
    with Image.open(io.BytesIO(served)) as image:
        assert image.format == "PNG"
        assert dict(image.getexif()) == {}
        assert sorted(k for k in image.info if k not in ("dpi",)) == []
        assert max(image.size) == 400


def test_a_logo_that_is_not_an_image_is_refused_with_a_reason() -> None:
    client = sign_in(Client(), make_staff(Role.ADMIN))
    response = client.post("/intake/look/", {"logo": SimpleUploadedFile("logo.pdf", b"%PDF-1.4\n%%EOF\n")})
    assert response.status_code == 400
    assert questionnaire.look().logo is None


def test_no_logo_no_name_answers_404_for_the_logo() -> None:
    assert Client().get(LOGO).status_code == 404


# -- the public pages ---------------------------------------------------------------------------

_URL_ATTR = re.compile(r"""\b(?:src|href|action|srcset|poster|data|formaction|content)\s*=\s*["']([^"']*)["']""", re.I)


def _only_this_host(response: Any, *, quick_exit: str) -> None:
    """No cookie; no header and no address in the page names another host, but the quick exit's link."""
    assert response.cookies == {}
    assert "Set-Cookie" not in response.headers
    for header, value in response.headers.items():
        assert "//" not in value, header
    html = response.content.decode()
    assert "<script" not in html
    urls = _URL_ATTR.findall(html)
    assert urls, "a page with no address at all is not the page we meant to check"
    for url in urls:
        url = url.replace("&amp;", "&")
        if url == quick_exit:
            continue
        assert url.startswith(("/", "?", "#")) or url in ("data:,", "width=device-width, initial-scale=1", "text/html"), url
        assert "//" not in url, url
    # The quick exit is the only other address, once, in the first link of the page.
    assert html.count("//") == html.count(quick_exit) == 1
    first_link = re.search(r"<a\s[^>]*href=\"([^\"]*)\"", html)
    assert first_link is not None and first_link.group(1) == quick_exit


def _every_public_page(client: Client, lang: str) -> list[Any]:
    query = "" if lang == "ru" else f"?lang={lang}"
    pages = [client.get(HELP + query), client.get(RETURN + query), client.get(LEAVE + query)]
    # The form's first step (the follow-ups asked for), the passphrase page, and the thread.
    first = client.post(f"{HELP}?step=1{'&' + query[1:] if query else ''}", answers(q_held_now="yes"))
    pages.append(first)
    sent = client.post(HELP + query, answers())
    codename = passphrase_in(sent)
    assert codename is not None
    pages.append(sent)
    pages.append(client.post(RETURN + query, {"codename": codename}))
    pages.append(client.post(SEND + query, {"codename": codename, "text": "ещё"}))
    for page in pages:
        assert page.status_code == 200, page.content.decode()[:500]
    return pages


def test_with_every_option_set_no_page_sets_a_cookie_or_names_another_host() -> None:
    _everything(make_staff(Role.ADMIN))
    for lang, org, title in (("ru", ORG_RU, "Погода"), ("en", ORG_EN, "Weather")):
        for page in _every_public_page(Client(REMOTE_ADDR=f"198.51.100.{len(lang)}"), lang):
            _only_this_host(page, quick_exit=EXIT)
            html = page.content.decode()
            assert f"<title>{title}</title>" in html
            assert org in html and f'<img src="{LOGO}"' in html
        logo = Client().get(LOGO)
        assert logo.status_code == 200 and logo.cookies == {}
        for header, value in logo.headers.items():
            assert "//" not in value, header
    intro = Client().get(HELP + "?lang=en").content.decode()
    assert '<p class="intake-introduction">We help.</p>' in intro


def test_with_no_name_the_page_title_icon_and_page_name_nobody(settings: Any) -> None:
    settings.INTAKE_ORGANISATION_NAME = "Corridor Rights Network"
    admin = make_staff(Role.ADMIN)
    _everything(admin)
    row = questionnaire.look()
    look_actions.save_look(
        admin, look_actions.LookChange(no_name=True, name=row.name, introduction=row.introduction, quick_exit_url=EXIT)
    )
    for lang, title in (("ru", "Напишите нам"), ("en", "Write to us")):
        for page in _every_public_page(Client(REMOTE_ADDR="198.51.100.77"), lang):
            html = page.content.decode()
            _only_this_host(page, quick_exit=EXIT)
            assert f"<title>{title}</title>" in html
            for name in (ORG_RU, ORG_EN, "Corridor", "corridor/favicon", "logo"):
                assert name not in html, name
            assert '<link rel="icon" href="data:,">' in html
    assert Client().get(LOGO).status_code == 404


def test_quick_exit_is_on_every_public_page_in_each_language_without_any_setting() -> None:
    expected = {"ru": ("Покинуть страницу", "Как не оставить следов"), "en": ("Leave this page", "How to leave no trace")}
    for lang, (leave, advice) in expected.items():
        for page in _every_public_page(Client(REMOTE_ADDR="198.51.100.78"), lang):
            html = page.content.decode()
            query = "" if lang == "ru" else f"?lang={lang}"
            # Unset, it leads to the advice on this instance: still the first link of the page.
            _only_this_host_default = re.search(r"<a\s[^>]*href=\"([^\"]*)\"[^>]*>([^<]*)</a>", html)
            assert _only_this_host_default is not None
            assert _only_this_host_default.groups() == (LEAVE, leave)
            assert f'href="{LEAVE}{query}">{advice}</a>' in html
            assert page.cookies == {}


def test_the_advice_page_speaks_each_language_and_an_added_one() -> None:
    admin = make_staff(Role.ADMIN)
    from corridor.intake.domain import questionnaires

    questionnaires.save_language(admin, "uk", "Українська", {"Leave this page": "Покинути сторінку"})
    questionnaires.set_languages(admin, ["ru", "en", "uk"])
    assert "Очистите историю браузера" in Client().get(LEAVE).content.decode()
    assert "Clear the browser's history" in Client().get(LEAVE + "?lang=en").content.decode()
    html = Client().get(LEAVE + "?lang=uk").content.decode()
    assert ">Покинути сторінку</a>" in html


# -- the admins' page ---------------------------------------------------------------------------

ROUTES = [
    Route("intake:look", lambda w: "/intake/look/", {Role.ADMIN}),
]


def test_permission_matrix_only_admins() -> None:
    world: World = make_world()
    assert check_matrix(world, ROUTES) == len(ROUTES) * (1 + len(world.users))


def test_the_look_page_shows_each_language_of_the_intake() -> None:
    html = sign_in(Client(), make_staff(Role.ADMIN)).get("/intake/look/").content.decode()
    for name in ("name_ru", "name_en", "introduction_ru", "page_title_en", "quick_exit_url", "logo", "no_name"):
        assert f'name="{name}"' in html
