"""The dashboard, the unseal page, lockdown and the health check."""

from __future__ import annotations

import datetime
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from corridor.accounts import access
from corridor.accounts import domain as accounts_domain
from corridor.accounts.models import User
from corridor.cases import domain as cases_domain
from corridor.cases.views.cases import dashboard_data
from corridor.core.decorators import address_withheld, public, trustee_allowed, works_sealed
from corridor.intake.queries import waiting_for
from corridor.keys import api as keys
from corridor.notifications import api as notifications
from corridor.relocation.alerts import alerts_for, grouped

# What the logs say instead of the unseal page's address (settings.UNSEAL_PATH may be kept secret).
UNSEAL_ROUTE = "[unseal page]"


class ShareForm(forms.Form):
    share = forms.CharField(
        label=gettext_lazy("Your unseal share"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
        help_text=gettext_lazy("Paste or type the line that starts with “share”. Hyphens and spaces do not matter."),
    )


@never_cache
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)  # StaffSessionMiddleware let only a verified staff user through
    reviewer = user.has_perm("cases.review_break_glass")
    pending = cases_domain.pending_break_glass().count() if reviewer else 0
    # What needs action today comes first, in this order: emergency requests waiting in triage,
    # people living in a compromised safe house, tasks due today or overdue (the template's #urgent).
    triage = waiting_for(user)
    context = {
        "triage": triage,
        "oldest_wait": _waited(triage.oldest_emergency) if triage and triage.oldest_emergency else "",
        "today": timezone.localdate(),
        "teams": access.teams_visible_to(user),
        "case_work": dashboard_data(user),
        "pending_break_glass": pending,
        "pending_duplicates": cases_domain.pending_duplicate_count() if reviewer else 0,
        "relocation_alerts": grouped(alerts_for(user)),
    }
    return render(request, "web/dashboard.html", context)


def _waited(since: datetime.datetime) -> str:
    """How long a request has waited, in one unit ("5 hours", "2 days"). The intake keeps times to
    the hour, so within the first hour the minutes since the hour began would be invented."""
    if timezone.now() - since < datetime.timedelta(hours=1):
        return _("less than an hour")
    return timesince(since, depth=1)


@public
@works_sealed
@trustee_allowed
@address_withheld(UNSEAL_ROUTE)
@never_cache
@require_http_methods(["GET", "POST"])
def unseal_view(request: HttpRequest) -> HttpResponse:
    """Trustees enter shares one at a time, in any order, from any browser.

    Public on purpose, as in Vault: while sealed no staff sign-in can work (second
    factors are encrypted), and a share is itself the credential. A visitor learns nothing
    about the progress: only a trustee whose share was just accepted is told the count.
    Starting again needs a share too ("reset" with the form), so a stranger cannot wipe
    the progress; keyd checks each share against its commitments before anything changes.
    """
    form = ShareForm(request.POST or None)
    status_code = 200
    if request.method == "POST" and not form.is_valid():
        status_code = 400
        if request.POST.get("reset"):
            form.add_error(None, _("Starting again needs your share: paste it, then press the button again."))
    elif request.method == "POST":
        if request.POST.get("reset"):
            outcome = keys.reset_unseal(form.cleaned_data["share"])
        else:
            outcome = keys.submit_share(form.cleaned_data["share"])
        if outcome.error:
            notifications.instance_event(notifications.Kind.UNSEAL_FAILED)  # admins and trustees hear of every refused share
            form.add_error("share", outcome.error)
            status_code = 400
        else:
            messages.success(request, outcome.message)
            return redirect("web:unseal")
    state = keys.status()
    context = {
        "form": form,
        "initialized": state.initialized,
        "sealed": state.sealed,
        "share_minutes": settings.UNSEAL_SHARE_MINUTES,
    }
    return render(request, "web/unseal.html", context, status=status_code)


@require_POST
def lockdown_view(request: HttpRequest) -> HttpResponse:
    # No step-up here: a panic button must work at once and need no database write.
    try:
        accounts_domain.lockdown(cast(User, request.user))
    except PermissionDenied:
        raise Http404 from None  # a button that is not yours is one that does not exist
    # Said here, not by a redirect: every later page is the "sealed" one, and the unseal
    # page's address is for trustees, not for a staff account. The time comes from this
    # process's clock, so saying it needs no keys and no database.
    return render(request, "web/locked_down.html", {"at": timezone.localtime()})


@never_cache
def lockdown_confirm_view(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("accounts.lockdown"):
        raise Http404
    return render(request, "web/lockdown.html")


@public
@works_sealed
@never_cache
def health_view(request: HttpRequest) -> HttpResponse:
    sealed = keys.is_sealed()
    return JsonResponse({"status": "sealed" if sealed else "unsealed"}, status=200)


# No CSRF token on the language switch: the form is on every page, and a token would set a
# cookie for every anonymous visitor (a 404 included). Forging a language change is harmless.
language_view = public(works_sealed(trustee_allowed(csrf_exempt(set_language))))
