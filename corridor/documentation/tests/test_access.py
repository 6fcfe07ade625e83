"""Need to know for documentation: one team's officer never reaches another team's events,
sources or evidence; other roles reach none; a victim is named only where their case is visible."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from corridor.accounts import domain as accounts_domain
from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.documentation import access, domain
from corridor.documentation.rules import EXPORT_EVENTS, MANAGE_EVENTS, MANAGE_VOCABULARY, VIEW_EVENTS
from corridor.documentation.tests.factories import act_on, event, officer, perpetrator, person_in_case, source

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_teams() -> dict[str, Any]:
    team_a = accounts_domain.create_team(None, "Documentation A")
    team_b = accounts_domain.create_team(None, "Documentation B")
    doc_a, doc_b = officer(team_a, "doc-a"), officer(team_b, "doc-b")
    victim_b, _case = person_in_case(team_b, "Victim B")
    event_b = event(doc_b, team_b, title="B's event")
    return {
        "team_a": team_a,
        "doc_a": doc_a,
        "doc_b": doc_b,
        "event_b": event_b,
        "act_b": act_on(doc_b, event_b, victim_b),
        "source_b": source(doc_b, team_b),
        "victim_b": victim_b,
    }


def test_permissions_by_role() -> None:
    team = accounts_domain.create_team(None, "Any")
    for role in Role.values:
        user = make_staff(role, teams=[team])
        allowed = role == Role.DOCUMENTATION
        assert [user.has_perm(p) for p in (VIEW_EVENTS, MANAGE_EVENTS, MANAGE_VOCABULARY, EXPORT_EVENTS)] == [allowed] * 4, role


def test_another_teams_objects_are_404_and_the_refusal_audited(two_teams: dict[str, Any]) -> None:
    doc_a = two_teams["doc_a"]
    for getter, key in (
        (access.get_event_for_user, "event_b"),
        (access.get_act_for_user, "act_b"),
        (access.get_source_for_user, "source_b"),
    ):
        with pytest.raises(Http404):
            getter(doc_a, two_teams[key].pk)
    assert AuditEntry.objects.filter(action="access.deny", actor_id=doc_a.pk).count() == 3
    assert list(access.events_visible_to(doc_a)) == []
    assert access.get_event_for_user(two_teams["doc_b"], two_teams["event_b"].pk) == two_teams["event_b"]


def test_malformed_and_missing_ids_answer_alike(two_teams: dict[str, Any]) -> None:
    for value in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", None):
        with pytest.raises(Http404):
            access.get_event_for_user(two_teams["doc_b"], value)


def test_other_roles_see_nothing_even_in_the_same_team(two_teams: dict[str, Any]) -> None:
    caseworker = make_staff(Role.CASEWORKER, teams=[two_teams["event_b"].team])
    assert list(access.events_visible_to(caseworker)) == []
    assert list(access.sources_visible_to(caseworker)) == []
    with pytest.raises(Http404):
        access.get_event_for_user(caseworker, two_teams["event_b"].pk)
    with pytest.raises(access.NotPermitted):
        access.get_perpetrator_for_user(caseworker, perpetrator(two_teams["doc_b"]).pk)


def test_a_visible_object_for_a_use_the_role_may_not_is_not_permitted(two_teams: dict[str, Any]) -> None:
    with pytest.raises(access.NotPermitted):
        access.get_event_for_user(two_teams["doc_b"], two_teams["event_b"].pk, perm="cases.erase_person")


def test_victim_label_follows_the_case(two_teams: dict[str, Any]) -> None:
    victim = two_teams["victim_b"]
    assert access.victim_label(two_teams["doc_b"], victim) == victim.codename
    hidden = access.victim_label(two_teams["doc_a"], victim)
    assert hidden == "a person in a case you cannot see"
    assert victim.codename not in hidden and str(victim.pk) not in hidden
    assert access.visible_person(two_teams["doc_a"], victim) is None
    assert access.victim_label(two_teams["doc_a"], None) == ""


def test_information_needs_both_ends_visible(two_teams: dict[str, Any]) -> None:
    doc_b = two_teams["doc_b"]
    info = domain.link_information(doc_b, two_teams["source_b"], act_=two_teams["act_b"], how_known="hearsay")
    assert list(access.information_visible_to(doc_b)) == [info]
    assert list(access.information_visible_to(two_teams["doc_a"])) == []
