"""Case-work pages: cases — list, new case, detail with timeline, notes, tasks, needs, status.

Also `dashboard_data(user)`, the case part of the dashboard. Every write goes through
corridor.cases.domain; every case is reached through corridor.cases.access (404 otherwise).
"""

from __future__ import annotations

import datetime
import functools
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any, TypeVar

from django.contrib import messages
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases import access, domain, queries
from corridor.cases.audit_names import CaseAudit
from corridor.cases.forms import (
    CaseFilterForm,
    NeedForm,
    NeedStatusForm,
    NewCaseForm,
    NoteForm,
    OwnerForm,
    StatusForm,
    TaskForm,
)
from corridor.cases.models import CLOSED_STATUSES, Case, CaseMember, MemberRole, Need, NeedStatus, Priority, Status, Task
from corridor.cases.views import people, staff
from corridor.cases.views.workflow import workflow_context
from corridor.core.forms import submit_then, succeeded
from corridor.keys.fields import preload_keys

T = TypeVar("T")

PAGE_SIZE = 50


# The list says "more than 1,000 cases" rather than count every case a user may see.
COUNT_LIMIT = 1_000


def _list_parts(user: User, filters: dict[str, Any]) -> list[QuerySet[Case]]:
    """The cases the list shows, as queries.list_parts' pieces, each read in index order."""
    cases = access.cases_visible_to(user)
    status = filters.get("status") or ""
    open_states: tuple[bool, ...] = (True, False)
    if status == "":
        open_states = (True,)
    elif status != "all":
        cases = cases.filter(status=status)
        open_states = (status not in CLOSED_STATUSES,)
    if filters.get("priority"):
        cases = cases.filter(priority=filters["priority"])
    if filters.get("team") is not None:
        cases = cases.filter(team=filters["team"])
    owner = filters.get("owner") or ""
    if owner == "me":
        cases = cases.filter(owner=user)
    elif owner:
        cases = cases.filter(owner_id=int(owner))
    if filters.get("mine"):
        cases = cases.filter(pk__in=Task.objects.filter(assignee=user, done__isnull=True).values("case_id"))
    return queries.list_parts(user, cases, open_states)


def _page_rows(pks: list[Any]) -> list[Case]:
    """The shown page's cases, each with its row of the list as HTML (`row_html`), in the page's order.

    One query for the 50 rows: the cases with their data keys, and as plain values the team's
    name, the owner's username, the principal's codename and whether an open task is overdue
    (joins and subqueries the database answers by index for these 50 ids). On PostgreSQL each
    query is a round trip to another process, which on a busy machine costs more than the query
    itself; separate lookups by id were six. The row itself is made here too (_row_html): the
    template engine spent about half a millisecond per row on its twenty variables and tags,
    more than all the queries together.
    """
    principal = CaseMember.objects.filter(case=OuterRef("pk"), role=MemberRole.PRINCIPAL).order_by("pk")
    late = Task.objects.filter(case=OuterRef("pk"), done__isnull=True, due__lt=timezone.localdate())
    cases = (
        Case.objects.filter(pk__in=pks)
        .select_related("data_key")
        .annotate(
            team_name=F("team__name"),
            owner_name=F("owner__username"),
            principal_codename=Subquery(principal.values("person__codename")[:1]),
            has_overdue=Exists(late),
        )
        .order_by()
    )
    found = {case.pk: case for case in cases}
    rows: list[Case] = [found[pk] for pk in pks if pk in found]
    preload_keys(rows)  # one keyring call for the page's summaries, never for the whole list
    words = _RowWords.now()
    for case in rows:
        case.row_html = _row_html(case, words, case.principal_codename, case.team_name, case.owner_name)  # type: ignore[attr-defined]  # annotations above; the template shows row_html
    return rows


_SUMMARY_CHARS = 90


@dataclass
class _RowWords:
    """What every row of one page shares, already escaped: labels in the request's language and
    the link pattern. Review dates are formatted once per language and day (_review_text)."""

    priorities: dict[str, str]
    statuses: dict[str, str]
    overdue: str
    no_owner: str
    link: str
    placeholder: str
    language: str

    @classmethod
    def now(cls) -> _RowWords:
        placeholder = uuid.UUID(int=0)
        return cls(
            priorities={value: escape(str(label)) for value, label in Priority.choices},
            statuses={value: escape(str(label)) for value, label in Status.choices},
            overdue=escape(_("overdue task")),
            no_owner=escape(_("no owner")),
            link=escape(reverse("cases:case", args=[placeholder])),
            placeholder=str(placeholder),
            language=get_language(),
        )


