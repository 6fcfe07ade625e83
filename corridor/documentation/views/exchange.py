"""Documentation pages: working with partners — export (Uwazi CSV, HURIDOCS JSON) and the import of
media reports as sources, with near-duplicate flags shown before anything is saved.

What may leave is decided by corridor.documentation.exports (confidentiality, consent, what
the user sees); the page only asks for whom and in which format, and hands the file over.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.core.forms import apply_errors, submit_then, succeeded
from corridor.documentation import exports, imports, nearduplicates
from corridor.documentation.forms import ExportForm, ImportForm
from corridor.documentation.rules import EXPORT_EVENTS, MANAGE_EVENTS
from corridor.documentation.views import reader


def _download(form: ExportForm, user: Any) -> HttpResponse:
    data = form.cleaned_data
    kind = "json" if data["format"] == "huridocs" else "csv"
    export = exports.export_for(
        user, audience=data["audience"], partner=data["partner"] or "", language=(get_language() or "en")[:2], kind=kind
    )
    stamp = timezone.localdate().isoformat()
    if kind == "json":
        body = json.dumps(exports.huridocs_json(export), ensure_ascii=False, indent=2, default=str)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        name = f"events-{stamp}.json"
    else:
        template = data["format"].split("-", 1)[1]
        response = HttpResponse(exports.uwazi_csv(export, template), content_type="text/csv; charset=utf-8")
        name = f"{template}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def export_view(request: HttpRequest) -> HttpResponse:
    user = reader(request, EXPORT_EVENTS)
    form = ExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            return _download(form, user)
        except exports.ExportRefused as exc:
            form.add_error(None, str(exc))
    return render(request, "documentation/export.html", {"form": form}, status=400 if form.errors else 200)


def _preview(user: Any, form: ImportForm) -> list[dict[str, Any]]:
    """The reports as they would be saved, each with the existing sources (and the earlier
    reports of the same batch) it nearly copies; nothing is written."""
    data = form.cleaned_data
    reports = imports.clean_reports(imports.parse_csv(data["reports"].encode()))
    texts = {index: str(report.get("text") or "") for index, report in enumerate(reports)}
    existing = nearduplicates.match_existing(user, {k: v for k, v in texts.items() if v}, team_id=data["team"].pk)
    rows = [
        {"title": r.get("title", ""), "url": r.get("url", ""), "matches": list(existing.get(i, [])), "earlier": []}
        for i, r in enumerate(reports)
    ]
    index = nearduplicates.Index()
    for position, text in texts.items():
        if text:
            rows[position]["earlier"] = [(rows[int(str(key))]["title"], score) for key, score in index.query(text)]
            index.add(position, text)
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    user = reader(request, MANAGE_EVENTS)
    form = ImportForm(request.POST or None, user=user)
    preview: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        if request.POST.get("step") == "save":
            done = submit_then(
                form,
                lambda data: imports.import_reports(user, data["team"], imports.parse_csv(data["reports"].encode())),
                lambda results: succeeded(
                    request,
                    ngettext(
                        "%(count)d media report saved as a source.", "%(count)d media reports saved as sources.", len(results)
                    )
                    % {"count": len(results)},
                    redirect("documentation:sources"),
                ),
                "reports",
            )
            if done is not None:
                return done
        else:
            try:
                preview = _preview(user, form)
            except ValidationError as exc:
                apply_errors(form, exc, "reports")
    status = 400 if form.errors else 200
    return render(request, "documentation/import.html", {"form": form, "preview": preview}, status=status)


urlpatterns: list[URLPattern] = [
    path("export/", export_view, name="export"),
    path("import/", import_view, name="import"),
]
