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
from corridor.intake import access, domain
from corridor.intake.domain import PRIORITY_FOR_URGENCY
from corridor.intake.forms import OpenCaseForm, ReplyForm
from corridor.intake.models import RequestState, Urgency


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not user.has_perm("intake.triage"):
        raise Http404
    return user


@never_cache
@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    context = {"waiting": domain.queue(user), "held": domain.held_queue(user), "others": domain.others(user)}
    return render(request, "intake/triage/queue.html", context)


def _errors(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


@never_cache
@require_http_methods(["GET", "POST"])
def request_view(request: HttpRequest, pk: str) -> HttpResponse:
    user = _staff(request)
    intake = access.get_request_for_user(user, pk)
    reply_form = ReplyForm()
    case_form = OpenCaseForm(user=user, initial={"priority": PRIORITY_FOR_URGENCY[Urgency(intake.urgency)]})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "reply":
                reply_form = ReplyForm(request.POST)
                if reply_form.is_valid():
                    domain.reply(user, intake, reply_form.cleaned_data["text"])
                    messages.success(request, _("Reply sent. The person will see it when they come back with their codename."))
                    return redirect("intake:request", pk=intake.pk)
            elif action in ("spam", "unspam"):
                domain.mark_spam(user, intake, spam=action == "spam")
                messages.success(request, _("Marked as spam.") if action == "spam" else _("Restored from spam."))
                if action == "spam":
                    return redirect("intake:queue")
                return redirect("intake:request", pk=intake.pk)
            elif action == "open_case":
                case_form = OpenCaseForm(request.POST, user=user)
                if case_form.is_valid():
                    case = domain.open_case(
                        user,
                        intake,
                        name=case_form.cleaned_data["name"],
                        team=case_form.cleaned_data["team"],
                        priority=case_form.cleaned_data["priority"],
                    )
                    messages.success(
                        request, _("Case %(reference)s opened; the thread is now a note on it.") % {"reference": case.reference}
                    )
                    return redirect("intake:request", pk=intake.pk)
            elif action == "move":
                domain.move_new_messages(user, intake)
                messages.success(request, _("New messages moved to the case."))
                return redirect("intake:request", pk=intake.pk)
            else:
                raise Http404
        except ValidationError as error:
            for text in _errors(error):
                messages.error(request, text)
        status = 400
    thread = domain.open_thread(user, intake)
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
    user = _staff(request)
    intake = access.get_request_for_user(user, pk)
    attachment = domain.open_attachment(user, access.get_attachment_for_user(user, intake, file_pk))
    # Always a download with a neutral type: the browser must not render what a stranger sent.
    response = HttpResponse(attachment.data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="intake-{intake.reference}{_extension(attachment.name)}"'
    return response


def _extension(name: str) -> str:
    tail = name.rsplit(".", 1)[-1] if "." in name else ""
    return f".{tail}" if tail.isalnum() and len(tail) <= 5 else ""
