"""What needs attention in relocation work, for a page and for the dashboard: emergency cases
with no active application, applications stalled beyond their programme's 90th percentile,
and engagements whose next step is overdue.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.accounts.models import User
from corridor.cases.access import cases_visible_to
from corridor.cases.models import Priority, Status
from corridor.relocation import figures
from corridor.relocation.access import applications_visible_to, contacts_visible_to, permit
from corridor.relocation.models import CLOSED_STATUSES, ApplicationStatus, Engagement
from corridor.relocation.rules import VIEW_ALERTS, VIEW_APPLICATIONS, VIEW_ENGAGEMENTS

AWAITING_DECISION = (ApplicationStatus.SUBMITTED, ApplicationStatus.INTERVIEW, ApplicationStatus.DOCUMENTS_REQUESTED)


@dataclass(frozen=True)
class Alert:
    kind: str  # "emergency_without_application" | "stalled_application" | "overdue_engagement"
    message: str
    url: str
    since: datetime.date | None
    object_id: str


@dataclass(frozen=True)
class AlertLine:
    """One line of the dashboard: an alert alone, or several of one kind told as one with a count."""

    kind: str
    message: str
    url: str
    count: int


def _grouped_message(kind: str, count: int) -> str:
    if kind == "emergency_without_application":
        return ngettext(
            "%(count)d emergency case has no active application.",
            "%(count)d emergency cases have no active application.",
            count,
        ) % {"count": count}
    if kind == "stalled_application":
        return ngettext(
            "%(count)d application has had no movement for longer than its programme's decisions usually take.",
            "%(count)d applications have had no movement for longer than their programmes' decisions usually take.",
            count,
        ) % {"count": count}
    return ngettext(
        "%(count)d next step with a contact is overdue.",
        "%(count)d next steps with contacts are overdue.",
        count,
    ) % {"count": count}


def grouped(alerts: list[Alert]) -> list[AlertLine]:
    """The dashboard's lines: a kind with one alert shows it as it is; a kind with several is one
    line with their count, linking to the alerts page that lists them (eight "no active
    application" lines in a row were read as noise and skipped). Kinds keep alerts_for's order."""
    by_kind: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_kind.setdefault(alert.kind, []).append(alert)
    lines = []
    for kind, found in by_kind.items():
        if len(found) == 1:
            lines.append(AlertLine(kind, found[0].message, found[0].url, 1))
        else:
            lines.append(AlertLine(kind, _grouped_message(kind, len(found)), reverse("relocation:alerts"), len(found)))
    return lines


def alerts_for_user(user: User, perm: str = VIEW_ALERTS) -> list[Alert]:
    """The alerts page's and endpoint's: a role that sees neither applications nor engagements
    is refused (NotPermitted: 404 on the page, 403 in the API)."""
    return alerts_for(permit(user, perm))


def alerts_for(user: User, today: datetime.date | None = None) -> list[Alert]:
    """Alerts on what `user` may see, most urgent kind first. One figures query, a few lookups."""
    day = today or timezone.localdate()
    found: list[Alert] = []
    if user.has_perm(VIEW_APPLICATIONS):
        cases = (
            cases_visible_to(user)
            .filter(priority=Priority.EMERGENCY)
            .exclude(status__in=(Status.CLOSED, Status.ARRIVED))
            .exclude(relocation_applications__status__in=[s for s in ApplicationStatus.values if s not in CLOSED_STATUSES])
            .order_by("created")
        )
        for case in cases:
            found.append(
                Alert(
                    "emergency_without_application",
                    _("Emergency case %(ref)s has no active application.") % {"ref": case.reference},
                    reverse("relocation:case", args=[case.pk]),
                    case.created.date(),
                    str(case.pk),
                )
            )
        # Stalled means waiting for a decision longer than the programme's decisions usually take.
        active = list(
            applications_visible_to(user)
            .filter(status__in=AWAITING_DECISION)
            .select_related("case", "programme__country")
            .order_by("last_moved")
        )
        figs = figures.compute(sorted({a.programme.country_id for a in active}), day, viewer=user) if active else {}
        for application in active:
            programme_figs = figs.get((application.programme.country_id, application.programme_id))
            # Our own 90th percentile only when enough decisions make it one (stats.MIN_DURATIONS).
            limit = programme_figs.decision_p90 if programme_figs and programme_figs.decision_times_known else None
            basis = _("90th percentile of our decisions")
            if limit is None and application.programme.published_days:
                limit, basis = float(application.programme.published_days), _("published processing time")
            idle = (day - application.last_moved).days
            if limit is not None and idle > limit:
                found.append(
                    Alert(
                        "stalled_application",
                        _("%(ref)s: no movement on %(programme)s for %(idle)d days (longer than %(limit)d, the %(basis)s).")
                        % {
                            "ref": application.case.reference,
                            "programme": application.programme,
                            "idle": idle,
                            "limit": round(limit),
                            "basis": basis,
                        },
                        reverse("relocation:application", args=[application.pk]),
                        application.last_moved,
                        str(application.pk),
                    )
                )
    if user.has_perm(VIEW_ENGAGEMENTS):
        overdue = (
            Engagement.objects.filter(contact__in=contacts_visible_to(user), done__isnull=True, next_due__lt=day)
            .select_related("contact__country")
            .order_by("next_due")
        )
        for engagement in overdue:
            found.append(
                Alert(
                    "overdue_engagement",
                    _("A next step with %(kind)s in %(country)s was due on %(due)s.")
                    % {
                        "kind": engagement.contact.get_kind_display(),
                        "country": engagement.contact.country.name,
                        "due": str(engagement.next_due),  # a date (next_due__lt excludes None): str() is its ISO form
                    },
                    reverse("relocation:contact", args=[engagement.contact_id]),
                    engagement.next_due,
                    str(engagement.pk),
                )
            )
    return found
