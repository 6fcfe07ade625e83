"""The notification centre (list, open, mark read), preferences, and the duty rosters.

Views parse, call one domain action, render; the actions check permissions and write.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.models import Team, User
from corridor.core.forms import press, submit_then, succeeded
from corridor.keys.api import DecryptionError
from corridor.notifications import access, roster
from corridor.notifications.domain import reading
from corridor.notifications.domain import roster as roster_domain
from corridor.notifications.forms import WEEKDAYS, AlertingForm, PreferenceForm, ShiftForm, SwapForm
from corridor.notifications.models import Duty, DutyShift, DutySwap
from corridor.notifications.rules import EDIT_ALERTING, EDIT_ROSTER, USE_NOTIFICATIONS

PAGE = 100  # the newest notifications shown; older ones are there, read


def _user(request: HttpRequest) -> User:
    """The signed-in staff user: the staff middleware sends everyone else to the sign-in page."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- guaranteed by the staff middleware, not by input
    return user


# -- the notification centre -----------------------------------------------------------------


@never_cache
def list_view(request: HttpRequest) -> HttpResponse:
    notifications = list(access.notifications_for_user(request.user).select_related("team")[:PAGE])
    unread = sum(1 for n in notifications if n.read is None)
    return render(request, "notifications/list.html", {"notifications": notifications, "unread": unread})


@require_POST
def read_view(request: HttpRequest, pk: str) -> HttpResponse:
    notification = access.get_notification_for_user(request.user, pk)
    press(request, lambda: reading.mark_read(_user(request), notification), _("Marked as read."))
    return redirect("notifications:list")


@require_POST
def read_all_view(request: HttpRequest) -> HttpResponse:
    access.staff_holding(request.user, USE_NOTIFICATIONS)
    press(request, lambda: reading.mark_all_read(_user(request)), _("All notifications marked as read."))
    return redirect("notifications:list")


@require_POST
def open_view(request: HttpRequest, pk: str) -> HttpResponse:
    """Mark read, then go to what it is about (a path inside the app, or the list)."""
    notification = access.get_notification_for_user(request.user, pk)
    reading.mark_read(_user(request), notification)
    link = notification.link
    if link and link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("notifications:list")


@never_cache
@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest) -> HttpResponse:
    user = access.staff_holding(request.user, USE_NOTIFICATIONS)
    current = reading.preference_of(user)
    try:
        email = current.email
    except DecryptionError:  # sealed to an outbox key this instance no longer has (a restore): enter it again
        email = ""
    initial = {
        "muted": list(current.muted),
        "batching": current.batching,
        "quiet_start": current.quiet_start,
        "quiet_end": current.quiet_end,
        "email": email,
        "public_key": current.public_key,
        # Until chosen, the language the page is read in.
        "language": current.language or (request.LANGUAGE_CODE or settings.LANGUAGE_CODE)[:2],
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: reading.set_preferences(user, **data),
            lambda _saved: succeeded(request, _("Preferences saved."), redirect("notifications:preferences")),
        )
        if done is not None:
            return done
    status = 400 if request.method == "POST" else 200
    return render(request, "notifications/preferences.html", {"form": form}, status=status)


# -- rosters -----------------------------------------------------------------------------------


def _duty_summary(team: Team) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for duty in Duty:
        found = roster.now_and_next(team, duty, now)
        rows.append({"duty": duty, "now": found.now, "next_at": found.next_at, "next": found.next})
    return rows


@never_cache
def rosters_view(request: HttpRequest) -> HttpResponse:
    teams = list(access.rosters_for_user(request.user))
    return render(request, "notifications/rosters.html", {"teams": [(team, _duty_summary(team)) for team in teams]})


@never_cache
def roster_view(request: HttpRequest, team_id: str) -> HttpResponse:
    user = _user(request)
    team = access.get_team_for_user(user, team_id)
    return _roster_page(request, team)


def _roster_page(
    request: HttpRequest,
    team: Team,
    *,
    shift_form: ShiftForm | None = None,
    swap_form: SwapForm | None = None,
    alerting_form: AlertingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    settings = roster.alerting(team)
    shifts = DutyShift.objects.filter(team=team).select_related("user")
    swaps = DutySwap.objects.filter(team=team, ends__gt=timezone.now()).select_related("user", "replacing")
    context = {
        "team": team,
        "summary": _duty_summary(team),
        "shifts": shifts,
        "swaps": swaps,
        "weekdays": dict(WEEKDAYS),
        "alerting": settings,
        # What to offer, not who may: the actions decide (a stale page gets a 404 on POST).
        "can_edit": user.has_perm(EDIT_ROSTER, team),
        "can_edit_alerting": user.has_perm(EDIT_ALERTING, team),
        "shift_form": shift_form or ShiftForm(team=team),
        "swap_form": swap_form or SwapForm(team=team),
        "alerting_form": alerting_form or AlertingForm(team=team, current=settings),
        "time_zone": timezone.get_default_timezone_name(),
    }
    return render(request, "notifications/roster.html", context, status=status)


@require_POST
def shift_add_view(request: HttpRequest, team_id: str) -> HttpResponse:
    user = _user(request)
    team = access.get_team_for_user(user, team_id, EDIT_ROSTER)
    form = ShiftForm(request.POST, team=team)
    done = submit_then(
        form,
        lambda data: roster_domain.add_shift(user, team, **data),
        lambda _shift: succeeded(request, _("Shift added."), redirect("notifications:roster", team.pk)),
    )
    return done or _roster_page(request, team, shift_form=form, status=400)


@require_POST
def shift_remove_view(request: HttpRequest, team_id: str, pk: str) -> HttpResponse:
    user = _user(request)
    team = access.get_team_for_user(user, team_id, EDIT_ROSTER)
    shift = access.get_shift_for_user(user, team, pk)
    press(request, lambda: roster_domain.remove_shift(user, shift), _("Shift removed."))
    return redirect("notifications:roster", team.pk)


@require_POST
def swap_add_view(request: HttpRequest, team_id: str) -> HttpResponse:
    user = _user(request)
    team = access.get_team_for_user(user, team_id, EDIT_ROSTER)
    form = SwapForm(request.POST, team=team)
    done = submit_then(
        form,
        lambda data: roster_domain.add_swap(user, team, **data),
        lambda _swap: succeeded(request, _("Swap added."), redirect("notifications:roster", team.pk)),
    )
    return done or _roster_page(request, team, swap_form=form, status=400)


@require_POST
def swap_remove_view(request: HttpRequest, team_id: str, pk: str) -> HttpResponse:
    user = _user(request)
    team = access.get_team_for_user(user, team_id, EDIT_ROSTER)
    swap = access.get_swap_for_user(user, team, pk)
    press(request, lambda: roster_domain.remove_swap(user, swap), _("Swap removed."))
    return redirect("notifications:roster", team.pk)


@require_POST
def alerting_view(request: HttpRequest, team_id: str) -> HttpResponse:
    user = _user(request)
    team = access.get_team_for_user(user, team_id, EDIT_ALERTING)
    form = AlertingForm(request.POST, team=team, current=roster.alerting(team))
    done = submit_then(
        form,
        lambda data: roster_domain.set_alerting(user, team, **data),
        lambda _saved: succeeded(request, _("Alerting saved."), redirect("notifications:roster", team.pk)),
    )
    return done or _roster_page(request, team, alerting_form=form, status=400)
