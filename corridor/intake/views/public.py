"""The public help pages: the form, the passphrase (the pages say "codename"), and coming back
with it. No cookie, no script, no other host; they answer while the instance is sealed.

Russian unless the address asks for English (`?lang=en`): the choice travels in the URL
because a cookie would be a trace left in the browser before anything was sent.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from corridor.cases.files import FileRejected, sanitize
from corridor.core import uploads
from corridor.core.decorators import public, works_sealed
from corridor.intake import conf, domain, formtoken, look, passphrases, questionnaire, ratelimit
from corridor.intake.forms import FollowUpForm, HelpForm, PassphraseForm, Step
from corridor.intake.models import Question, QuestionKind, QuestionnaireVersion
from corridor.keys.errors import KeyringError

View = Callable[..., HttpResponse]
LANGUAGES = ("ru", "en")


def intake_page(view: View) -> View:
    """Public, answers while sealed, no CSRF cookie (see formtoken.py), language from the URL."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        row, live = questionnaire.public_page()
        offered = questionnaire.languages(row)
        asked = request.GET.get("lang", "")
        lang = asked if asked in offered else _default_language(offered)
        questionnaire.activate(lang, row)
        request.LANGUAGE_CODE = lang
        request.intake_languages = offered  # type: ignore[attr-defined]  # read by _context for this request only
        request.intake_look = row  # type: ignore[attr-defined]  # one read of the look per request, for _context
        request.intake_live = live  # type: ignore[attr-defined]  # the live version as read with it, for help_view
        return view(request, *args, **kwargs)

    return public(works_sealed(csrf_exempt(never_cache(wrapped))))


def _default_language(offered: list[str]) -> str:
    """INTAKE_DEFAULT_LANGUAGE when the intake offers it, else the first language it offers."""
    return conf.default_language() if conf.default_language() in offered else offered[0]


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    offered: list[str] = getattr(request, "intake_languages", None) or list(LANGUAGES)
    default = _default_language(offered)
    lang = translation.get_language() or default
    query = f"?lang={lang}" if lang != default else ""
    row = getattr(request, "intake_look", None) or questionnaire.look()
    return {
        **look.context(row, lang),
        "lang": lang,
        "lang_query": query,
        # Each language by its own name in its own script: (code, query, name).
        "other_languages": [
            (code, f"?lang={code}" if code != default else "", questionnaire.language_name(code, row))
            for code in offered
            if code != lang
        ],
        **extra,
    }


def _sanitized(uploaded: Any) -> domain.Attachment | None:
    if not uploaded:
        return None
    clean = sanitize(uploaded)
    name = str(getattr(uploaded, "name", "") or "file")
    stem = name.rsplit(".", 1)[0][:80] or "file"
    return domain.Attachment(name=stem + clean.extension, content_type=clean.content_type, data=clean.data)


def _too_large() -> str:
    return _("The file is larger than %(mb)d MB. Send a smaller one, or send your message without it.") % {
        "mb": conf.max_file_bytes() // (1024 * 1024)
    }


def _token_message(reason: str) -> str:
    # Spelled out so makemessages finds each string.
    if reason == "too_fast":
        return _(
            "Your message was not sent yet: it came very soon after this page opened, sooner than people usually "
            "write, and the form waits a little to keep out automatic floods. Check your answers and press Send again."
        )
    return _("This page was open for a long time. Please press Send again.")


def _render_form(request: HttpRequest, form: HelpForm, status: int = 200) -> HttpResponse:
    # A browser cannot be handed a file back: a refused form with one says to attach it again.
    # Only a bound form's files: a request refused by the limits is never parsed (form.files is empty).
    if form.is_bound and form.files.get("file") and status != 200 and not form.has_error("file"):
        form.add_error("file", _("Your file was not kept. Attach it again before you press Send."))
    context = _context(request, form=form, first_step=form.step == Step.FIRST)
    lang_query = context["lang_query"]
    # The first step posts to ?step=1: the server answers with the follow-ups its answers call for.
    context["form_action"] = f"?step=1{'&' + lang_query[1:] if lang_query else ''}" if form.step == Step.FIRST else lang_query
    return render(request, "intake/form.html", context, status=status)


def _first_step(request: HttpRequest, form: HelpForm) -> HttpResponse:
    """Check the first answers; then the second step: the follow-ups, the first answers hidden."""
    if not form.is_valid():
        return _render_form(request, form, status=400)
    carried: dict[str, Any] = {
        "token": str(request.POST.get("token", "")),
        "questionnaire": questionnaire.version_marker(form.version),
    }
    for question in form.questions:
        name = f"q_{question.key}"
        if name in form.fields:
            carried[name] = request.POST.getlist(name) if question.kind == QuestionKind.MULTIPLE else request.POST.get(name, "")
    second = HelpForm(initial=carried, version=form.version, questions=form.questions, step=Step.SECOND)
    return _render_form(request, second)


