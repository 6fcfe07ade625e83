"""The seizure test through every web form: each free-text field of every form in corridor is
either planted by a seizure test (and so scanned at rest) or kept in clear on purpose, with
the reason. A new form, or a new text field on a form, fails here until it is one or the other.

The forms that no other seizure test plants through are planted here, through their pages.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import TypeVar

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import corridor
from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases import domain
from corridor.cases.models import Case, Need, Verification
from tests.seizure import captured_logs, ok, scan_at_rest, token

T = TypeVar("T")

pytestmark = [pytest.mark.django_db(transaction=True)]

# "module.Form.field" -> where it is planted and scanned.
PLANTED = {
    "corridor.cases.forms.PersonForm.location": "test_seizure.py (new person page)",
    "corridor.cases.forms.PersonForm.languages": "test_seizure_forms.py (person edit page)",
    "corridor.cases.forms.PersonForm.gender_identity": "test_seizure.py (new person page)",
    "corridor.cases.forms.PersonForm.orientation": "test_seizure_forms.py (person edit page)",
    "corridor.cases.forms.NewPersonForm.summary": "test_seizure.py (new person page)",
    "corridor.cases.forms.NewPersonForm.location": "test_seizure.py (new person page)",
    "corridor.cases.forms.NewPersonForm.gender_identity": "test_seizure.py (new person page)",
    "corridor.cases.forms.NewPersonForm.languages": "PersonForm's own field: test_seizure_forms.py (person edit page)",
    "corridor.cases.forms.NewPersonForm.orientation": "PersonForm's own field: test_seizure_forms.py (person edit page)",
    "corridor.cases.forms.CaseFieldsMixin.summary": "test_seizure.py (new person page)",
    "corridor.cases.forms.NewCaseForm.summary": "test_seizure_forms.py (new case page)",
    "corridor.cases.forms.SearchForm.q": "test_seizure.py (people search)",
    "corridor.cases.forms.NoteForm.body": "test_seizure.py (case note)",
    "corridor.cases.forms.TaskForm.title": "test_seizure.py (case task)",
    "corridor.cases.forms.NeedForm.details": "test_seizure_forms.py (case need)",
    "corridor.cases.forms.StatusForm.reason": "test_seizure_forms.py (case status)",
    "corridor.cases.forms_workflow.VerificationForm.details": "test_seizure_forms.py (verification)",
    "corridor.cases.forms_workflow.ConsentForm.partner": "test_seizure.py (consent)",
    "corridor.cases.forms_workflow.RiskConfirmForm.override_reason": "test_seizure.py (risk)",
    "corridor.cases.forms_workflow.SafeHouseForm.address": "test_seizure.py (new safe house)",
    "corridor.cases.forms_workflow.SafeHouseForm.notes": "test_seizure.py (new safe house)",
    "corridor.cases.forms_workflow.BreakGlassForm.reason": "test_seizure_forms.py (break glass)",
    "corridor.intake.forms.FollowUpForm.text": "test_seizure_intake.py (follow-up)",
    "corridor.intake.forms.ReplyForm.text": "test_seizure_intake.py (hotline reply)",
    "corridor.intake.forms.OpenCaseForm.name": "test_seizure_intake.py (open case)",
    "corridor.intake.forms.FollowUpForm.codename": "test_seizure_intake.py (codename)",
    "corridor.intake.forms.PassphraseForm.codename": "test_seizure_intake.py (codename)",
    "corridor.relocation.forms.ApplicationForm.channel": "test_seizure_relocation.py",
    "corridor.relocation.forms.TransitionForm.reason": "test_seizure_relocation.py",
    "corridor.relocation.forms.TransitionForm.refusal_text": "test_seizure_relocation.py",
    "corridor.relocation.forms.ChecklistForm.note": "test_seizure_relocation.py",
    "corridor.relocation.forms.ContactForm.organisation": "test_seizure_relocation.py",
    "corridor.relocation.forms.ContactForm.name": "test_seizure_relocation.py",
    "corridor.relocation.forms.ContactForm.details": "test_seizure_relocation.py",
    "corridor.relocation.forms.EngagementForm.asked": "test_seizure_relocation.py",
    "corridor.relocation.forms.EngagementForm.response": "test_seizure_relocation.py",
    "corridor.relocation.forms.EngagementForm.next_step": "test_seizure_relocation.py",
    "corridor.cases.views.documents.UploadForm.description": "test_seizure.py (photo description)",
}
CLEAR_BY_DESIGN = {
    "corridor.cases.forms.PersonForm.region": "only when CORRIDOR_REGION_IN_CLEAR is set; the form drops it otherwise",
    "corridor.cases.forms.NewPersonForm.region": "only when CORRIDOR_REGION_IN_CLEAR is set; the form drops it otherwise",
    "corridor.cases.forms.NewCaseForm.person": "a hidden id, not text",
    "corridor.cases.forms_workflow.SafeHouseForm.label": "the neutral name of a house, shown in lists; never its address",
    "corridor.cases.forms_workflow.BreakGlassForm.reference": "a case reference (C-2026-0001), stored in clear",
    "corridor.accounts.forms.LoginForm.username": "staff usernames are stored in clear",
    "corridor.accounts.forms.LoginForm.password": "kept only as an argon2 hash",
    "corridor.accounts.forms.ReauthForm.username": "staff usernames are stored in clear",
    "corridor.accounts.forms.ReauthForm.password": "kept only as an argon2 hash",
    "corridor.accounts.forms.ReauthForm.code": "a one-time code, checked and never stored",
    "corridor.accounts.forms.CodeForm.code": "a one-time code, checked and never stored",
    "corridor.accounts.forms.EnrolPasswordForm.password": "kept only as an argon2 hash",
    "corridor.accounts.forms.EnrolPasswordForm.password_again": "kept only as an argon2 hash",
    "corridor.accounts.forms.EnrolPasswordForm.duress_password": "kept only as an argon2 hash",
    "corridor.accounts.forms.NewUserForm.username": "staff usernames are stored in clear",
    "corridor.accounts.forms.TokenForm.name": "a label staff give their own API token",
    "corridor.intake.forms.HelpForm.token": "the form's anti-replay token, not typed by anyone",
    "corridor.web.views.ShareForm.share": "an unseal share: handed to the key service, never stored",
    "corridor.relocation.forms.ProgrammeForm.name": "public facts about a visa programme",
    "corridor.relocation.forms.ProgrammeForm.language": "public facts about a visa programme",
    "corridor.relocation.forms.ProgrammeForm.notes": "public facts about a visa programme",
    "corridor.relocation.forms.ProgrammeForm.source_url": "public facts about a visa programme",
    "corridor.relocation.forms.TransitionForm.seen": "the status the page showed (a hidden value, checked and never stored)",
    "corridor.cases.forms.StatusForm.seen": "the status the case page showed (a hidden value, checked and never stored)",
}


def _subclasses(cls: type[T]) -> Iterator[type[T]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def form_text_fields() -> set[str]:
    """Every free-text field declared on a form class in corridor (fields added per row at run
    time, like PersonForm's name_N, are planted by test_seizure.py through the same pages)."""
    for module in pkgutil.walk_packages(corridor.__path__, "corridor."):
        # Forms live in forms*.py, and a few small ones next to their views.
        parts = module.name.split(".")
        if ".tests" not in module.name and (parts[-1].startswith(("forms", "views")) or "views" in parts[:-1]):
            importlib.import_module(module.name)
    found = set()
    for cls in _subclasses(forms.BaseForm):
        if not cls.__module__.startswith("corridor.") or ".tests" in cls.__module__:
            continue
        for name, field in cls.base_fields.items():  # type: ignore[attr-defined]  # every concrete form has it; the stubs declare it on Form and ModelForm only
            if isinstance(field, forms.CharField):
                found.add(f"{cls.__module__}.{cls.__qualname__}.{name}")
    return found


def test_every_form_text_field_is_planted_or_kept_in_clear_on_purpose() -> None:
    assert set(PLANTED).isdisjoint(CLEAR_BY_DESIGN)
    assert form_text_fields() == set(PLANTED) | set(CLEAR_BY_DESIGN)


def test_the_forms_planted_here_leave_nothing_at_rest() -> None:
    t = token()
    team, other = Team.objects.create(name="North Caucasus"), Team.objects.create(name="Moscow")
    user = make_staff(Role.CASEWORKER, teams=[team], username="forms-caseworker")
    stranger = make_staff(Role.CASEWORKER, teams=[other], username="forms-other")
    client = sign_in(Client(), user)
    s = {
        "languages": f"Langplant-{t}",
        "orientation": f"Orientplant-{t}",
        "new case summary": f"Casesummary-{t} сбежал",
        "need details": f"Needplant-{t} инсулин",
        "status reason": f"Statusplant-{t} проверили",
        "verification details": f"Verifyplant-{t} звонок правозащитнику",
        "break-glass reason": f"Glassplant-{t} срочно ночью",
    }
    person = domain.create_person(user, names=[{"name": "Ахмед Ахмедов", "kind": "legal"}])
    case = domain.open_case(user, team=team, principal=person, dependants=[], priority="normal")
    foreign = domain.open_case(
        stranger,
        team=other,
        principal=domain.create_person(stranger, names=[{"name": "Муса", "kind": "legal"}]),
        dependants=[],
        priority="normal",
    )
    with captured_logs() as logs:
        edit = {
            "name_0": "Ахмед Ахмедов",
            "name_kind_0": "legal",
            "birth_precision": "exact",
            "documents_held": "none",
            "languages": s["languages"],
            "orientation": s["orientation"],
        }
        ok(client.post(reverse("cases:person_edit", args=[person.pk]), edit), "person edit")
        new_case = {"person": str(person.pk), "team": str(team.pk), "priority": "normal", "summary": s["new case summary"]}
        ok(client.post(reverse("cases:case_new"), new_case), "new case")
        ok(client.post(reverse("cases:case_need", args=[case.pk]), {"kind": "medical", "details": s["need details"]}), "need")
        ok(client.post(reverse("cases:case_status", args=[case.pk]), {"status": "verifying", "reason": s["status reason"]}), "status")
        ok(
            client.post(reverse("cases:verification", args=[case.pk]), {"method": "referrer", "details": s["verification details"]}),
            "verification",
        )
        glass = {"reference": foreign.reference, "reason": s["break-glass reason"]}
        ok(client.post(reverse("cases:break_glass"), glass), "break glass")

    # The plant was real: each value reached the database (encrypted), through its form.
    person.refresh_from_db()
    case.refresh_from_db()
    assert (person.orientation, person.languages) == (s["orientation"], [s["languages"]])
    assert Case.objects.exclude(pk=case.pk).filter(members__person=person).get().summary == s["new case summary"]
    assert Need.objects.get(case=case).details == s["need details"]
    assert (case.status, case.status_changes.get().reason) == ("verifying", s["status reason"])
    assert Verification.objects.get(case=case).details == s["verification details"]
    assert timezone.now()  # the break-glass grant's reason is checked by the scan alone

    assert scan_at_rest(s, extra={"captured logs": logs.getvalue().encode()}) == []