@functools.lru_cache(maxsize=2_048)
def _review_text(language: str, day: datetime.date) -> str:
    """The row's "review by 3 March", escaped, in `language` (the active one: the caller passes it so the
    cache keeps languages apart). A page holds a few dozen distinct days, and formatting a date
    for the locale costs more than the rest of a row."""
    return escape(_("review by %(date)s") % {"date": date_format(day, "MONTH_DAY_FORMAT")})


def _row_html(case: Case, words: _RowWords, principal: str | None, team_name: str, owner: str | None) -> str:
    """One case's row of the list as HTML: the markup cases/case/list.html made for it, byte for
    byte, with every value escaped as the template escaped it (html.escape, which is what
    django.utils.html.escape runs), made without the template engine."""
    priority = escape(case.priority)
    overdue = case.has_overdue  # type: ignore[attr-defined]  # set by _page_rows
    link = words.link.replace(words.placeholder, str(case.pk))
    principal_html = f"<span>{escape(principal)}</span>" if principal else ""
    overdue_html = f'<span class="badge overdue-badge">{words.overdue}</span>' if overdue else ""
    owner_html = escape(owner) if owner else words.no_owner
    review = case.priority_review
    review_html = " · " + _review_text(words.language, review) if review is not None else ""
    summary = case.summary
    summary_html = f'<br><span class="summary">{escape(_truncated(summary, _SUMMARY_CHARS))}</span>' if summary else ""
    return (
        f'\n  <li class="case-row priority-{priority}{" overdue" if overdue else ""}">'
        f'\n    <a href="{link}"><strong>{escape(case.reference)}</strong></a>'
        f"\n    {principal_html}"
        f'\n    <span class="badge priority-{priority}">{words.priorities.get(case.priority) or priority}</span>'
        f'\n    <span class="badge">{words.statuses.get(case.status) or escape(case.status)}</span>'
        f"\n    {overdue_html}"
        f'\n    <br><span class="muted">{escape(team_name)} · {owner_html}{review_html}</span>'
        f"\n    {summary_html}"
        "\n  </li>\n  "
    )


def _truncated(text: str, chars: int) -> str:
    """The template filter truncatechars, without its character walk for text that fits."""
    if len(text) <= chars:
        return unicodedata.normalize("NFC", text)  # as Truncator returns it
    return Truncator(text).chars(chars)


def _position(request: HttpRequest, name: str) -> queries.ListPosition | None:
    token = request.GET.get(name)
    return queries.ListPosition.parse(token) if token else None


