"""The intake page's name and look: the admins' page, and what the public pages serve of it (the
logo from this instance itself, and the advice on leaving and clearing the browser's history)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from corridor.accounts.access import staff_holding
from corridor.core.forms import submit_then, succeeded
from corridor.intake import questionnaire
from corridor.intake.domain import look as look_actions
from corridor.intake.lookform import LookForm, offered_languages
from corridor.intake.views.public import _context, intake_page


@never_cache
@require_http_methods(["GET", "POST"])
def look_view(request: HttpRequest) -> HttpResponse:
    user = staff_holding(request.user, look_actions.EDIT)
    row = questionnaire.look()
    languages = offered_languages(row)
    form = LookForm(request.POST or None, request.FILES or None, initial=LookForm.initial_for(row), languages=languages)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda _data: look_actions.save_look(user, form.change(row)),
            lambda _row: succeeded(request, _("The intake page's name and look are saved."), redirect("intake:look")),
        )
        if done is not None:
            return done
    context = {"form": form, "row": row, "has_logo": bool(row.logo)}
    return render(request, "intake/editor/look.html", context, status=400 if form.errors else 200)


@intake_page
@require_GET
def logo_view(request: HttpRequest) -> HttpResponse:
    """The logo, from this instance: stored re-encoded as PNG, served as nothing else."""
    row = questionnaire.look()
    if not row.logo or row.no_name:
        raise Http404
    response = HttpResponse(bytes(row.logo), content_type=row.logo_type or "image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = 'inline; filename="logo.png"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@intake_page
@require_GET
def leave_view(request: HttpRequest) -> HttpResponse:
    """Advice on leaving quickly and clearing the browser's history; no script needed."""
    return render(request, "intake/leave.html", _context(request))
