"""Erasure and retention pages: what erasing a person removes (counted beforehand), the
request, the second person's approval behind step-up authentication, the list of requests
waiting, and the admins' retention policies. Views parse, call one domain action, render.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts import sessions
from corridor.accounts.models import User
from corridor.cases.access import get_visible, user_with_perm
from corridor.cases.models import Person
from corridor.core.forms import press, submit
from corridor.transfer import erasure, retention
from corridor.transfer.domain import erasure as erasure_actions
from corridor.transfer.domain import retention as retention_actions
from corridor.transfer.models import ErasureRequest, ErasureStatus, RecordKind


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- guaranteed by the staff middleware, not by input
    return user


def _request_for(user: User, pk: Any, perm: str) -> ErasureRequest:
    visible = ErasureRequest.objects.filter(person__in=erasure.erasable_by(user)).select_related("person", "requested_by")
    return get_visible(user, visible, pk, perm)


def _person_for(user: User, person_id: Any) -> Person:
    return get_visible(user, erasure.erasable_by(user).select_related("data_key"), person_id, erasure.REQUEST_ERASURE)


# -- erasure -------------------------------------------------------------------------------


@never_cache
def erasure_view(request: HttpRequest, person_id: Any) -> HttpResponse:
    """What erasing this person removes, and the request waiting for approval if there is one."""
    user = _user(request)
    person = _person_for(user, person_id)
    pending = ErasureRequest.objects.filter(person=person, status=ErasureStatus.REQUESTED).select_related("requested_by").first()
    return render(
        request,
        "transfer/erasure.html",
        {
            "person": person,
            "plan": erasure.plan(person),
            "pending": pending,
            "can_approve": pending is not None and pending.requested_by_id != user.pk and user.has_perm(erasure.APPROVE_ERASURE),
        },
    )


@require_POST
def erasure_request_view(request: HttpRequest, person_id: Any) -> HttpResponse:
    user = _user(request)
    person = _person_for(user, person_id)
    press(
        request,
        lambda: erasure_actions.request_erasure(user, person),
        _("Erasure requested. Someone else must approve it before anything is removed."),
    )
    return redirect("transfer:erasure", person.pk)


@require_POST
@sessions.require_recent_auth_on_post
def erasure_approve_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    erasure_request = _request_for(user, pk, erasure.APPROVE_ERASURE)
    try:
        done = press(request, lambda: erasure_actions.approve_erasure(user, erasure_request), _("The person was erased."))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot do this."))
        return redirect("transfer:erasure", erasure_request.person_id)
    return redirect("transfer:erasures") if done else redirect("transfer:erasure", erasure_request.person_id)


@require_POST
def erasure_cancel_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    erasure_request = _request_for(user, pk, erasure.REQUEST_ERASURE)
    press(request, lambda: erasure_actions.cancel_erasure(user, erasure_request), _("Erasure request cancelled."))
    return redirect("transfer:erasure", erasure_request.person_id)


@never_cache
def erasures_view(request: HttpRequest) -> HttpResponse:
    """Requests waiting for a second person, for people the user can see; and recent outcomes."""
    user = user_with_perm(_user(request), erasure.VIEW_ERASURES)
    waiting = ErasureRequest.objects.filter(status=ErasureStatus.REQUESTED, person__in=erasure.erasable_by(user)).select_related(
        "person", "requested_by"
    )
    done = ErasureRequest.objects.filter(decided_by=user).exclude(status=ErasureStatus.REQUESTED).select_related("person")[:20]
    return render(request, "transfer/erasures.html", {"waiting": waiting, "done": done, "user_pk": user.pk})


# -- retention -----------------------------------------------------------------------------


class RetentionForm(forms.Form):
    """One field per kind of record: the days it is kept, or empty to keep it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for policy in retention.policies():
            self.fields[policy.kind] = forms.IntegerField(
                label=RecordKind(policy.kind).label,
                min_value=1,
                max_value=retention.MAX_DAYS,
                required=False,
                initial=policy.days,
                help_text=gettext_lazy("Days after the last change; empty keeps them."),
            )


@never_cache
@require_http_methods(["GET", "POST"])
@sessions.require_recent_auth_on_post
def retention_view(request: HttpRequest) -> HttpResponse:
    user = user_with_perm(_user(request), retention.MANAGE_RETENTION)
    form = RetentionForm(request.POST or None)

    def save(data: dict[str, Any]) -> bool:
        current = {policy.kind: policy.days for policy in retention.policies()}
        for kind, days in data.items():
            if current.get(kind) != days:
                retention_actions.set_policy(user, kind, days)
        return True

    if request.method == "POST":
        if submit(form, save) is not None:
            messages.success(request, _("Retention policies saved."))
            return redirect("transfer:retention")
    pending = retention_actions.purge(dry_run=True)
    return render(
        request,
        "transfer/erasure_retention.html",
        {"form": form, "pending": [(RecordKind(kind).label, count) for kind, count in pending.counts.items()]},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("people/<uuid:person_id>/erasure/", erasure_view, name="erasure"),
    path("people/<uuid:person_id>/erasure/request/", erasure_request_view, name="erasure_request"),
    path("erasures/", erasures_view, name="erasures"),
    path("erasures/<uuid:pk>/approve/", erasure_approve_view, name="erasure_approve"),
    path("erasures/<uuid:pk>/cancel/", erasure_cancel_view, name="erasure_cancel"),
    path("retention/", retention_view, name="retention"),
]
