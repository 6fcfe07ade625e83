"""Case workflow pages through the views: the access matrix for every route, then verification,
consent, the two-step risk form, placements, break glass and its review by admins.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.cases import domain
from corridor.cases.models import (
    BreakGlass,
    Case,
    Consent,
    ConsentScope,
    DuplicateReview,
    Person,
    Placement,
    Priority,
    RiskAssessment,
    RiskFactor,
    SafeHouse,
    Verification,
)

pytestmark = pytest.mark.django_db

VIEW = {Role.CASEWORKER, Role.HOTLINE, Role.RELOCATION, Role.DOCUMENTATION}
CHANGE = {Role.CASEWORKER, Role.HOTLINE}
LEAKY_NAME = "Зелимхан Бакаев"  # a name that must never reach another team's page


def person(actor: User, name: str = "Магомед Исаев") -> Person:
    return domain.create_person(actor, names=[{"name": name, "kind": "legal"}], birth_date=datetime.date(1994, 3, 1))


def open_case(actor: User, team: Team, *, name: str = "Магомед Исаев", dependants: int = 0) -> Case:
    extra = [person(actor, f"Родственник {i}") for i in range(dependants)]
    return domain.open_case(actor, team=team, principal=person(actor, name), dependants=extra)


def principal(case: Case) -> Person:
    return case.members.get(role="principal").person


def house(actor: User, team: Team, label: str = "Blue door", capacity: int = 10) -> SafeHouse:
    return domain.create_safe_house(actor, team=team, label=label, address="ул. Ленина 1, кв. 5", capacity=capacity)


def actions(obj: Any) -> list[str]:
    from corridor.audit import log as audit

    return [entry.action for entry in audit.entries_for(obj)]


@dataclass
class Cases:
    world: World
    a: Case
    b: Case
    c: Case  # a third team's case, for break glass


def build() -> Cases:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    case_a = open_case(worker, world.team_a, dependants=1)
    case_b = open_case(world.outsider, world.team_b, name=LEAKY_NAME)
    team_c = Team.objects.create(name="Team C")
    case_c = open_case(make_staff(Role.CASEWORKER, teams=[team_c], username="c-worker"), team_c, name="Ахмед Умаров")
    house_a = house(worker, world.team_a)
    house_b = house(world.outsider, world.team_b, "Green gate")
    consent_a = domain.record_consent(worker, case_a, principal(case_a), ConsentScope.STORE, timezone.localdate())
    consent_b = domain.record_consent(world.outsider, case_b, principal(case_b), ConsentScope.STORE, timezone.localdate())
    placement_a = domain.place(worker, case_a, principal(case_a), house_a)
    placement_b = domain.place(world.outsider, case_b, principal(case_b), house_b)
    # A duplicate check by team A's worker matched team B's person: for an admin to review.
    duplicate = DuplicateReview.objects.create(user=worker, person=principal(case_b))
    grant = BreakGlass.objects.create(
        case=case_c,
        user=worker,
        reason="Family called the hotline at night",
        expires=timezone.now() - datetime.timedelta(hours=1),
    )
    world.extra.update(
        case_a=case_a,
        case_b=case_b,
        case_c=case_c,
        house_a=house_a,
        consent_a=consent_a,
        consent_b=consent_b,
        placement_a=placement_a,
        placement_b=placement_b,
        grant=grant,
        duplicate=duplicate,
    )
    return Cases(world, case_a, case_b, case_c)


def _on(name: str, key: str, obj: str = "") -> Callable[[World], str]:
    """The address of `name` on team A's (`key` "a") or team B's case, with the case's own `obj`."""

    def url(w: World) -> str:
        args = [w.extra[f"case_{key}"].pk] + ([w.extra[f"{obj}_{key}"].pk] if obj else [])
        return reverse(name, args=args)

    return url


def _both(name: str, obj: str = "") -> dict[str, Callable[[World], str]]:
    return {"url": _on(name, "a", obj), "other_team_url": _on(name, "b", obj)}


