"""The seizure test through every web form: each free-text field of every form in corridor is
either planted by a seizure test (and so scanned at rest) or kept in clear on purpose, with
the reason. A new form, or a new text field on a form, fails here until it is one or the other.

The forms that no other seizure test plants through are planted here, through their pages.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
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
    "corridor.intake.forms.OpenCaseForm.location": "test_seizure_intake.py (custom questions: mapped answers)",
    "corridor.intake.forms.OpenCaseForm.contact": "test_seizure_intake.py (custom questions: mapped answers)",
    "corridor.intake.forms.OpenCaseForm.summary": "test_seizure_intake.py (custom questions: mapped answers)",
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
    "corridor.documentation.forms.EventForm.title": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.EventForm.place": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.EventForm.description": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.ActForm.place": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.ActForm.stated_reason": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.ActForm.physical_consequences": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.ActForm.psychological_consequences": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.InvolvementForm.note": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.PerpetratorForm.name": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.PerpetratorForm.description": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.SourceForm.title": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.SourceForm.text": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.SourceForm.url": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.SourceForm.author": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.InformationForm.reported_place": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.InformationForm.note": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.EvidenceForm.description": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.RedactedCopyForm.note": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.CustodyForm.note": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.ImportForm.reports": "test_seizure_forms.py (documentation pages)",
    "corridor.documentation.forms.ExportForm.partner": "test_seizure_forms.py (documentation pages)",
    "corridor.notifications.forms.PreferenceForm.email": "test_seizure_forms.py (notification preferences)",
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
    "corridor.intake.forms.HelpForm.questionnaire": "the questionnaire version the page printed; the request keeps it to show the questions as asked",
    "corridor.intake.editor.QuestionForm.key": "the intake questionnaire: not secret, the public page reads it while sealed",
    "corridor.intake.editor.QuestionForm.choice_values": "the intake questionnaire: not secret, the public page reads it while sealed",
    "corridor.intake.editor.QuestionForm.condition_values": "the intake questionnaire: not secret, the public page reads it while sealed",
    "corridor.intake.editor.QuestionForm.emergency_values": "the intake questionnaire: not secret, the public page reads it while sealed",
    "corridor.intake.editor.QuestionForm.unsure_values": "the intake questionnaire: not secret, the public page reads it while sealed",
    "corridor.intake.editor.AddLanguageForm.code": "the intake questionnaire: not secret, the public page reads it while sealed",
    "corridor.intake.editor.AddLanguageForm.name": "the intake questionnaire: not secret, the public page reads it while sealed",
    "corridor.web.views.ShareForm.share": "an unseal share: handed to the key service, never stored",
    "corridor.relocation.forms.ProgrammeForm.name": "public facts about a visa programme",
    "corridor.relocation.forms.ProgrammeForm.language": "public facts about a visa programme",
    "corridor.relocation.forms.ProgrammeForm.notes": "public facts about a visa programme",
    "corridor.relocation.forms.ProgrammeForm.source_url": "public facts about a visa programme",
    "corridor.relocation.forms.TransitionForm.seen": "the status the page showed (a hidden value, checked and never stored)",
    "corridor.cases.forms.StatusForm.seen": "the status the case page showed (a hidden value, checked and never stored)",
    "corridor.documentation.forms.EventForm.region": "only when CORRIDOR_REGION_IN_CLEAR is set; the form drops it otherwise",
    "corridor.documentation.forms.EventForm.seen": "the record's edit stamp the page showed (hidden, checked and never stored)",
    "corridor.documentation.forms.ActForm.seen": "the record's edit stamp the page showed (hidden, checked and never stored)",
    "corridor.documentation.forms.PerpetratorForm.seen": "the record's edit stamp the page showed (hidden, checked and never stored)",
    "corridor.documentation.forms.SourceForm.seen": "the record's edit stamp the page showed (hidden, checked and never stored)",
    "corridor.documentation.forms.TermForm.code": "a vocabulary code (torture, beating): the organisation's words, not about anyone",
    "corridor.notifications.forms.PreferenceForm.public_key": "an age public key: public by nature, and the sealed mail worker encrypts to it",
    "corridor.audit.forms.AuditFilterForm.object": "what an auditor filters the log by (a case reference, a codename, an id): never stored",
    "corridor.accounts.forms.SetupCodeForm.code": "a one-time code, checked and never stored",
    "corridor.intake.lookform.LookForm.quick_exit_url": "the ordinary site the intake's quick exit opens: shown to every visitor",
    "corridor.statistics.views.ReportForm.title": "a report's title, published with its figures; the form asks for a topic, never a person",
    "corridor.statistics.views.ReportForm.period_from": "a month (YYYY-MM) a report's counting starts, kept in its definition",
    "corridor.statistics.views.ReportForm.period_to": "a month (YYYY-MM) a report's counting ends, kept in its definition",
    "corridor.transfer.views_import.UploadForm.carried": "the spreadsheet carried between the import's steps, never stored: tests/test_seizure_import.py plants through it",
    "corridor.transfer.views_import.UploadForm.filename": "the spreadsheet's name carried between the import's steps, never stored: tests/test_seizure_import.py",
    "corridor.transfer.views_referrals.ImportForm.staged": "the id of a bundle kept sealed between preview and import (domain/staging.py): tests/test_seizure_referral.py",
    "corridor.transfer.views_referrals.PartnerForm.age_recipient": "a partner organisation's age public key: public by nature",
    "corridor.transfer.views_referrals.PartnerForm.signing_key": "a partner organisation's Ed25519 public key: public by nature",
    "corridor.transfer.views_referrals.PartnerForm.name": "the name of a partner organisation, not of a person",
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
        ok(
            client.post(reverse("cases:case_status", args=[case.pk]), {"status": "verifying", "reason": s["status reason"]}),
            "status",
        )
        ok(
            client.post(
                reverse("cases:verification", args=[case.pk]), {"method": "referrer", "details": s["verification details"]}
            ),
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


def _starter_vocabulary() -> None:
    """The vocabulary comes from a data migration, which a transactional test's flush empties."""
    from django.apps import apps

    importlib.import_module("corridor.documentation.migrations.0003_starter_vocabulary").load(apps, None)


