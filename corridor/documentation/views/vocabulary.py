"""Documentation pages: the controlled vocabularies (types of act, methods under each), with their
words in every language the pages speak; a new term, and a term's words, parent and use changed.
Codes never change once made: exports and the API rely on them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.core.forms import submit_then, succeeded
from corridor.documentation import access, domain
from corridor.documentation.forms import TermForm, term_label
from corridor.documentation.models import Term, Vocabulary
from corridor.documentation.rules import MANAGE_VOCABULARY, VIEW_EVENTS
from corridor.documentation.views import reader, wanted


def _groups(terms: list[Term]) -> list[dict[str, Any]]:
    """Each type of act with the methods under it, then the methods under no type."""
    methods: dict[int | None, list[Term]] = defaultdict(list)
    for term in terms:
        if term.vocabulary == Vocabulary.METHOD:
            methods[term.parent_id].append(term)
    groups = [
        {"term": term, "methods": sorted(methods.get(term.pk, []), key=term_label)}
        for term in sorted((t for t in terms if t.vocabulary == Vocabulary.ACT_TYPE), key=term_label)
    ]
    return groups + ([{"term": None, "methods": sorted(methods[None], key=term_label)}] if methods.get(None) else [])


@never_cache
@require_http_methods(["GET", "POST"])
def list_view(request: HttpRequest) -> HttpResponse:
    user = reader(request, wanted(request, VIEW_EVENTS, MANAGE_VOCABULARY))
    terms = list(access.terms_for_user(user))
    form = TermForm(request.POST or None)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.add_term(
                user, vocabulary=data["vocabulary"], code=data["code"], labels=form.labels(), parent=data["parent"]
            ),
            lambda _term: succeeded(request, _("Term added."), redirect("documentation:vocabulary")),
        )
        if done is not None:
            return done
    context = {"groups": _groups(terms), "form": form, "can_manage": user.has_perm(MANAGE_VOCABULARY)}  # what the page offers
    return render(request, "documentation/vocabulary.html", context, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = reader(request, MANAGE_VOCABULARY)
    term = access.get_term_for_user(user, pk, perm=MANAGE_VOCABULARY)
    form = TermForm(request.POST or None, term=term)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.update_term(user, term, labels=form.labels(), active=data["active"], parent=data["parent"]),
            lambda _term: succeeded(request, _("Term saved."), redirect("documentation:vocabulary")),
        )
        if done is not None:
            return done
    return render(request, "documentation/term_form.html", {"form": form, "term": term}, status=400 if form.errors else 200)


urlpatterns: list[URLPattern] = [
    path("vocabulary/", list_view, name="vocabulary"),
    path("vocabulary/<int:pk>/", edit_view, name="term_edit"),
]
