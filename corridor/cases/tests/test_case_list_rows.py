"""The case list's rows, made in Python (views.cases._row_html) instead of the template engine
(issue 15), are byte for byte the markup the template made: the same escaping of every value
(a hostile summary, reference, codename or username), the same labels in Russian, truncation.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.template import engines
from django.test import Client
from django.utils import timezone, translation

from corridor.accounts.models import Role, User
from corridor.accounts.testing import World, make_world, sign_in
from corridor.cases import domain
from corridor.cases.models import Case, CaseMember, Person, Priority, Task
from corridor.cases.views import cases as case_views

pytestmark = pytest.mark.django_db

# The loop body cases/case/list.html rendered for each row before issue 15 (kept here as the
# reference the Python rows must equal), fed the values _page_rows used to attach.
_TEMPLATE_ROW = """{% load i18n %}
  <li class="case-row priority-{{ case.priority }}{% if case.has_overdue %} overdue{% endif %}">
    <a href="{{ case.link }}"><strong>{{ case.reference }}</strong></a>
    {% if case.principal_codename %}<span>{{ case.principal_codename }}</span>{% endif %}
    <span class="badge priority-{{ case.priority }}">{{ case.priority_label }}</span>
    <span class="badge">{{ case.status_label }}</span>
    {% if case.has_overdue %}<span class="badge overdue-badge">{% translate "overdue task" %}</span>{% endif %}
    <br><span class="muted">{{ case.team.name }} · {% if case.owner %}{{ case.owner.username }}{% else %}{% translate "no owner" %}{% endif %}{% if case.review_text %} · {{ case.review_text }}{% endif %}</span>
    {% if case.summary %}<br><span class="summary">{{ case.summary|truncatechars:90 }}</span>{% endif %}
  </li>
  """

HOSTILE = "<script>alert('x')</script> & \"quoted\""


def _template_row(case: Case, has_overdue: bool) -> str:
    from django.urls import reverse
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    from corridor.cases.models import MemberRole, Status

    principal = CaseMember.objects.filter(case=case, role=MemberRole.PRINCIPAL).values_list("person__codename", flat=True).first()
    review = case.priority_review
    values: dict[str, Any] = {
        "priority": case.priority,
        "has_overdue": has_overdue,
        "link": reverse("cases:case", args=[case.pk]),
        "reference": case.reference,
        "principal_codename": principal,
        "priority_label": str(Priority(case.priority).label),
        "status_label": str(Status(case.status).label),
        "team": case.team,
        "owner": case.owner,
        "review_text": _("review by %(date)s") % {"date": date_format(review, "MONTH_DAY_FORMAT")} if review else "",
        "summary": case.summary,
    }
    return engines["django"].from_string(_TEMPLATE_ROW).render({"case": values})


def _cases(world: World) -> list[Case]:
    worker = world.users[Role.CASEWORKER]
    made = []
    for n, (priority, summary) in enumerate(
        [
            (Priority.EMERGENCY, HOSTILE),
            (Priority.URGENT, "Коротко: " + "очень длинное описание положения человека " * 4),  # beyond 90 characters
            (Priority.NORMAL, ""),
            (Priority.NORMAL, "e\u0301 combining accents, then exactly ninety characters. " + "x" * 34),
        ]
    ):
        _person, case = domain.create_person_with_case(
            worker, team=world.team_a, priority=priority, summary=summary, names=[{"name": f"Person {n}", "kind": "legal"}]
        )
        made.append(case)
    # A hostile reference, codename and username: values someone typed or an import brought.
    Case.objects.filter(pk=made[0].pk).update(reference="C-<b>&1")
    Person.objects.filter(memberships__case=made[0]).update(codename="<i>fox</i>")
    User.objects.filter(pk=worker.pk).update(username="o'neil<&>")
    Case.objects.filter(pk=made[1].pk).update(owner=None, priority_review=None)
    Case.objects.filter(pk=made[2].pk).update(priority_review=timezone.localdate() + datetime.timedelta(days=3))
    task = domain.add_task(worker, made[1], "call back", due=timezone.localdate())
    Task.objects.filter(pk=task.pk).update(due=timezone.localdate() - datetime.timedelta(days=1))
    return made


@pytest.mark.parametrize("language", ["en", "ru"])
def test_python_rows_equal_the_template_rows(language: str) -> None:
    world = make_world()
    made = _cases(world)
    with translation.override(language):
        rows = case_views._page_rows([case.pk for case in made])
        assert [case.pk for case in rows] == [case.pk for case in made]
        for case in rows:
            expected = _template_row(Case.objects.select_related("team", "owner").get(pk=case.pk), case.has_overdue)  # type: ignore[attr-defined]  # set by _page_rows
            assert case.row_html == expected  # type: ignore[attr-defined]  # set by _page_rows
        assert sum(case.has_overdue for case in rows) == 1  # type: ignore[attr-defined]  # set by _page_rows


def test_the_page_escapes_what_people_typed() -> None:
    world = make_world()
    _cases(world)
    worker = User.objects.get(pk=world.users[Role.CASEWORKER].pk)
    page = sign_in(Client(), worker).get("/cases/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;) &lt;/script&gt;" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quoted&quot;" in page
    assert "C-&lt;b&gt;&amp;1" in page and "&lt;i&gt;fox&lt;/i&gt;" in page and "o&#x27;neil&lt;&amp;&gt;" in page
    assert len(re.findall(r'<li class="case-row', page)) == 4