def _shown(data: QueryDict, live: QuestionnaireVersion | None) -> tuple[QuestionnaireVersion | None, list[Question]]:
    """The version the posted page showed and its questions (questionnaire.shown_version)."""
    version = questionnaire.shown_version(str(data.get("questionnaire", "")), live)
    return version, questionnaire.questions_of(version)


def _changed(
    request: HttpRequest, data: QueryDict, version: QuestionnaireVersion | None, questions: list[Question], step: Step
) -> HttpResponse:
    """The page's questions are no longer asked: the live ones, with the answers given kept."""
    data["questionnaire"] = questionnaire.version_marker(version)
    data["token"] = formtoken.issue()
    form = HelpForm(data, version=version, questions=questions, step=step)
    form.is_valid()  # the new questions' own errors show too
    form.add_error(
        None,
        _(
            "The questions on this page changed while you were writing. Your answers are kept below: check them, "
            "answer any new question, and press the button again."
        ),
    )
    return _render_form(request, form, status=409)


@intake_page
@require_http_methods(["GET", "POST"])
def help_view(request: HttpRequest) -> HttpResponse:
    version: QuestionnaireVersion | None = getattr(request, "intake_live", None)
    questions = questionnaire.questions_of(version)
    two_steps = questionnaire.has_conditions(questions)
    if request.method != "POST":
        first = Step.FIRST if two_steps else Step.ALL
        return _render_form(
            request, HelpForm(initial={"token": formtoken.issue()}, version=version, questions=questions, step=first)
        )
    if request.GET.get("step") == "1":
        # Not a submission yet: nothing is stored or counted, and no file is read (the first step has none).
        uploads.install(request, 0, drop_oversized=True)
        data = request.POST.copy()
        try:
            version, questions = _shown(data, version)
        except questionnaire.UnknownVersion:
            return _changed(request, data, version, questions, Step.FIRST if two_steps else Step.ALL)
        if not questionnaire.has_conditions(questions):
            # Its version asks everything on one page: that page, with the answers so far.
            so_far = {name: values if len(values) > 1 else values[0] for name, values in data.lists()}
            return _render_form(request, HelpForm(initial=so_far, version=version, questions=questions))
        return _first_step(request, HelpForm(data, version=version, questions=questions, step=Step.FIRST))
    # Decided before the body is read: a refused request costs no parsing and no file cleaning.
    decision = ratelimit.submission(request)
    if decision is ratelimit.Decision.REFUSE:
        form = HelpForm(initial={"token": formtoken.issue()}, version=version, questions=questions)
        _page_error(
            form,
            _(
                "So many messages are arriving that we cannot take yours right now. Press Back in your browser to keep "
                "your text, and send it again in an hour."
            ),
        )
        return _render_form(request, form, status=503)
    held = decision is ratelimit.Decision.HOLD
    # A held request keeps its text but not its file: a flood costs no decoding and little disk.
    handler = uploads.install(request, 0 if held else conf.max_file_bytes(), drop_oversized=True)
    data = request.POST.copy()
    try:
        version, questions = _shown(data, version)
    except questionnaire.UnknownVersion:
        return _changed(request, data, version, questions, Step.ALL)
    form = HelpForm(data, request.FILES, version=version, questions=questions, files_dropped=handler.too_large)
    # Whatever happens below, a re-shown form carries a fresh token so "Send" works again.
    data["token"] = formtoken.issue()
    if not form.is_valid():
        return _render_form(request, form, status=400)
    try:
        token = formtoken.check(str(request.POST.get("token", "")))
    except formtoken.TokenProblem as problem:
        form.add_error(None, _token_message(problem.reason))
        return _render_form(request, form, status=400)
    if handler.too_large and not held:
        form.add_error("file", _too_large())
        return _render_form(request, form, status=400)
    try:
        files = [] if held else [_sanitized(uploaded) for uploaded in form.uploads()]
        passphrase = domain.submit(
            form.answers(),
            None,
            nonce=token.nonce,
            lang=translation.get_language() or "ru",
            urgency=form.urgency(),
            held=held,
            questionnaire=form.version,
            more_attachments=[f for f in files if f is not None],
        )
    except FileRejected as rejected:
        form.add_error("file", rejected)
        return _render_form(request, form, status=400)
    except ValidationError as error:
        form.add_error(None, error)
        return _render_form(request, form, status=400)
    except domain.ReplayedForm:
        form.add_error(
            None, _("This form was already sent once. If you did not see your codename, press Send again to make a new request.")
        )
        return _render_form(request, form, status=409)
    except KeyringError:
        # keyd down, or a keystore that fails its pin: refuse rather than encrypt to the wrong key.
        form.add_error(
            None, _("We cannot accept messages at this moment. Your text is still here: please try again in a few minutes.")
        )
        return _render_form(request, form, status=503)
    context = _context(request, words=passphrases.display(passphrase), file_dropped=held and handler.too_large)
    return render(request, "intake/passphrase.html", context)


