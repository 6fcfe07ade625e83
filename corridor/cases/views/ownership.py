"""Who owns a case: the team (or an admin) hands it to another member of the case's team.

Ownership grants no access (corridor.cases.access): it says who is responsible, and it
ends by itself when the owner leaves the team.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.accounts.models import Role
from corridor.cases import access, domain, queries
from corridor.cases.forms import OwnerForm
from corridor.cases.views import staff
from corridor.core.forms import submit_then, succeeded


@never_cache
@require_http_methods(["GET", "POST"])
def owner_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    case = access.get_case_for_owner_change(user, pk)
    candidates = queries.owner_candidates(case)
    form = OwnerForm(request.POST or None, candidates=candidates, initial={"owner": case.owner_id})
    status = 200
    if request.method == "POST":
        # Admins come from the review page and go back there; the team goes back to the case.
        back = reverse("cases:break_glass_review") if user.role == Role.ADMIN else reverse("cases:case", args=[case.pk])
        assigned = submit_then(
            form,
            lambda data: domain.assign_owner(user, case, data["owner"]),
            lambda _none: succeeded(
                request, _("%(reference)s has a new owner.") % {"reference": case.reference}, HttpResponseRedirect(back)
            ),
        )
        if assigned is not None:
            return assigned
        status = 400
    return render(request, "cases/case/owner.html", {"case": case, "form": form}, status=status)


urlpatterns: list[URLPattern] = [
    path("cases/<uuid:pk>/owner/", owner_view, name="case_owner"),
]
