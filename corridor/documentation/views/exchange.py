"""Documentation pages: working with partners — export (Uwazi CSV, HURIDOCS JSON) and the import of
media reports as sources, with near-duplicate flags shown before anything is saved."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.documentation.forms import ExportForm, ImportForm
from corridor.documentation.rules import EXPORT_EVENTS, MANAGE_EVENTS
from corridor.documentation.views import reader


@never_cache
@require_http_methods(["GET", "POST"])
def export_view(request: HttpRequest) -> HttpResponse:
    reader(request, EXPORT_EVENTS)
    form = ExportForm(request.POST or None)
    return render(request, "documentation/export.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    user = reader(request, MANAGE_EVENTS)
    form = ImportForm(request.POST or None, user=user)
    return render(request, "documentation/import.html", {"form": form})


urlpatterns: list[URLPattern] = [
    path("export/", export_view, name="export"),
    path("import/", import_view, name="import"),
]
