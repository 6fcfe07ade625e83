"""What every role's walk shares: the demo world it walks through, a page visit that checks
the page answered and fits the screen, and screenshots for docs/users.

A phone is 360 px wide: no page may be wider than that (document.documentElement.scrollWidth
<= innerWidth); a wide table scrolls inside its own box, never the page. Every page a walk
visits on a phone is checked, and the elements that stick out are named when one does not fit.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.cases import demo as cases_demo
from corridor.cases import domain
from corridor.cases.models import Case, Person, SafeHouse
from corridor.intake import demo as intake_demo
from corridor.relocation import demo as relocation_demo
from tests.browser.conftest import RequestLog, screenshot, sign_in

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TEAM = "North Caucasus"  # the demo team the walkers belong to

# The widest elements that stick out of the viewport, deepest first: what to fix when a page is too wide.
OVERFLOW_JS = """() => {
  const width = window.innerWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      let inScroller = false;
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX === 'auto' || style.overflowX === 'scroll' || style.overflowX === 'hidden') { inScroller = true; break; }
      }
      if (!inScroller) wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '') + ' ' + Math.round(box.right) + 'px');
    }
  }
  return {scroll: document.documentElement.scrollWidth, inner: width, wide: wide.slice(-6)};
}"""


def overflow(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(OVERFLOW_JS))


def assert_fits(page: Any) -> None:
    """The page is no wider than the screen; otherwise say which elements stick out."""
    found = overflow(page)
    assert found["scroll"] <= found["inner"], (
        f"{page.url} is {found['scroll']} px wide on a {found['inner']} px screen: {found['wide']}"
    )


@dataclass
class Walk:
    """One signed-in browser: visits pages, checks each, keeps screenshots under a role's name."""

    page: Any
    base: str
    requests: RequestLog
    role: str
    phone: bool
    visited: list[str] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return "ru" if self.phone else "en"

    def go(self, path: str) -> Any:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None and response.status < 400, f"{path}: {response.status if response else 'no response'}"
        self.check()
        return response

    def check(self) -> None:
        """The page now shown: in the walk's language, and (on a phone) no wider than the screen."""
        self.page.wait_for_load_state()
        self.visited.append(self.page.url)
        assert self.page.locator("html").get_attribute("lang") == self.lang
        if self.phone:
            assert_fits(self.page)

    def shot(self, name: str) -> None:
        screenshot(self.page, f"walk-{self.role}-{name}-{'phone-ru' if self.phone else 'en'}")


def walks(page_factory: Any, user: User, role: str) -> tuple[Walk, Walk]:
    """The user signed in on a desktop in English, and the same session on a 360 px phone in Russian.

    One sign-in: the phone takes the desktop's cookies (a TOTP code works once).
    """
    desktop, desktop_requests, base = page_factory(viewport=DESKTOP, locale="en-GB")
    sign_in(desktop, base, user)
    phone, phone_requests, _base = page_factory(viewport=PHONE, locale="ru-RU")
    phone.context.add_cookies(desktop.context.cookies())
    return Walk(desktop, base, desktop_requests, role, phone=False), Walk(phone, base, phone_requests, role, phone=True)


@dataclass
class World:
    """The demo instance (people, cases, safe houses, two years of applications, requests in
    triage) and a few things planted for the walks' assertions."""

    team: Team
    caseworker: User
    hotline: User
    coordinator: User
    auditor: User
    admin: User
    musaev: Person
    musaev_case: Case
    old_house: SafeHouse
    new_house: SafeHouse
    moved: Person
    moved_case: Case


def build_world(*, people: int = 16, seed: int = 11) -> World:
    """The demo's data through its domain functions, and staff who can sign in (password and TOTP)."""
    cases_demo.populate(people, seed=seed)
    relocation_demo.populate(seed=seed)
    intake_demo.populate()
    team = Team.objects.get(name=TEAM)
    caseworker = make_staff(Role.CASEWORKER, teams=[team], username="zarema")
    # Surname first, as Russian documents write it; caseworkers search by the surname alone.
    musaev = domain.create_person(
        caseworker,
        names=[{"name": "Мусаев Ислам", "kind": "legal"}, {"name": "Islam Musayev", "kind": "transliteration"}],
        birth_date=datetime.date(1993, 5, 2),
    )
    musaev_case = domain.open_case(caseworker, team=team, principal=musaev, summary="Бежал из Аргуна, ищут родственники.")
    old_house = domain.create_safe_house(caseworker, team=team, label="Rowan", address="ул. Полевая, д. 5, Тверь", capacity=4)
    new_house = domain.create_safe_house(caseworker, team=team, label="Willow", address="ул. Речная, д. 9, Ярославль", capacity=4)
    # A document with a long name: the documents table must still fit a phone.
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(picture, "JPEG")
    upload = SimpleUploadedFile("internal-passport-scan-page-2-and-3.jpg", picture.getvalue(), content_type="image/jpeg")
    domain.upload_document(
        caseworker, musaev_case, upload, "photo", person=musaev, description="Скан внутреннего паспорта, стр. 2–3"
    )
    moved = domain.create_person(caseworker, names=[{"name": "Тагиров Умар", "kind": "legal"}])
    moved_case = domain.open_case(caseworker, team=team, principal=moved, summary="Жил в доме, который раскрыли.")
    domain.place(caseworker, moved_case, moved, old_house, start=datetime.date.today() - datetime.timedelta(days=20))
    domain.mark_compromised(caseworker, old_house)
    return World(
        team=team,
        caseworker=caseworker,
        hotline=make_staff(Role.HOTLINE, teams=[team], username="aslan"),
        coordinator=make_staff(
            Role.RELOCATION, teams=list(Team.objects.filter(name__in=cases_demo.DEMO_TEAMS)), username="kamila"
        ),
        auditor=make_staff(Role.AUDITOR, username="lidia"),
        admin=make_staff(Role.ADMIN, username="marat"),
        musaev=musaev,
        musaev_case=musaev_case,
        old_house=old_house,
        new_house=new_house,
        moved=moved,
        moved_case=moved_case,
    )