@never_cache
@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    user = access.user_with_perm(request.user)
    form = CaseFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    parts = _list_parts(user, filters)
    stale_link = False
    try:
        page = queries.case_page(parts, size=PAGE_SIZE, after=_position(request, "after"), before=_position(request, "before"))
    except queries.BadPosition:
        # A mangled or very old link: the first page, said as such, rather than an error page.
        stale_link = True
        page = queries.case_page(parts, size=PAGE_SIZE)
    rows = _page_rows(page.pks)
    if rows:
        audit.record(actor=user, action=CaseAudit.CASE_LIST, obj=None, details={"cases": [str(case.pk) for case in rows]})
    total = queries.count_up_to(parts, COUNT_LIMIT)
    query = request.GET.copy()
    for name in ("after", "before", "page"):
        query.pop(name, None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "rows_html": mark_safe("".join(case.row_html for case in rows)),  # type: ignore[attr-defined]  # noqa: S308 -- _row_html's escaped rows
        "total": total,
        "count_limit": COUNT_LIMIT,
        "stale_link": stale_link,
        "query": query.urlencode(),
        "can_add": user.has_perm("cases.add_case"),
    }
    return render(request, "cases/case/list.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def new_view(request: HttpRequest) -> HttpResponse:
    user = access.user_with_perm(request.user, "cases.add_case")
    person_id = request.POST.get("person") if request.method == "POST" else request.GET.get("person")
    if not person_id:
        return _choose_person(request, user)
    person = access.get_person_for_user(user, person_id)
    form = NewCaseForm(request.POST or None, initial={"person": person.pk})
    form.set_teams(user)
    status = 200
    if request.method == "GET":
        audit.record_read(user, person)  # the page shows their name
    if request.method == "POST":
        opened = submit_then(
            form,
            lambda data: domain.open_case(
                user, team=data["team"], principal=person, priority=data["priority"], summary=data["summary"].strip()
            ),
            lambda case: succeeded(
                request, _("Case %(reference)s opened.") % {"reference": case.reference}, redirect("cases:case", case.pk)
            ),
        )
        if opened is not None:
            return opened
        status = 400
    return render(request, "cases/case/new.html", {"form": form, "person": person}, status=status)


def _choose_person(request: HttpRequest, user: User) -> HttpResponse:
    """Step one of a new case: find the principal among one's people, or add a new person.

    The search terms come in a POST body (never in the URL, so never in a log line)."""
    context = people.search(request, user)
    context["search"] = context.pop("form")
    return render(request, "cases/case/choose_person.html", context)


# -- detail and its actions ------------------------------------------------------------------


def _detail(request: HttpRequest, user: User, case: Case, *, status: int = 200, **forms: Any) -> HttpResponse:
    """The case page; a failed action passes its bound form so the errors show where it was typed."""
    members = list(case.members.select_related("person", "person__data_key").order_by("role", "person__codename"))
    tasks = list(case.tasks.select_related("assignee"))
    needs = list(case.needs.order_by("status", "-created"))
    allowed = queries.allowed_transitions(case)
    can_assign_owner = user.has_perm("cases.assign_owner", case)
    preload_keys([case])
    audit.record_read(user, case)
    context = {
        "case": case,
        "members": members,
        "timeline": queries.timeline(case),
        "tasks": tasks,
        "needs": needs,
        "need_statuses": NeedStatus.choices,
        "note_form": forms.get("note_form") or NoteForm(),
        "task_form": forms.get("task_form") or TaskForm(team=case.team),
        "need_form": forms.get("need_form") or NeedForm(),
        "status_form": (forms.get("status_form") or StatusForm(allowed=allowed, current=case.status)).showing(case.status),
        "can_change": user.has_perm("cases.change_case"),
        "can_note": user.has_perm("cases.add_note"),
        "can_tasks": user.has_perm("cases.manage_tasks"),
        "can_assign_owner": can_assign_owner,
        # The hand-off, on the case page itself: whoever may assign picks a colleague of the team.
        "owner_form": OwnerForm(candidates=queries.owner_candidates(case), initial={"owner": case.owner_id}, auto_id="owner_%s")
        if can_assign_owner
        else None,
        "today": timezone.localdate(),
    }
    context.update(workflow_context(case))
    return render(request, "cases/case/detail.html", context, status=status)


@never_cache
@require_GET
def detail_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    return _detail(request, user, access.get_case_for_user(user, pk))


def _back(case: Case, anchor: str) -> HttpResponse:
    return redirect(reverse("cases:case", args=[case.pk]) + f"#{anchor}")


# Each form of the case page: where it sits in _detail's context, and where the page scrolls back to.
_SLOTS: dict[type[Form], tuple[str, str]] = {
    NoteForm: ("note_form", "timeline"),
    TaskForm: ("task_form", "tasks"),
    NeedForm: ("need_form", "needs"),
    StatusForm: ("status_form", "status"),
}


def _posted(
    request: HttpRequest, case: Case, form: Form, action: Callable[[dict[str, Any]], T], said: Callable[[T], str]
) -> HttpResponse:
    """A form of the case page: run the action, then back to the case with what `said` says;
    refused, the case page again (400) with this form, and its errors, where it was typed."""
    slot, anchor = _SLOTS[type(form)]
    done = submit_then(form, action, lambda result: succeeded(request, said(result), _back(case, anchor)))
    return done or _detail(request, staff(request), case, status=400, **{slot: form})


@require_POST
def note_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    case = access.get_case_for_user(user, pk, "cases.add_note")
    return _posted(
        request, case, NoteForm(request.POST), lambda d: domain.add_note(user, case, d["body"]), lambda _note: _("Note added.")
    )


@require_POST
def task_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    case = access.get_case_for_user(user, pk, "cases.manage_tasks")
    form = TaskForm(request.POST, team=case.team)
    return _posted(
        request,
        case,
        form,
        lambda d: domain.add_task(user, case, d["title"], assignee=d["assignee"], due=d["due"]),
        lambda _task: _("Task added."),
    )


@require_POST
def task_done_view(request: HttpRequest, pk: uuid.UUID, task_pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    task = access.get_case_child(user, Task, pk, task_pk, "cases.manage_tasks")
    domain.complete_task(user, task)  # a second tap on a slow phone keeps the first completion time
    messages.success(request, _("Task done."))
    return _back(task.case, "tasks")


@require_POST
def need_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    case = access.get_case_for_user(user, pk, "cases.manage_tasks")
    return _posted(
        request,
        case,
        NeedForm(request.POST),
        lambda d: domain.add_need(user, case, d["kind"], d["details"].strip()),
        lambda _need: _("Need added."),
    )


@require_POST
def need_status_view(request: HttpRequest, pk: uuid.UUID, need_pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    need = access.get_case_child(user, Need, pk, need_pk, "cases.manage_tasks")
    form = NeedStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed statuses."))
        return _detail(request, user, need.case, status=400)
    domain.set_need_status(user, need, form.cleaned_data["status"])
    messages.success(request, _("Need updated."))
    return _back(need.case, "needs")


@require_POST
def status_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    case = access.get_case_for_user(user, pk, "cases.change_case")
    form = StatusForm(request.POST, allowed=queries.allowed_transitions(case), current=case.status)
    return _posted(
        request,
        case,
        form,
        lambda d: domain.transition(user, case, d["status"], d["reason"], seen=d["seen"] or None),
        lambda change: _("The case is now “%(status)s”.") % {"status": change.get_new_display()},
    )


# -- dashboard ---------------------------------------------------------------------------------


def dashboard_data(user: Any) -> dict[str, Any]:
    """The case part of the dashboard: people living in a compromised safe house, tasks due
    today or overdue, emergencies, safe-house occupancy.

    Empty for roles that do not work cases. Only the task titles are encrypted; their case keys
    are unwrapped in one batch.
    """
    if not user.has_perm("cases.view_case"):
        return {"emergencies": [], "due_tasks": [], "in_compromised": [], "safe_houses": []}
    today = timezone.localdate()
    visible = access.cases_visible_to(user).values("pk")
    emergencies = list(
        Case.objects.filter(pk__in=visible, priority=Priority.EMERGENCY)
        .exclude(status__in=CLOSED_STATUSES)
        .select_related("team", "owner")
        .annotate(
            principal_codename=Subquery(
                CaseMember.objects.filter(case=OuterRef("pk"), role=MemberRole.PRINCIPAL).values("person__codename")[:1]
            )
        )
        .order_by(F("priority_review").asc(nulls_last=True), "-created")[:PAGE_SIZE]
    )
    due_tasks = queries.due_tasks(user, Case.objects.filter(pk__in=visible), today)
    due = list(due_tasks.select_related("case", "case__data_key", "assignee")[:PAGE_SIZE])
    preload_keys(due)
    houses = [
        {"house": house, "occupancy": queries.occupancy(house, today), "capacity": house.capacity}
        for house in access.safe_houses_visible_to(user).order_by("label")
    ]
    in_compromised = list(queries.in_compromised_houses(Case.objects.filter(pk__in=visible)))
    return {"emergencies": emergencies, "due_tasks": due, "in_compromised": in_compromised, "safe_houses": houses}


urlpatterns: list[URLPattern] = [
    path("cases/", list_view, name="cases"),
    path("cases/new/", new_view, name="case_new"),
    path("cases/<uuid:pk>/", detail_view, name="case"),
    path("cases/<uuid:pk>/notes/", note_view, name="case_note"),
    path("cases/<uuid:pk>/tasks/", task_view, name="case_task"),
    path("cases/<uuid:pk>/tasks/<uuid:task_pk>/done/", task_done_view, name="case_task_done"),
    path("cases/<uuid:pk>/needs/", need_view, name="case_need"),
    path("cases/<uuid:pk>/needs/<uuid:need_pk>/status/", need_status_view, name="case_need_status"),
    path("cases/<uuid:pk>/status/", status_view, name="case_status"),
]
