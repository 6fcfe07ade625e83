"""Relocation changes as domain actions: permission first, decisions on locked rows, one audit
entry per change, nothing written on refusal; and one access helper per kind, whose refusals
are 404 on pages, 403 in the API for a role without the permission, and audited."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff, sign_in
from corridor.audit.models import AuditEntry
from corridor.core.errors import Conflict
from corridor.relocation import domain
from corridor.relocation.models import Application, ApplicationEvent, Contact, Country, Engagement, Programme
from corridor.relocation.tests.factories import S, caseworker_for, make_case, members, walk

pytestmark = pytest.mark.django_db
D = datetime.date


def _actions(obj: object) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(obj.pk)).order_by("seq").values_list("action", flat=True))


def test_a_move_from_a_stale_copy_is_a_conflict_and_writes_nothing() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    application = walk(actor, team, Programme.objects.get(country="LT"), [(S.SUBMITTED, D(2024, 2, 1))])
    stale = Application.objects.select_related("case__data_key").get(pk=application.pk)
    domain.transition_application(actor, application, S.INTERVIEW, reason="invited", on=D(2024, 2, 5))
    before = (ApplicationEvent.objects.count(), AuditEntry.objects.count())

    # From "submitted" this move would be allowed: only the lock's fresh read refuses it.
    with pytest.raises(Conflict) as caught:
        domain.transition_application(actor, stale, S.DOCUMENTS_REQUESTED, reason="asked for more", on=D(2024, 2, 6))

    assert caught.value.message_dict == {"status": ["The application's status changed to “interview scheduled” while you were working; nothing was changed."]}
    assert (ApplicationEvent.objects.count(), AuditEntry.objects.count()) == before
    assert Application.objects.get(pk=application.pk).status == S.INTERVIEW
    # The winner's copy was brought up to date, so it moves on without a conflict.
    assert application.status == S.INTERVIEW
    domain.transition_application(actor, application, S.DECISION, reason="granted", on=D(2024, 2, 7))


def test_a_page_read_before_someone_else_moved_the_application_gets_a_conflict() -> None:
    team = Team.objects.create(name="T")
    actor, colleague = caseworker_for(team), caseworker_for(team)
    application = walk(actor, team, Programme.objects.get(country="LT"), [(S.SUBMITTED, D(2024, 2, 1))])
    client = sign_in(Client(), actor)
    url = f"/relocation/applications/{application.pk}/"
    assert 'name="seen" value="submitted"' in client.get(url).content.decode()
    domain.transition_application(colleague, application, S.INTERVIEW, reason="invited", on=D(2024, 2, 5))

    # Read while "submitted"; "documents requested" is allowed from where it is now, but the
    # user chose it from what the page showed.
    move = {"status": "documents_requested", "on": "2024-02-06", "reason": "asked", "seen": "submitted"}
    refused = client.post(url + "transition/", move)
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "changed to “interview scheduled” while you were working" in page
    assert 'name="seen" value="interview"' in page  # shown again from where it is now
    assert Application.objects.get(pk=application.pk).status == S.INTERVIEW
    assert client.post(url + "transition/", move | {"seen": "interview"}).status_code == 302
    assert Application.objects.get(pk=application.pk).status == S.DOCUMENTS_REQUESTED


def test_each_change_records_its_registered_name_once() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    coordinator = make_staff(Role.RELOCATION, teams=[team])
    case = make_case(actor, team)
    programme = domain.create_programme(
        coordinator, country=Country.objects.get(pk="LV"), name="Test visa", kind="national_visa", source_url="https://example.org/v"
    )
    domain.update_programme(coordinator, programme, language="lv")
    domain.set_profile(actor, case, referral="unhcr", family_ties=["lv"])
    application = walk(actor, case, programme, [(S.SUBMITTED, D(2024, 3, 1))])
    domain.set_checklist_item(actor, application, "photos", "obtained", "two of each")
    contact = domain.create_contact(coordinator, country=programme.country, kind="ministry", organisation="MFA", name="Desk")
    engagement = domain.log_engagement(coordinator, contact, asked="x", next_step="y", next_due=D(2024, 3, 10), on=D(2024, 3, 2))
    domain.close_commitment(coordinator, engagement)

    assert _actions(programme) == ["programme.create", "programme.update"]
    assert _actions(application) == ["application.create", "application.status.submitted", "application.checklist"]
    assert _actions(contact) == ["contact.create"]
    assert _actions(engagement) == ["engagement.create", "engagement.close"]
    assert "relocation.profile.update" in _actions(case)
    assert (Programme.objects.get(pk=programme.pk).language, application.checklist.get(kind="photos").status) == ("lv", "obtained")


def test_a_programme_change_keeps_what_another_copy_changed_and_updates_the_callers_copy() -> None:
    coordinator = make_staff(Role.RELOCATION)
    first, second = Programme.objects.get(country="LT"), Programme.objects.get(country="LT")
    domain.update_programme(coordinator, first, name="Renamed")
    changed = domain.update_programme(coordinator, second, language="lt")

    assert changed is second
    assert (second.name, second.language) == ("Renamed", "lt")
    fresh = Programme.objects.get(pk=first.pk)
    assert (fresh.name, fresh.language) == ("Renamed", "lt")


def test_a_second_close_from_a_stale_copy_is_refused_and_keeps_the_first() -> None:
    coordinator = make_staff(Role.RELOCATION)
    contact = domain.create_contact(coordinator, country=Country.objects.get(pk="LT"), kind="embassy", organisation="E", name="C")
    engagement = domain.log_engagement(coordinator, contact, asked="x", next_step="y", next_due=datetime.date.today(), on=datetime.date.today())
    stale = Engagement.objects.get(pk=engagement.pk)
    closed = domain.close_commitment(coordinator, engagement)

    with pytest.raises(ValidationError) as caught:
        domain.close_commitment(coordinator, stale)

    assert list(caught.value.message_dict) == ["engagement"]
    assert Engagement.objects.get(pk=engagement.pk).done == closed.done
    assert _actions(engagement) == ["engagement.create", "engagement.close"]


def test_actions_check_the_permission_before_anything_else() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    case = make_case(actor, team)
    application = walk(actor, case, Programme.objects.get(country="LT"), [])
    documentation = make_staff(Role.DOCUMENTATION, teams=[team])
    before = AuditEntry.objects.count()
    refused = [
        lambda: domain.create_contact(actor, country=Country.objects.get(pk="LT"), kind="nonsense", organisation="", name=""),
        lambda: domain.create_programme(actor, name=""),
        lambda: domain.create_application(documentation, case, Programme.objects.get(country="FR"), channel="", members=[]),
        lambda: domain.set_checklist_item(documentation, application, "nonsense", "nonsense"),
        lambda: domain.set_profile(documentation, case, referral="nonsense", family_ties=[]),
    ]
    for call in refused:
        with pytest.raises(PermissionDenied):
            call()
    assert (AuditEntry.objects.count(), Contact.objects.count()) == (before, 0)


def test_members_may_be_given_as_ids_and_only_of_this_case() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    case, other = make_case(actor, team), make_case(actor, team)
    fr = Programme.objects.get(country="FR")
    for strangers in ([members(other)[0].pk], [uuid.uuid4()], [members(case)[0].pk, members(other)[0].pk]):
        with pytest.raises(ValidationError) as caught:
            domain.create_application(actor, case, fr, channel="Consulate", members=strangers)
        assert list(caught.value.message_dict) == ["members"]
    application = domain.create_application(actor, case, fr, channel="Consulate", members=[members(case)[0].pk])
    assert list(application.members.values_list("pk", flat=True)) == [members(case)[0].pk]
    assert Application.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SELECT … FOR UPDATE is PostgreSQL's; SQLite locks the whole file")
def test_decisions_rest_on_locked_rows() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    coordinator = make_staff(Role.RELOCATION)
    application = walk(actor, team, Programme.objects.get(country="LT"), [])
    contact = domain.create_contact(coordinator, country=Country.objects.get(pk="LT"), kind="embassy", organisation="E", name="C")
    engagement = domain.log_engagement(coordinator, contact, asked="x", next_step="y", next_due=datetime.date.today())
    changes = {
        "relocation_application": lambda: domain.transition_application(actor, application, S.SUBMITTED, reason="sent"),
        "relocation_checklistitem": lambda: domain.set_checklist_item(actor, application, "photos", "obtained"),
        "relocation_engagement": lambda: domain.close_commitment(coordinator, engagement),
    }
    for table, change in changes.items():
        with CaptureQueriesContext(connection) as queries:
            change()
        locked = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
        assert any(f'FROM "{table}"' in sql for sql in locked), (table, locked)


# -- access: one helper per kind, the permission wanted, refusals audited -----------------------------


@pytest.fixture
def world() -> dict[str, object]:
    team, other = Team.objects.create(name="A"), Team.objects.create(name="B")
    outsider = caseworker_for(other)
    case = make_case(outsider, other)
    return {
        "team": team,
        "caseworker": caseworker_for(team),
        "hotline": make_staff(Role.HOTLINE, teams=[other]),
        "coordinator": make_staff(Role.RELOCATION, teams=[team]),
        "case": case,
        "application": walk(outsider, case, Programme.objects.get(country="LT"), [(S.SUBMITTED, D(2024, 1, 1))]),
    }


def test_a_role_without_the_permission_gets_404_on_pages_and_403_in_the_api(world: dict[str, object]) -> None:
    caseworker = sign_in(Client(), world["caseworker"])
    programme = Programme.objects.get(country="LT")
    assert caseworker.get("/relocation/contacts/").status_code == 404
    assert caseworker.get(f"/relocation/programmes/{programme.pk}/edit/").status_code == 404
    assert caseworker.get("/api/v1/relocation/contacts/").status_code == 403
    # Refused for the role before the body is read: not a 400 for the missing fields.
    assert caseworker.post("/api/v1/relocation/programmes/", {}, content_type="application/json").status_code == 403
    assert caseworker.patch(f"/api/v1/relocation/programmes/{programme.pk}/", {}, content_type="application/json").status_code == 403
    hotline = sign_in(Client(), world["hotline"])
    case = world["case"]
    assert hotline.get("/relocation/alerts/").status_code == 404
    assert hotline.get("/api/v1/relocation/alerts/").status_code == 403
    assert hotline.get(f"/api/v1/relocation/cases/{case.pk}/applications/").status_code == 403
    # Applications and a case's relocation side are a team's: invisible to the role, so 404.
    assert hotline.get(f"/api/v1/relocation/applications/{world['application'].pk}/").status_code == 404
    assert hotline.get(f"/api/v1/relocation/cases/{case.pk}/routes/").status_code == 404


def test_refusals_of_existing_objects_are_audited(world: dict[str, object]) -> None:
    application, case = world["application"], world["case"]
    caseworker = sign_in(Client(), world["caseworker"])
    assert caseworker.get(f"/relocation/applications/{application.pk}/").status_code == 404
    assert caseworker.post(f"/relocation/cases/{case.pk}/profile/", {"referral": "unhcr"}).status_code == 404
    assert caseworker.get(f"/relocation/applications/{uuid.uuid4()}/").status_code == 404
    denied = AuditEntry.objects.filter(action="access.deny", actor_id=world["caseworker"].pk)
    assert sorted(denied.values_list("object_id", flat=True)) == sorted([str(application.pk), str(case.pk)])
    # A hotline operator of the case's own team sees the case, but not its relocation side.
    hotline = sign_in(Client(), world["hotline"])
    assert hotline.get(f"/relocation/cases/{case.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="access.deny", actor_id=world["hotline"].pk, object_id=str(case.pk)).count() == 1