def _changed(name: str, data: Any = None, obj: str = "") -> Route:
    """A change on team A's case (or its `obj`) that redirects back, tried on team B's too."""
    return Route(name, roles=CHANGE, method="post", data=data or {}, ok_status=(302,), **_both(name, obj))


def _reviewed(name: str, key: str) -> Route:
    """An admin's "marked as reviewed" button on the world's `key`."""
    return Route(name, lambda w: reverse(name, args=[w.extra[key].pk]), {Role.ADMIN}, method="post", ok_status=(302,))


def _today() -> str:
    return timezone.localdate().isoformat()


ROUTES = [
    Route("cases:workflow", roles=VIEW, **_both("cases:workflow")),
    Route("cases:verification", roles=VIEW, **_both("cases:verification")),
    _changed("cases:verification", {"method": "interview", "details": "video call"}),
    Route("cases:consent", roles=VIEW, **_both("cases:consent")),
    _changed(
        "cases:consent",
        lambda w: {"person": principal(w.extra["case_a"]).pk, "scope": ConsentScope.STATISTICS, "given": _today()},
    ),
    _changed("cases:consent_withdraw", obj="consent"),
    Route("cases:risk", roles=VIEW, **_both("cases:risk")),
    Route("cases:risk", roles=VIEW, data={"check": "1", "factors": RiskFactor.HEALTH}, **_both("cases:risk")),
    _changed("cases:risk", {"factors": [RiskFactor.HEALTH], "priority": Priority.URGENT}),
    Route("cases:placements", roles=VIEW, **_both("cases:placements")),
    _changed(
        "cases:placements",
        lambda w: {"person": principal(w.extra["case_a"]).pk, "safe_house": w.extra["house_a"].pk, "start": _today()},
    ),
    _changed("cases:placement_end", obj="placement"),
    Route("cases:break_glass_review", lambda w: reverse("cases:break_glass_review"), {Role.ADMIN}),
    _reviewed("cases:break_glass_reviewed", "grant"),
    _reviewed("cases:duplicate_reviewed", "duplicate"),
    Route("cases:break_glass", lambda w: reverse("cases:break_glass"), VIEW),
    # Last: it grants team A's users access to team C's case.
    Route(
        "cases:break_glass",
        lambda w: reverse("cases:break_glass"),
        VIEW,
        method="post",
        data=lambda w: {"reference": w.extra["case_c"].reference, "reason": "The family says he was detained this morning."},
        ok_status=(302,),
    ),
]


def test_workflow_matrix() -> None:
    cases = build()
    all_routes = ROUTES
    checks = check_matrix(cases.world, all_routes)
    assert checks == len(all_routes) * (1 + len(Role.values)) + sum(
        len(route.roles - {Role.ADMIN}) for route in all_routes if route.other_team_url
    )
    # Nothing of team B's case was changed by anyone in team A.
    assert list(Consent.objects.filter(case=cases.b).values_list("withdrawn", flat=True)) == [None]
    assert Placement.objects.get(pk=cases.world.extra["placement_b"].pk).end is None
    assert Verification.objects.filter(case=cases.b).count() == 0
    assert DuplicateReview.objects.get().reviewed is not None


def test_other_team_case_page_leaks_nothing() -> None:
    cases = build()
    client = sign_in(Client(), cases.world.users[Role.CASEWORKER])
    for name in ("workflow", "verification", "consent", "risk", "placements"):
        response = client.get(reverse(f"cases:{name}", args=[cases.b.pk]))
        assert response.status_code == 404
        assert cases.b.reference.encode() not in response.content
        assert LEAKY_NAME.encode() not in response.content
        assert principal(cases.b).codename.encode() not in response.content


def worker_client(cases: Cases) -> tuple[User, Client]:
    worker = cases.world.users[Role.CASEWORKER]
    return worker, sign_in(Client(), worker)


