"""Demo data: realistic synthetic people and cases through the domain functions, and `corridor demo`.

Every person must decrypt and be findable by any spelling of their name; running the
command twice must not add a second set of people.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from corridor.accounts.models import User
from corridor.audit.models import AuditEntry
from corridor.cases import demo, domain
from corridor.cases.models import (
    PERSON_NAME,
    Case,
    CaseMember,
    Consent,
    Need,
    Note,
    Person,
    Placement,
    RiskAssessment,
    SafeHouse,
    Status,
    Task,
)
from corridor.keys.models import BlindIndexEntry

pytestmark = pytest.mark.django_db


def _caseworker() -> User:
    return User.objects.get(username="caseworker")


def test_populate_forty_people_through_the_domain() -> None:
    result = demo.populate(40, seed=7)

    assert result.people == 40
    assert Person.objects.count() == 40
    assert CaseMember.objects.count() == 40
    assert Case.objects.count() == result.cases
    assert 14 <= result.cases <= 40
    assert CaseMember.objects.filter(role="principal").count() == result.cases
    assert SafeHouse.objects.count() == 5
    assert SafeHouse.objects.filter(compromised__isnull=False).count() == 1
    # Every case has a risk assessment, a consent to store data, a need, a task and a note.
    assert RiskAssessment.objects.values("case").distinct().count() == result.cases
    assert Consent.objects.filter(scope="store").count() == 40
    assert Need.objects.values("case").distinct().count() == result.cases
    assert Note.objects.values("case").distinct().count() == result.cases
    assert Task.objects.values("case").distinct().count() == result.cases
    assert Placement.objects.exists()
    # Several statuses, some overdue tasks: the lists and the dashboard have something to show.
    assert len(set(Case.objects.values_list("status", flat=True))) >= 4
    assert any(task.overdue for task in Task.objects.all())
    # Every person decrypts, with a Cyrillic name and its Latin spelling.
    for person in Person.objects.select_related("data_key"):
        names = person.name_values()
        assert len(names) >= 2
        assert any("\u0400" <= ch <= "\u04ff" for ch in names[0])
        assert names[1].isascii()
        assert person.contacts[0]["value"].startswith("+7 000 ")
    # Blind indexes were written by the domain functions: 40 people, each found by name.
    assert BlindIndexEntry.objects.filter(index_name=PERSON_NAME.name).values("owner_id").distinct().count() == 40
    # And every write was audited with a caseworker as the actor.
    assert AuditEntry.objects.filter(action="person.create").count() == 40
    assert set(AuditEntry.objects.filter(action="case.open").values_list("actor_id", flat=True)) == set(
        User.objects.filter(username__in=demo.DEMO_TEAMS.values()).values_list("pk", flat=True)
    )


def test_demo_people_are_found_by_either_spelling() -> None:
    demo.populate(6, seed=3)
    person = Person.objects.order_by("codename").first()
    assert person is not None
    cyrillic, latin = person.name_values()[:2]
    caseworker = User.objects.get(pk=person.memberships.get().case.owner_id)
    assert person in domain.search_people(caseworker, cyrillic)
    assert person in domain.search_people(caseworker, latin)


def test_bulk_path_makes_what_the_domain_would() -> None:
    ticks: list[int] = []
    result = demo.populate_bulk(30, seed=5, progress=ticks.append)
    assert (result.people, Person.objects.count(), sum(ticks)) == (30, 30, 30)
    assert CaseMember.objects.count() == 30
    assert Case.objects.count() == result.cases
    assert len(set(Case.objects.values_list("reference", flat=True))) == result.cases
    caseworker = _caseworker()
    visible = [p for p in Person.objects.all() if p.memberships.get().case.team.members.filter(pk=caseworker.pk).exists()]
    target = visible[0]
    # The bulk tokens are the same as blind.index_values would write: search finds the person.
    assert target in domain.search_people(caseworker, target.name_values()[1])
    assert target in domain.search_people(caseworker, target.phone_values()[0])
    # ...and the name + birth-year index: the duplicate check names them.
    assert target.birth_date is not None
    found = domain.find_duplicates(caseworker, names=[target.name_values()[0]], birth_year=target.birth_date.year, phones=[])
    assert target in [d.person for d in found]
    for case in Case.objects.select_related("data_key"):
        assert case.summary
        assert all(task.title for task in case.tasks.all())


def test_demo_command_populates_once() -> None:
    out = io.StringIO()
    call_command("demo", "--people", "12", stdout=out)
    assert Person.objects.count() == 12
    first_cases = Case.objects.count()
    call_command("demo", "--people", "12", stdout=out)
    assert Person.objects.count() == 12
    assert Case.objects.count() == first_cases
    assert "already" in out.getvalue()
    assert Case.objects.exclude(status=Status.NEW).exists()


def test_demo_command_unseals_its_own_keys_from_the_demo_shares(shares: list[str]) -> None:
    """`make run` fills the instance before keyd starts: the command unseals in process, then seals."""
    from pathlib import Path

    from django.conf import settings

    from corridor.keys import instance
    from corridor.web.management.commands.demo import SHARES_FILE

    shares_path = Path(settings.DATA_DIR) / SHARES_FILE
    shares_path.write_text("\n".join(shares) + "\n")
    try:
        instance.keyring().seal()
        out = io.StringIO()
        call_command("demo", "--people", "3", stdout=out)
        assert instance.keyring().status().sealed  # its keys did not outlive the command
        # The unseal page's random path is printed, never the guessable /unseal/.
        assert f"To unseal: open http://127.0.0.1:8000/{settings.UNSEAL_PATH} and paste" in out.getvalue()
        assert "/unseal/" not in out.getvalue()
    finally:
        shares_path.unlink()
    assert Person.objects.count() == 3
    assert AuditEntry.objects.filter(action="person.create").count() == 3


def test_demo_command_refuses_when_sealed_without_shares() -> None:
    from django.core.management.base import CommandError

    from corridor.keys import instance

    instance.keyring().seal()
    with pytest.raises(CommandError, match="sealed"):
        call_command("demo", "--people", "3", stdout=io.StringIO())
    assert Person.objects.count() == 0
