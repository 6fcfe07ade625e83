"""notify(): one row per recipient, texts from kind and count only, counts that add up."""

from __future__ import annotations

import pytest
from django.utils import translation

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.notifications.api import Kind, notify
from corridor.notifications.models import Notification, Preference, describe

pytestmark = pytest.mark.django_db


def test_one_row_per_active_recipient() -> None:
    team = Team.objects.create(name="A")
    one = make_staff(Role.HOTLINE, teams=[team])
    two = make_staff(Role.HOTLINE, teams=[team])
    gone = make_staff(Role.HOTLINE, teams=[team])
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    made = notify([one, two, one, gone], Kind.CASE_ASSIGNED, link="/cases/x/", team=team)
    assert sorted(n.user_id for n in made) == sorted([one.pk, two.pk])
    assert Notification.objects.count() == 2
    assert made[0].text == "1 case was assigned to you"


def test_batched_kinds_add_up_while_unread() -> None:
    user = make_staff(Role.HOTLINE)
    notify([user], Kind.INTAKE_NEW, link="/intake/triage/a/")
    notify([user], Kind.INTAKE_NEW, count=2, link="/intake/triage/b/")
    [row] = Notification.objects.filter(user=user)
    assert (row.count, row.link) == (3, "/triage/")  # several: the link opens the queue they are in
    assert row.text == "3 new requests for help"


def test_unbatched_kinds_do_not_merge() -> None:
    user = make_staff(Role.CASEWORKER)
    notify([user], Kind.CASE_ASSIGNED)
    notify([user], Kind.CASE_ASSIGNED)
    assert Notification.objects.filter(user=user).count() == 2


def test_links_stay_inside_the_app() -> None:
    user = make_staff(Role.CASEWORKER)
    with pytest.raises(ValueError):
        notify([user], Kind.CASE_ASSIGNED, link="https://example.org/")


def test_russian_plural_forms() -> None:
    with translation.override("ru"):
        texts = [describe(Kind.INTAKE_EMERGENCY, n) for n in (1, 2, 5)]
    assert texts == [
        "1 новый экстренный запрос для вашей команды",
        "2 новых экстренных запроса для вашей команды",
        "5 новых экстренных запросов для вашей команды",
    ]


def test_every_kind_has_a_text_with_its_count() -> None:
    for kind in Kind:
        assert describe(kind, 7)


def test_email_sealed_to_the_outbox_key() -> None:
    user = make_staff(Role.CASEWORKER)
    preference = Preference(user=user)
    preference.set_email(" staff@example.org ")
    preference.save()
    stored = bytes(Preference.objects.get(pk=preference.pk).email_box)
    assert b"staff@example.org" not in stored
    assert Preference.objects.get(pk=preference.pk).email == "staff@example.org"