def test_verification_is_recorded_and_audited() -> None:
    cases = build()
    worker, client = worker_client(cases)
    url = reverse("cases:verification", args=[cases.a.pk])
    response = client.post(url, {"method": "referrer", "details": "Vouched for by the Grozny contact"})
    assert response.status_code == 302
    verification = Verification.objects.get(case=cases.a)
    assert (verification.method, verification.details, verification.by) == (
        "referrer",
        "Vouched for by the Grozny contact",
        worker,
    )
    assert "case.verify" in actions(cases.a)
    page = client.get(url)
    assert "Vouched for by the Grozny contact" in page.content.decode()
    bad = client.post(url, {"method": "rumour", "details": "x"})
    assert bad.status_code == 400
    assert Verification.objects.filter(case=cases.a).count() == 1


def test_consent_record_check_withdraw_through_the_views() -> None:
    cases = build()
    worker, client = worker_client(cases)
    case = cases.a
    dependant = case.members.get(role="dependant").person
    url = reverse("cases:consent", args=[case.pk])
    # The dependant has not consented to storing data: the page says so, by codename.
    page = client.get(url)
    assert page.context["workflow"]["lacking_store"] == [dependant]
    assert dependant.codename in page.content.decode()
    assert not domain.has_consent(case, dependant, ConsentScope.SHARE, "Rainbow Railroad")

    response = client.post(
        url,
        {
            "person": dependant.pk,
            "scope": ConsentScope.SHARE,
            "given": timezone.localdate().isoformat(),
            "partner": "Rainbow Railroad",
        },
    )
    assert response.status_code == 302
    assert domain.has_consent(case, dependant, ConsentScope.SHARE, "rainbow railroad")
    domain.require_consent(case, dependant, ConsentScope.SHARE, "Rainbow Railroad")
    assert not domain.has_consent(case, dependant, ConsentScope.SHARE, "Another partner")

    client.post(url, {"person": dependant.pk, "scope": ConsentScope.STORE, "given": timezone.localdate().isoformat()})
    assert client.get(url).context["workflow"]["lacking_store"] == []

    consent = Consent.objects.get(case=case, person=dependant, scope=ConsentScope.SHARE)
    withdraw = client.post(reverse("cases:consent_withdraw", args=[case.pk, consent.pk]), {"next": url})
    assert withdraw.status_code == 302 and withdraw["Location"] == url
    assert not domain.has_consent(case, dependant, ConsentScope.SHARE, "Rainbow Railroad")
    with pytest.raises(PermissionDenied):
        domain.require_consent(case, dependant, ConsentScope.SHARE, "Rainbow Railroad")
    consent.refresh_from_db()
    assert consent.withdrawn == timezone.localdate()
    assert actions(case).count("consent.give.share") == 1
    assert actions(case).count("consent.withdraw.share") == 1


