"""Admins' pages for the intake's questionnaire: versions, the draft editor, a preview in each
language, approval by a second admin, and the intake's languages. Admin only; 404 otherwise."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from corridor.accounts.access import staff_holding
from corridor.accounts.models import User
from corridor.core.forms import press, submit
from corridor.intake import questionnaire
from corridor.intake.domain import questionnaires
from corridor.intake.editor import AddLanguageForm, LanguagesForm, QuestionForm
from corridor.intake.forms import HelpForm, Step
from corridor.intake.models import Question, QuestionnaireVersion, VersionState

EDIT = questionnaires.EDIT


def _admin(request: HttpRequest) -> User:
    return staff_holding(request.user, EDIT)


def _version(number: int) -> QuestionnaireVersion:
    found = QuestionnaireVersion.objects.filter(number=number).first()
    if found is None:
        raise Http404
    return found


@never_cache
@require_http_methods(["GET", "POST"])
def versions_view(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    if request.method == "POST":
        draft = questionnaires.new_draft(user, str(request.POST.get("note", "")))
        return redirect("intake:version", number=draft.number)
    versions = list(QuestionnaireVersion.objects.select_related("author", "submitted_by", "approved_by").order_by("-number"))
    return render(
        request,
        "intake/editor/versions.html",
        {"versions": versions, "has_draft": any(v.state == VersionState.DRAFT for v in versions)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def version_view(request: HttpRequest, number: int) -> HttpResponse:
    user = _admin(request)
    version = _version(number)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "submit":
            press(
                request,
                lambda: questionnaires.submit_for_approval(user, version),
                _("Sent for approval. A second admin approves it."),
            )
        elif action == "approve":
            press(request, lambda: questionnaires.approve(user, version), _("Approved: this version is now on the public page."))
        elif action == "discard":
            if press(request, lambda: questionnaires.discard(user, version), _("Draft discarded.")):
                return redirect("intake:questionnaire")
        elif action == "send_back":
            press(request, lambda: questionnaires.send_back(user, version), _("Sent back to draft."))
        elif action == "delete":
            question = version.questions.filter(key=str(request.POST.get("key", ""))).first()
            if question is None:
                raise Http404
            press(request, lambda: questionnaires.delete_question(user, question), _("Question removed from the draft."))
        else:
            raise Http404
        return redirect("intake:version", number=version.number)
    lang = questionnaire.languages()[0]
    rows = [
        (
            q,
            questionnaire.label(q, lang),
            [code for code in questionnaire.languages() if (q.wording or {}).get(code, {}).get("label")],
        )
        for q in questionnaire.questions_of(version)
    ]
    context = {
        "version": version,
        "rows": rows,
        "is_draft": version.state == VersionState.DRAFT,
        "is_pending": version.state == VersionState.PENDING,
        "may_approve": questionnaires.may_approve(user, version),
        "languages": [(code, questionnaire.language_name(code)) for code in questionnaire.languages()],
    }
    return render(request, "intake/editor/version.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def question_view(request: HttpRequest, number: int, key: str = "") -> HttpResponse:
    user = _admin(request)
    version = _version(number)
    if version.state != VersionState.DRAFT:
        raise Http404
    existing: Question | None = None
    if key:
        existing = version.questions.filter(key=key).first()
        if existing is None:
            raise Http404
    others = [q for q in questionnaire.questions_of(version) if existing is None or q.pk != existing.pk]
    languages = questionnaire.languages()
    initial = (
        QuestionForm.initial_for(existing) if existing else {"position": (max((q.position for q in others), default=0) + 10)}
    )
    form = QuestionForm(request.POST or None, initial=initial, languages=languages, others=others)
    if request.method == "POST":
        saved = submit(form, lambda _data: questionnaires.save_question(user, version, form.values(existing), existing))
        if saved is not None:
            return redirect("intake:version", number=version.number)
    return render(
        request,
        "intake/editor/question.html",
        {"version": version, "form": form, "existing": existing},
        status=400 if form.errors else 200,
    )


@never_cache
@require_GET
def preview_view(request: HttpRequest, number: int) -> HttpResponse:
    """Every question of a version as the person sees it (follow-ups included), in one language."""
    _admin(request)
    version = _version(number)
    offered = questionnaire.languages()
    lang = str(request.GET.get("lang", "")) if request.GET.get("lang", "") in offered else offered[0]
    questions = questionnaire.questions_of(version)
    follow_ups = {q.key for q in questions if q.condition_key}
    with questionnaire.speaking(lang):
        form = HelpForm(version=version, questions=questions, step=Step.ALL, everything=True)
        rendered = render(
            request,
            "intake/editor/preview.html",
            {
                "version": version,
                "form": form,
                "follow_ups": follow_ups,
                "preview_lang": lang,
                "languages": [(code, questionnaire.language_name(code)) for code in offered],
            },
        )
    return rendered


@never_cache
@require_http_methods(["GET", "POST"])
def languages_view(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    row = questionnaire.look()
    available = [
        (code, questionnaire.language_name(code, row)) for code in [*questionnaire.SHIPPED, *(row.added_languages or {})]
    ]
    current = questionnaire.languages(row)
    choose = LanguagesForm(initial={"languages": current, "default": current[0]}, available=available)
    edit_code = str(request.GET.get("edit", ""))
    if edit_code and edit_code in (row.added_languages or {}):
        add_initial = AddLanguageForm.initial_for(
            edit_code, str(row.added_languages[edit_code]), dict((row.fixed_texts or {}).get(edit_code) or {})
        )
    else:
        add_initial = {}
    add = AddLanguageForm(initial=add_initial)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "choose":
            choose = LanguagesForm(request.POST, available=available)
            if submit(choose, lambda _data: questionnaires.set_languages(user, choose.ordered()), "languages"):
                return redirect("intake:languages")
        elif request.POST.get("action") == "add":
            add = AddLanguageForm(request.POST)
            if submit(add, lambda data: questionnaires.save_language(user, data["code"], data["name"], add.texts()), "code"):
                return redirect("intake:languages")
        else:
            raise Http404
        status = 400
    context = {"choose": choose, "add": add, "added": sorted((row.added_languages or {}).items())}
    return render(request, "intake/editor/languages.html", context, status=status)
