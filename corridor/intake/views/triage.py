"""Staff triage of anonymous requests: the queue, one thread, reply, spam, open a case.

Hotline operators only; every other role gets 404. Times are shown to the hour.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from corridor.accounts.models import User
from corridor.core.forms import submit
from corridor.intake import access, domain, questionnaire
from corridor.intake.domain import PRIORITY_FOR_URGENCY
from corridor.intake.forms import OpenCaseForm, ReplyForm
from corridor.intake.models import RequestState, Urgency


def _user(request: HttpRequest) -> User:
    # The staff middleware lets only signed-in Users through; this only tells the type checker.
    if not isinstance(request.user, User):
        raise Http404
    return request.user


@never_cache
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    user = access.triage_user(request.user)
    waiting, held = domain.queue(user), domain.held_queue(user)
    context = {
        "waiting": waiting,
        "held": held,
        "others": domain.others(user),
        "summaries": domain.summaries(user, waiting + held),
    }
    return render(request, "intake/triage/queue.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def request_view(request: HttpRequest, pk: str) -> HttpResponse:
    user = _user(request)
    intake = access.get_request_for_user(user, pk)
    reply_form = ReplyForm()
    case_form = OpenCaseForm(user=user, initial={"priority": PRIORITY_FOR_URGENCY[Urgency(intake.urgency)]})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "reply":
            reply_form = ReplyForm(request.POST)
            if submit(reply_form, lambda data: domain.reply(user, intake, data["text"]), "text"):
                messages.success(request, _("Reply sent. The person will see it when they come back with their codename."))
                return redirect("intake:request", pk=intake.pk)
        elif action == "open_case":
            case_form = OpenCaseForm(request.POST, user=user)
            case = submit(
                case_form,
                lambda data: domain.open_case(
                    user, intake, name=data["name"], team=data["team"], priority=data["priority"], **case_form.mapped()
                ),
            )
            if case is not None:
                messages.success(
                    request, _("Case %(reference)s opened; the thread is now a note on it.") % {"reference": case.reference}
                )
                return redirect("intake:request", pk=intake.pk)
        elif action in ("spam", "unspam", "move"):
            # Buttons without fields: a refusal is shown above the page.
            try:
                if action == "move":
                    domain.move_new_messages(user, intake)
                    messages.success(request, _("New messages moved to the case."))
                    return redirect("intake:request", pk=intake.pk)
                if action == "spam" and request.POST.get("confirm") != "yes":
                    # No script needed for the second step: the box travels with the button.
                    raise ValidationError(_("Nothing was changed: tick the box to confirm that this request is spam."))
                domain.mark_spam(user, intake, spam=action == "spam")
            except ValidationError as error:
                for text in error.messages:
                    messages.error(request, text)
            else:
                if action == "spam":
                    messages.success(request, _("Marked as spam."))
                    return redirect("intake:queue")
                messages.success(request, _("Restored from spam."))
                return redirect("intake:request", pk=intake.pk)
        else:
            raise Http404
        status = 400
    thread = domain.open_thread(user, intake)
    if not case_form.is_bound and thread and thread[0].direction == "in" and intake.questionnaire_id is not None:
        # Answers the questionnaire maps to the case's fields, for the caseworker to confirm.
        mapped = questionnaire.mapped(questionnaire.questions_of(intake.questionnaire), thread[0].answers)
        case_form.initial = {**case_form.initial, **mapped}
    context = {
        "intake": intake,
        "thread": thread,
        "reply_form": reply_form,
        "case_form": case_form,
        "is_spam": intake.state == RequestState.SPAM,
        "has_case": intake.case_id is not None,
        "new_since_case": intake.case_id is not None and any(m.direction == "in" for m in thread),
    }
    return render(request, "intake/triage/request.html", context, status=status)


@never_cache
@require_GET
def attachment_view(request: HttpRequest, pk: str, file_pk: str) -> HttpResponse:
    user = _user(request)
    found = access.get_attachment_for_user(user, pk, file_pk)
    intake = found.message.request
    attachment = domain.open_attachment(user, found)
    # Always a download with a neutral type: the browser must not render what a stranger sent.
    response = HttpResponse(attachment.data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="intake-{intake.reference}{_extension(attachment.name)}"'
    return response


def _extension(name: str) -> str:
    tail = name.rsplit(".", 1)[-1] if "." in name else ""
    return f".{tail}" if tail.isalnum() and len(tail) <= 5 else ""