def test_consent_for_sharing_needs_a_partner_and_saves_nothing_without() -> None:
    cases = build()
    _worker, client = worker_client(cases)
    before = Consent.objects.count()
    response = client.post(
        reverse("cases:consent", args=[cases.a.pk]),
        {"person": principal(cases.a).pk, "scope": ConsentScope.SHARE, "given": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["partner"] == ["Name the partner this person agreed to share with."]
    future = client.post(
        reverse("cases:consent", args=[cases.a.pk]),
        {"person": principal(cases.a).pk, "scope": ConsentScope.STORE, "given": "2999-01-01"},
    )
    assert future.status_code == 400
    # A person from another team's case cannot be chosen.
    stranger = client.post(
        reverse("cases:consent", args=[cases.a.pk]),
        {"person": principal(cases.b).pk, "scope": ConsentScope.STORE, "given": timezone.localdate().isoformat()},
    )
    assert stranger.status_code == 400
    assert Consent.objects.count() == before


def test_risk_two_steps_and_override_needs_a_reason() -> None:
    cases = build()
    worker, client = worker_client(cases)
    case = cases.a
    url = reverse("cases:risk", args=[case.pk])
    step2 = client.get(url, {"check": "1", "factors": [RiskFactor.BEING_SEARCHED]})
    assert step2.status_code == 200
    assert step2.context["suggested"] == Priority.EMERGENCY.label
    assert step2.context["confirm_form"].initial == {"factors": [RiskFactor.BEING_SEARCHED], "priority": Priority.EMERGENCY}
    assert f'type="hidden" name="factors" value="{RiskFactor.BEING_SEARCHED}"' in step2.content.decode()

    refused = client.post(url, {"factors": [RiskFactor.BEING_SEARCHED], "priority": Priority.NORMAL, "override_reason": "  "})
    assert refused.status_code == 400
    assert refused.context["confirm_form"].errors["override_reason"] == ["Explain why the priority differs from the suggestion."]
    assert "Nothing was saved" in refused.content.decode()
    assert RiskAssessment.objects.filter(case=case).count() == 0
    case.refresh_from_db()
    assert case.priority == Priority.NORMAL

    confirmed = client.post(
        url, {"factors": [RiskFactor.BEING_SEARCHED], "priority": Priority.URGENT, "override_reason": "He is abroad already"}
    )
    assert confirmed.status_code == 302
    assessment = RiskAssessment.objects.get(case=case)
    assert (assessment.suggested_priority, assessment.priority, assessment.override_reason, assessment.factors) == (
        Priority.EMERGENCY,
        Priority.URGENT,
        "He is abroad already",
        [RiskFactor.BEING_SEARCHED],
    )
    case.refresh_from_db()
    assert case.priority == Priority.URGENT
    assert actions(case).count("case.risk") == 1
    history = client.get(url).content.decode()
    assert "He is abroad already" in history and str(RiskFactor.BEING_SEARCHED.label) in history


def test_placement_offers_only_free_safe_houses_of_the_team() -> None:
    cases = build()
    worker, client = worker_client(cases)
    case = cases.a
    free = cases.world.extra["house_a"]
    full = house(worker, cases.world.team_a, "Full flat", capacity=1)
    other_case = open_case(worker, cases.world.team_a, name="Ислам Гериев")
    domain.place(worker, other_case, principal(other_case), full)
    burnt = house(worker, cases.world.team_a, "Burnt flat")
    domain.mark_compromised(worker, burnt)
    url = reverse("cases:placements", args=[case.pk])
    page = client.get(url)
    assert list(page.context["form"].fields["safe_house"].queryset) == [free]
    dependant = case.members.get(role="dependant").person
    before = Placement.objects.count()
    for chosen in (full, burnt, cases.world.extra["placement_b"].safe_house):
        response = client.post(url, {"person": dependant.pk, "safe_house": chosen.pk, "start": timezone.localdate().isoformat()})
        assert response.status_code == 400, chosen.label
        assert response.context["form"].errors["safe_house"] == [
            "Select a valid choice. That choice is not one of the available choices."
        ]
    assert Placement.objects.count() == before

    placed = client.post(url, {"person": dependant.pk, "safe_house": free.pk, "start": timezone.localdate().isoformat()})
    assert placed.status_code == 302
    placement = Placement.objects.get(person=dependant)
    assert (placement.safe_house, placement.case, placement.end) == (free, case, None)
    ended = client.post(reverse("cases:placement_end", args=[case.pk, placement.pk]))
    assert ended.status_code == 302
    placement.refresh_from_db()
    assert placement.end == timezone.localdate()
    assert actions(case).count("placement.start") == 2 and actions(case).count("placement.end") == 1


def test_break_glass_needs_a_reason_and_expires() -> None:
    cases = build()
    worker, client = worker_client(cases)
    target = cases.b
    page_url = reverse("cases:workflow", args=[target.pk])
    assert client.get(page_url).status_code == 404
    short = client.post(reverse("cases:break_glass"), {"reference": target.reference, "reason": "need it"})
    assert short.status_code == 400
    assert short.context["form"].errors["reason"] == [
        "Explain in a sentence or two why you need this case (at least 20 characters)."
    ]
    unknown = client.post(reverse("cases:break_glass"), {"reference": "C-1999-9999", "reason": "A" * 30})
    assert unknown.status_code == 400
    assert BreakGlass.objects.filter(user=worker, case=target).count() == 0

    opened = client.post(
        reverse("cases:break_glass"), {"reference": target.reference.lower(), "reason": "The hotline got a call: he is detained."}
    )
    assert opened.status_code == 302
    grant = BreakGlass.objects.get(user=worker, case=target)
    assert grant.reason == "The hotline got a call: he is detained."
    assert abs((grant.expires - timezone.now()) - datetime.timedelta(hours=domain.BREAK_GLASS_HOURS)) < datetime.timedelta(
        minutes=1
    )
    assert actions(target).count("case.break_glass") == 1
    assert client.get(page_url).status_code == 200

    BreakGlass.objects.filter(pk=grant.pk).update(expires=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(page_url).status_code == 404


def test_break_glass_on_a_visible_case_grants_nothing() -> None:
    cases = build()
    worker, client = worker_client(cases)
    response = client.post(reverse("cases:break_glass"), {"reference": cases.a.reference, "reason": "x" * 40})
    assert response.status_code == 302
    assert BreakGlass.objects.filter(case=cases.a).count() == 0


def test_admin_reviews_break_glass_but_still_cannot_see_the_case() -> None:
    cases = build()
    worker, client = worker_client(cases)
    client.post(reverse("cases:break_glass"), {"reference": cases.b.reference, "reason": "Night call from his sister, urgent."})
    admin = cases.world.users[Role.ADMIN]
    admin_client = sign_in(Client(), admin)
    pending = list(domain.pending_break_glass())
    assert [(g.user, g.case) for g in pending] == [(worker, cases.c), (worker, cases.b)]
    page = admin_client.get(reverse("cases:break_glass_review"))
    body = page.content.decode()
    assert "Night call from his sister, urgent." in body and cases.b.reference in body and worker.username in body
    assert "read" in actions(pending[1])
    grant = pending[1]
    assert admin_client.post(reverse("cases:break_glass_reviewed", args=[grant.pk])).status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed is not None
    assert [g.pk for g in domain.pending_break_glass()] == [pending[0].pk]
    assert actions(grant).count("case.break_glass.reviewed") == 1
    again = admin_client.post(reverse("cases:break_glass_reviewed", args=[grant.pk]))
    assert again.status_code == 302
    assert actions(grant).count("case.break_glass.reviewed") == 1
    assert admin_client.get(reverse("cases:workflow", args=[cases.b.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        domain.review_break_glass(worker, pending[0])


def test_dashboard_snippet_counts_pending_grants() -> None:
    from django.template.loader import render_to_string

    cases = build()
    admin = cases.world.users[Role.ADMIN]

    class Perms:
        class cases:  # noqa: N801  # mirrors the template's perms.cases.* lookup
            review_break_glass = True

    html = render_to_string("cases/workflow/_break_glass_alert.html", {"pending_break_glass": 1, "perms": Perms, "user": admin})
    assert "1 case was opened by break glass" in html
    assert render_to_string("cases/workflow/_break_glass_alert.html", {"pending_break_glass": 0, "perms": Perms}).strip() == ""


def test_case_page_include_renders_with_only_the_case() -> None:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    cases = build()
    worker = cases.world.users[Role.CASEWORKER]
    domain.record_verification(worker, cases.a, "interview", "video call with the principal")
    request = RequestFactory().get("/cases/x/")
    request.user = worker
    html = render_to_string("cases/case/_workflow.html", {"case": cases.a}, request=request)
    assert "video call with the principal" in html
    assert reverse("cases:consent_withdraw", args=[cases.a.pk, cases.world.extra["consent_a"].pk]) in html
    assert reverse("cases:placement_end", args=[cases.a.pk, cases.world.extra["placement_a"].pk]) in html
    assert "Blue door" in html


def test_reading_the_workflow_page_is_audited() -> None:
    cases = build()
    worker, client = worker_client(cases)
    case = cases.a
    before = AuditEntry.objects.count()
    client.get(reverse("cases:workflow", args=[case.pk]))
    assert list(AuditEntry.objects.filter(seq__gte=before).values_list("action", "actor_id", "object_id")) == [
        ("read", worker.pk, str(case.pk))
    ]