def _made(response: object, kind: str) -> str:
    """The id in the address a documentation page redirected to after saving."""
    location = str(getattr(response, "headers", {}).get("Location", ""))
    match = re.search(rf"/documentation/{kind}/([0-9a-f-]{{36}})/", location)
    assert match, location
    return match.group(1)


def test_the_documentation_pages_leave_nothing_at_rest() -> None:
    """Testimony, perpetrators' names and places typed into every documentation form: none at rest."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from corridor.documentation.models import Act, Evidence, Information, Involvement, Perpetrator, Source, Term

    _starter_vocabulary()
    t = token()
    team = Team.objects.create(name="Documentation")
    officer = make_staff(Role.DOCUMENTATION, teams=[team], username="forms-documentation")
    caseworker = make_staff(Role.CASEWORKER, teams=[team], username="forms-documentation-caseworker")
    client = sign_in(Client(), officer)
    victim = domain.create_person(caseworker, names=[{"name": "Ибрагим Ибрагимов", "kind": "legal"}])
    domain.open_case(caseworker, team=team, principal=victim, dependants=[], priority="normal")
    s = {
        "event title": f"Eventtitle-{t} задержание в Аргуне",
        "event place": f"Eventplace-{t} ул. Кадырова 12",
        "event description": f"Eventdesc-{t} его держали в подвале",
        "act place": f"Actplace-{t} подвал ОМВД",
        "stated reason": f"Reason-{t} за переписку",
        "physical consequences": f"Physical-{t} сломаны рёбра",
        "psychological consequences": f"Psych-{t} бессонница",
        "perpetrator name": f"Perpname-{t} Магомедов",
        "perpetrator description": f"Perpdesc-{t} начальник отдела",
        "involvement note": f"Involvement-{t} руководил допросом",
        "source title": f"Sourcetitle-{t} показания",
        "testimony": f"Testimony-{t} меня били током три дня",
        "source url": f"https://example.org/report-{t}",
        "source author": f"Author-{t} Новая газета",
        "reported place": f"Reportedplace-{t} Цоцин-Юрт",
        "information note": f"Infonote-{t} слышал от соседа",
        "evidence description": f"Evidencedesc-{t} фото синяков",
        "evidence bytes": f"Evidencefile-{t} справка врача",
        "redaction note": f"Redactnote-{t} для ООН",
        "custody note": f"Custodynote-{t} адвокату",
        "export partner": f"Partnerorg-{t} Мемориал",
        "imported report": f"Imported-{t} задержали на блокпосту",
        "imported address": f"https://example.org/imported-{t}",
    }
    torture, shock = Term.objects.get(code="torture"), Term.objects.get(code="electric_shock")
    with captured_logs() as logs:
        new_event = {
            "team": str(team.pk),
            "title": s["event title"],
            "start": "2024-03-01",
            "start_precision": "exact",
            "end_precision": "exact",
            "place": s["event place"],
            "description": s["event description"],
            "confidentiality": "internal",
        }
        event_id = _made(ok(client.post(reverse("documentation:event_new"), new_event), "event"), "events")
        act = {
            "victim": str(victim.pk),
            "act_type": str(torture.pk),
            "methods": [str(shock.pk)],
            "start": "2024-03-02",
            "start_precision": "exact",
            "end_precision": "exact",
            "place": s["act place"],
            "stated_reason": s["stated reason"],
            "physical_consequences": s["physical consequences"],
            "psychological_consequences": s["psychological consequences"],
            "end_status": "released",
        }
        ok(client.post(reverse("documentation:act_new", args=[event_id]), act), "act")
        perpetrator = {"kind": "person", "name": s["perpetrator name"], "description": s["perpetrator description"]}
        perpetrator_id = _made(ok(client.post(reverse("documentation:perpetrators"), perpetrator), "perpetrator"), "perpetrators")
        act_id = str(Act.objects.get(event_id=event_id).pk)
        involvement = {"act": act_id, "perpetrator": perpetrator_id, "degree": "direct", "note": s["involvement note"]}
        ok(client.post(reverse("documentation:involvement_new", args=[event_id]), involvement), "involvement")
        source = {
            "team": str(team.pk),
            "kind": "testimony",
            "person": str(victim.pk),
            "title": s["source title"],
            "text": s["testimony"],
            "url": s["source url"],
            "author": s["source author"],
        }
        source_id = _made(ok(client.post(reverse("documentation:source_new"), source), "source"), "sources")
        information = {
            "source": source_id,
            "target": act_id,
            "how_known": "victim",
            "reliability": "high",
            "reported_start": "2024-03-02",
            "reported_place": s["reported place"],
            "reported_perpetrators": [perpetrator_id],
            "note": s["information note"],
        }
        ok(client.post(reverse("documentation:information_new", args=[event_id]), information), "information")
        upload = {
            "file": SimpleUploadedFile("note.txt", s["evidence bytes"].encode(), content_type="text/plain"),
            "source": source_id,
            "description": s["evidence description"],
        }
        evidence_id = _made(
            ok(client.post(reverse("documentation:evidence_new", args=[event_id]), upload), "evidence"), "evidence"
        )
        redacted = {"file": SimpleUploadedFile("note.txt", b"[redacted]", content_type="text/plain"), "note": s["redaction note"]}
        ok(client.post(reverse("documentation:evidence_redacted", args=[evidence_id]), redacted), "redacted copy")
        custody = {"action": "handed_over", "note": s["custody note"]}
        ok(client.post(reverse("documentation:evidence_custody", args=[evidence_id]), custody), "custody")
        export = {"audience": "partner", "partner": s["export partner"], "format": "huridocs"}
        ok(client.post(reverse("documentation:export"), export), "export")
        reports = f"title,text,address\nReport,{s['imported report']},{s['imported address']}\n"
        for step in ("preview", "save"):
            ok(client.post(reverse("documentation:import"), {"team": str(team.pk), "reports": reports, "step": step}), "import")
        # Read back through the pages too: a page shown must not leave what it showed behind.
        for name, pk in (("event", event_id), ("source", source_id), ("perpetrator", perpetrator_id), ("evidence", evidence_id)):
            ok(client.get(reverse(f"documentation:{name}", args=[pk])), name)

    # The plant was real: each value reached the database (encrypted), through its form.
    saved = Act.objects.get(pk=act_id)
    assert (saved.place, saved.stated_reason) == (s["act place"], s["stated reason"])
    assert Perpetrator.objects.get(pk=perpetrator_id).name == s["perpetrator name"]
    assert Involvement.objects.get(act_id=act_id).note == s["involvement note"]
    assert (Source.objects.get(pk=source_id).text, Source.objects.get(pk=source_id).url) == (s["testimony"], s["source url"])
    assert Information.objects.get(act_id=act_id).reported_place == s["reported place"]
    assert Evidence.objects.get(pk=evidence_id).description == s["evidence description"]
    assert [e["note"] for e in Evidence.objects.get(pk=evidence_id).custody][-1] == s["custody note"]
    assert Source.objects.get(kind="media").text == s["imported report"]

    assert scan_at_rest(s, extra={"captured logs": logs.getvalue().encode()}) == []


def test_a_staff_address_typed_into_notification_preferences_is_not_at_rest() -> None:
    """The address is sealed to the outbox key (a file of its own); notifying the user (which
    queues mail for it) leaves it nowhere in clear either."""
    from corridor.notifications.api import Kind, notify
    from corridor.notifications.models import Preference

    t = token()
    address = f"mailplant{t}@example.org"
    user = make_staff(Role.CASEWORKER, username="forms-mail")
    client = sign_in(Client(), user)
    with captured_logs() as logs:
        ok(client.post(reverse("notifications:preferences"), {"batching": "immediate", "email": address}), "preferences")
        notify([user], Kind.CASE_ASSIGNED, link="/cases/")
    assert Preference.objects.get(user=user).email == address  # the plant was real
    assert scan_at_rest({"staff e-mail": address}, extra={"captured logs": logs.getvalue().encode()}) == []
