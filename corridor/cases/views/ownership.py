"""Who owns a case: the team (or an admin) hands it to another member of the case's team.

Ownership grants no access (corridor.cases.access): it says who is responsible, and it
ends by itself when the owner leaves the team.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.accounts.models import Role, User
from corridor.cases import access, domain
from corridor.cases.forms import OwnerForm, apply_errors


@never_cache
@require_http_methods(["GET", "POST"])
def owner_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- the staff middleware lets only Users through
    case = access.get_case_for_owner_change(user, pk)
    candidates = domain.owner_candidates(case)
    form = OwnerForm(request.POST or None, candidates=candidates, initial={"owner": case.owner_id})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                domain.assign_owner(user, case, form.cleaned_data["owner"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("%(reference)s has a new owner.") % {"reference": case.reference})
                if user.role == Role.ADMIN:
                    return HttpResponseRedirect(reverse("cases:break_glass_review"))
                return HttpResponseRedirect(reverse("cases:case", args=[case.pk]))
        status = 400
    return render(request, "cases/case/owner.html", {"case": case, "form": form}, status=status)


urlpatterns: list[URLPattern] = [
    path("cases/<uuid:pk>/owner/", owner_view, name="case_owner"),
]
