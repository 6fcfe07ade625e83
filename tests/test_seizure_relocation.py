"""The seizure test for relocation work (Invariant 1): contacts, engagement notes, application
channels, transition reasons, refusal texts, checklist notes and a case's family ties.

A relocation coordinator and a caseworker plant them through the real pages and the API;
none may be found at rest, and every one must be readable on the pages afterwards.
"""

from __future__ import annotations

import datetime
import importlib
import json
import re
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff, sign_in
from corridor.relocation.models import Application, Contact, Country, Programme
from corridor.relocation.tests.factories import make_case, members
from tests.seizure import Secret, api_client, captured_logs, ok, phone, scan_at_rest, token

pytestmark = [pytest.mark.django_db(transaction=True)]

API = "/api/v1/relocation"
# Where the case's family lives: four small countries, a combination no other row holds.
FAMILY_TIES = ["KI", "NR", "TV", "VU"]


def _reference_data() -> None:
    """Countries and starter programmes come from data migrations, which a transactional
    test's flush empties: load them again, with the migrations' own code."""
    if Programme.objects.exists():
        return
    for name in ("0002_countries", "0003_starter_programmes"):
        importlib.import_module(f"corridor.relocation.migrations.{name}").load(django_apps, None)


def _json(response: Any, what: str) -> Any:
    return ok(response, what).json()