def _with_floor(started: float, response: HttpResponse) -> HttpResponse:
    """Answer no sooner than the floor, so a wrong passphrase and a right one take the same time."""
    remaining = conf.lookup_floor_seconds() - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    return response


def _render_thread(
    request: HttpRequest, thread: domain.Thread, form: FollowUpForm | None = None, *, sent: bool = False, status: int = 200
) -> HttpResponse:
    form = form or FollowUpForm(initial={"codename": thread.passphrase})
    context = _context(request, messages_shown=domain.person_view(thread), form=form, sent=sent)
    return render(request, "intake/thread.html", context, status=status)


def _not_found(request: HttpRequest, form: PassphraseForm) -> HttpResponse:
    form.add_error(
        "codename",
        _(
            "We found nothing for this codename. Check each word and their order. If you have lost your codename, send a new request."
        ),
    )
    return render(request, "intake/return.html", _context(request, form=form), status=400)


def _page_error(form: Any, message: str) -> None:
    """Put a message on a form that was never bound: a limited request's body is never read."""
    if not form.is_bound:
        form.cleaned_data = {}
    form.add_error(None, message)


def _too_many(request: HttpRequest, form: PassphraseForm) -> HttpResponse:
    _page_error(form, _("Too many attempts right now. Wait a few minutes and try again."))
    return render(request, "intake/return.html", _context(request, form=form), status=429)


@intake_page
@require_http_methods(["GET", "POST"])
def return_view(request: HttpRequest) -> HttpResponse:
    """Log in with the passphrase. Nothing is remembered between requests: the reply page
    carries the passphrase in its own form, and closing it is logging out."""
    if request.method != "POST":
        return render(request, "intake/return.html", _context(request, form=PassphraseForm()))
    started = time.monotonic()
    if not ratelimit.allow_login(request):  # before the body is read
        return _with_floor(started, _too_many(request, PassphraseForm()))
    form = PassphraseForm(request.POST)
    if not form.is_valid():
        return _with_floor(started, render(request, "intake/return.html", _context(request, form=form), status=400))
    thread = domain.find(form.cleaned_data["codename"])
    if thread is None:
        return _with_floor(started, _not_found(request, form))
    return _with_floor(started, _render_thread(request, thread))


@intake_page
@require_http_methods(["POST"])
def send_view(request: HttpRequest) -> HttpResponse:
    started = time.monotonic()
    if not ratelimit.allow_login(request):  # before the body is read
        return _with_floor(started, _too_many(request, PassphraseForm()))
    handler = uploads.install(request, conf.max_file_bytes(), drop_oversized=True)
    form = FollowUpForm(request.POST, request.FILES)
    passphrase_form = PassphraseForm({"codename": request.POST.get("codename", "")})
    thread = domain.find(str(request.POST.get("codename", "")))
    if thread is None:
        passphrase_form.is_valid()
        return _with_floor(started, _not_found(request, passphrase_form))
    if not form.is_valid():
        return _with_floor(started, _render_thread(request, thread, form, status=400))
    if handler.too_large:
        form.add_error("file", _too_large())
        return _with_floor(started, _render_thread(request, thread, form, status=400))
    if not ratelimit.allow_message(str(thread.request.pk)):
        form.add_error(
            None,
            _("You have sent many messages in the last hour. Wait a while before sending more; we read everything you sent."),
        )
        return _with_floor(started, _render_thread(request, thread, form, status=429))
    try:
        domain.send(thread, form.cleaned_data["text"], _sanitized(form.cleaned_data.get("file")))
    except FileRejected as rejected:
        form.add_error("file", rejected)
        return _with_floor(started, _render_thread(request, thread, form, status=400))
    except ValidationError as error:
        form.add_error("text", error)
        return _with_floor(started, _render_thread(request, thread, form, status=400))
    return _with_floor(started, _render_thread(request, thread, sent=True))