def _application_id(response: Any) -> str:
    match = re.search(r"/relocation/applications/([0-9a-f-]{36})/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def _plant(coordinator: Client, caseworker: Client, case: Any, t: str) -> tuple[dict[str, Secret], dict[str, Any]]:
    """Everything through the pages and the API; returns the secrets and what the plant made."""
    typed_phone, phone_digits = phone()
    s: dict[str, Secret] = {
        "contact organisation (Cyrillic)": f"Посольство-{t}",
        "contact organisation (Latin)": f"Embassy-{t}",
        "contact name": f"Консул-{t} Иванова",
        "contact details": f"Details-{t} тел. {typed_phone}",
        "contact phone": typed_phone,
        "contact phone (digits)": phone_digits,
        "engagement asked (Cyrillic)": f"Просьба-{t}: две гуманитарные визы для семьи",
        "engagement asked (Latin)": f"Asked-{t}",
        "engagement response": f"Ответ-{t} обещали рассмотреть",
        "engagement next step": f"Nextstep-{t} отправить резюме дел",
        "application channel": f"Channel-{t} консульство в Риге",
        "checklist note": f"Паспорт-{t} у брата в Назрани",
        "submission reason": f"Reason-{t} подали вместе с письмом",
        "refusal transition reason": f"Letter-{t} письмо из посольства",
        "refusal text": f"Отказ-{t}: нет связи со страной",
        "family ties (JSON)": json.dumps(FAMILY_TIES),
        "family ties (compact JSON)": json.dumps(FAMILY_TIES, separators=(",", ":")),
        "API contact organisation": f"Apiorg-{t}",
        "API contact name": f"Apiname-{t} Петрова",
        "API contact details": f"Apidetails-{t} Signal",
        "API engagement asked": f"Apiasked-{t} переселение",
        "API engagement response": f"Apiresponse-{t}",
        "API engagement next step": f"Apinext-{t} позвонить",
        "API application channel": f"Apichannel-{t} UNHCR Ankara",
        "API checklist note": f"Apinote-{t} справка от врача",
        "API transition reason": f"Apireason-{t} подано",
        "API refusal transition reason": f"Apirefusal-reason-{t}",
        "API refusal text": f"Apirefusal-{t} квота исчерпана",
    }
    today = timezone.localdate()
    due = (today + datetime.timedelta(days=7)).isoformat()
    lithuania = Programme.objects.filter(country="LT", is_open=True).order_by("pk").first()
    germany = Programme.objects.filter(country="DE", is_open=True).order_by("pk").first()
    assert lithuania is not None and germany is not None
    made: dict[str, Any] = {"programmes": (lithuania, germany)}

    # The coordinator: a contact at the Lithuanian embassy and one approach, through the pages.
    organisation = f"{s['contact organisation (Cyrillic)']} {s['contact organisation (Latin)']}"
    response = ok(
        coordinator.post(
            reverse("relocation:contacts"),
            {
                "country": "LT",
                "kind": "embassy",
                "organisation": organisation,
                "name": s["contact name"],
                "details": s["contact details"],
            },
        ),
        "contact",
    )
    contact = Contact.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    ok(
        coordinator.post(
            reverse("relocation:contact", args=[contact.pk]),
            {
                "on": today.isoformat(),
                "programme": str(lithuania.pk),
                "asked": f"{s['engagement asked (Cyrillic)']} ({s['engagement asked (Latin)']})",
                "response": s["engagement response"],
                "next_step": s["engagement next step"],
                "next_due": due,
            },
        ),
        "engagement",
    )
    made["contact"] = contact

    # The caseworker: an application with its channel, a checklist note, submitted then refused.
    response = ok(
        caseworker.post(
            reverse("relocation:application_new", args=[case.pk]),
            {"programme": str(lithuania.pk), "channel": s["application channel"], "members": [str(p.pk) for p in members(case)]},
        ),
        "application",
    )
    application = Application.objects.get(pk=_application_id(response))
    ok(
        caseworker.post(
            reverse("relocation:application_checklist", args=[application.pk]),
            {"kind": "passport", "status": "requested", "note": s["checklist note"]},
        ),
        "checklist",
    )
    transition = reverse("relocation:application_transition", args=[application.pk])
    ok(caseworker.post(transition, {"status": "submitted", "on": today.isoformat(), "reason": s["submission reason"]}), "submit")
    ok(
        caseworker.post(
            transition,
            {
                "status": "refused",
                "on": today.isoformat(),
                "reason": s["refusal transition reason"],
                "refusal_reason": "no_link",
                "refusal_text": s["refusal text"],
            },
        ),
        "refuse",
    )
    ok(
        caseworker.post(reverse("relocation:case_profile", args=[case.pk]), {"referral": "partner", "family_ties": FAMILY_TIES}),
        "profile",
    )
    made["application"] = application

    # The coordinator again, through the API: a contact, an approach, an application refused.
    api, s["API token"] = api_client(coordinator)
    api_contact = _json(
        api.post(
            f"{API}/contacts/",
            {
                "country": "DE",
                "kind": "ministry",
                "organisation": s["API contact organisation"],
                "name": s["API contact name"],
                "details": s["API contact details"],
            },
            content_type="application/json",
        ),
        "API contact",
    )
    _json(
        api.post(
            f"{API}/contacts/{api_contact['id']}/engagements/",
            {
                "programme": germany.pk,
                "asked": s["API engagement asked"],
                "response": s["API engagement response"],
                "next_step": s["API engagement next step"],
                "next_due": due,
            },
            content_type="application/json",
        ),
        "API engagement",
    )
    api_application = _json(
        api.post(
            f"{API}/cases/{case.pk}/applications/",
            {"programme": germany.pk, "channel": s["API application channel"], "members": [str(p.pk) for p in members(case)]},
            content_type="application/json",
        ),
        "API application",
    )
    app_url = f"{API}/applications/{api_application['id']}"
    _json(
        api.post(
            f"{app_url}/checklist/",
            {"kind": "medical", "status": "obtained", "note": s["API checklist note"]},
            content_type="application/json",
        ),
        "API checklist",
    )
    _json(
        api.post(
            f"{app_url}/transitions/",
            {"status": "submitted", "reason": s["API transition reason"]},
            content_type="application/json",
        ),
        "API submit",
    )
    _json(
        api.post(
            f"{app_url}/transitions/",
            {
                "status": "refused",
                "reason": s["API refusal transition reason"],
                "refusal_reason": "quota",
                "refusal_text": s["API refusal text"],
            },
            content_type="application/json",
        ),
        "API refuse",
    )
    made |= {"api": api, "api contact": api_contact["id"], "api application": api_application["id"]}
    return s, made


def _read_back(coordinator: Client, caseworker: Client, made: dict[str, Any]) -> str:
    """Every page and API answer that shows what was planted, as the planting staff see them."""
    api: Client = made["api"]
    texts = [
        ok(coordinator.get(reverse("relocation:contact", args=[made["contact"].pk])), "contact page").content.decode(),
        ok(coordinator.get(reverse("relocation:country", args=["LT"])), "country page").content.decode(),
        ok(caseworker.get(reverse("relocation:application", args=[made["application"].pk])), "application page").content.decode(),
        ok(
            caseworker.get(reverse("relocation:application", args=[made["api application"]])), "API application page"
        ).content.decode(),
    ]
    for url in (
        f"{API}/contacts/{made['api contact']}/",
        f"{API}/contacts/{made['api contact']}/engagements/",
        f"{API}/applications/{made['api application']}/",
    ):
        texts.append(json.dumps(_json(api.get(url), url), ensure_ascii=False))
    return "\n".join(texts)


def test_relocation_work_leaves_nothing_at_rest() -> None:
    _reference_data()
    t = token()
    team = Team.objects.create(name="Evacuations")
    caseworker_user = make_staff(Role.CASEWORKER, teams=[team], username="seizure-reloc-caseworker")
    coordinator = sign_in(Client(), make_staff(Role.RELOCATION, teams=[team], username="seizure-coordinator"))
    caseworker = sign_in(Client(), caseworker_user)
    case = make_case(caseworker_user, team)

    with captured_logs() as logs:
        s, made = _plant(coordinator, caseworker, case, t)
        shown = _read_back(coordinator, caseworker, made)
        case_page = ok(caseworker.get(reverse("relocation:case", args=[case.pk])), "case page").content.decode()
        profile = _json(made["api"].get(f"{API}/cases/{case.pk}/profile/"), "API profile")

    # The plant was real: each text is on a page or in an API answer, the profile as saved.
    not_shown = {"family ties (JSON)", "family ties (compact JSON)", "contact phone (digits)", "API token"}
    missing = [label for label, value in s.items() if label not in not_shown and str(value) not in shown]
    assert missing == []
    assert profile == {"referral": "partner", "family_ties": FAMILY_TIES}
    # The countries are ticks now (issue 11): the chosen ones are checked.
    selected = sorted(re.findall(r'<input type="checkbox" name="family_ties" value="([A-Z]{2})"[^>]*\bchecked\b', case_page))
    assert selected == FAMILY_TIES
    assert Country.objects.filter(pk__in=FAMILY_TIES).count() == len(FAMILY_TIES)
    assert logs.getvalue().count("django.db.backends DEBUG") > 100, "the SQL of the whole run was captured"

    assert scan_at_rest(s, extra={"captured logs": logs.getvalue().encode()}) == []


def test_the_relocation_scan_finds_family_ties_stored_in_clear() -> None:
    """Negative control: the family-ties needles find the list when a row holds it in clear."""
    Team.objects.create(name=f"ties {json.dumps(FAMILY_TIES)}")
    findings = scan_at_rest({"family ties (JSON)": json.dumps(FAMILY_TIES)})
    assert any(f.startswith("family ties (JSON) (utf-8, as typed) in ") for f in findings), findings
