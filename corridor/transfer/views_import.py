"""The legacy import's page: choose a spreadsheet, map its columns, see every bad row, import.

The file is read in memory for the request and never written on the server: between the
steps the page carries it back (base64 in a hidden field, as the referral import does), so
the server holds nothing of it between requests. Importing queues the checked rows, encrypted,
for a background job (domain/import_jobs.py) and shows its progress on a page that refreshes
itself without JavaScript; the file's size is what limits the page (WEB_MAX_BYTES: the carried
copy must fit a form), larger files go through `corridor import_people`.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.accounts.models import Team, User
from corridor.cases.access import user_with_perm
from corridor.transfer import legacy, rules, spreadsheet
from corridor.transfer.domain import import_jobs
from corridor.transfer.domain.import_jobs import queue_import
from corridor.transfer.models import ImportJob, ImportState

# The import runs in the background (a few ms a row, bench legacy_import), so the rows a page
# takes are bounded by the file: its base64 copy travels in the form between the steps, under
# DATA_UPLOAD_MAX_MEMORY_SIZE (2 MB).
WEB_MAX_ROWS = spreadsheet.MAX_ROWS
WEB_MAX_BYTES = 1024 * 1024
# The progress page asks again this often while the job runs (a meta refresh: no JavaScript).
REFRESH_SECONDS = 2


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- guaranteed by the staff middleware, not by input
    return user


class UploadForm(forms.Form):
    spreadsheet = forms.FileField(label=gettext_lazy("Spreadsheet (CSV or XLSX)"), required=False)
    carried = forms.CharField(widget=forms.HiddenInput, required=False)
    filename = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team for rows without a team"), queryset=Team.objects.none(), required=False
    )
    valid_only = forms.BooleanField(label=gettext_lazy("Import the valid rows and leave out the bad ones"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)  # noqa: S101 -- declared just above
        team_field.queryset = Team.objects.filter(members=user).order_by("name")

    def file(self) -> tuple[bytes, str]:
        upload = self.cleaned_data.get("spreadsheet")
        if upload is not None:
            if upload.size > WEB_MAX_BYTES:
                raise ValidationError(
                    {"spreadsheet": _("The page takes files up to 1 MB; import larger ones with corridor import_people.")}
                )
            return upload.read(), upload.name or ""
        try:
            data = base64.b64decode(self.cleaned_data.get("carried") or "", validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValidationError({"spreadsheet": _("Choose the file again.")}) from error
        if not data:
            raise ValidationError({"spreadsheet": _("Choose a CSV or XLSX file.")})
        return data, self.cleaned_data.get("filename") or ""


def _mapping_from(request: HttpRequest, width: int) -> dict[int, str] | None:
    """The columns as the user mapped them, or None when the page has not asked yet."""
    if "mapped" not in request.POST:
        return None
    return {index: request.POST.get(f"column_{index}", "") for index in range(width)}


@never_cache
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    user = user_with_perm(_user(request), rules.IMPORT_SPREADSHEET)
    form = UploadForm(request.POST or None, request.FILES or None, user=user)
    context: dict[str, Any] = {"form": form, "max_rows": WEB_MAX_ROWS}
    if request.method != "POST":
        return render(request, "transfer/import.html", context)
    if not form.is_valid():
        return render(request, "transfer/import.html", context, status=400)
    try:
        data, filename = form.file()
        table = spreadsheet.read(data, filename)
        if len(table.rows) > WEB_MAX_ROWS:
            raise ValidationError(
                {
                    "spreadsheet": _(
                        "The file has %(rows)d rows; the page imports up to %(max)d. Import it with corridor import_people."
                    )
                    % {"rows": len(table.rows), "max": WEB_MAX_ROWS}
                }
            )
    except spreadsheet.SpreadsheetError as error:
        form.add_error("spreadsheet", str(error))
        return render(request, "transfer/import.html", context, status=400)
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, "transfer/import.html", context, status=400)
    asked = _mapping_from(request, len(table.headers))
    mapping = legacy.suggest_mapping(table.headers) if asked is None else asked
    context |= {
        "table": table,
        "carried": base64.b64encode(data).decode("ascii"),
        "filename": filename[:200],
        "columns": [(index, header, mapping.get(index, "")) for index, header in enumerate(table.headers)],
        "fields": list(legacy.FIELDS.items()),
        "sample": table.rows[:3],
    }
    try:
        clean = legacy.clean_mapping(mapping, len(table.headers))
    except ValueError as error:
        context["mapping_error"] = str(error)
        return render(request, "transfer/import.html", context, status=400 if asked is not None else 200)
    plan = legacy.check(user, table, clean, form.cleaned_data.get("team"))
    context["plan"] = plan
    if request.POST.get("confirm") != "1" or asked is None:
        return render(request, "transfer/import.html", context)
    try:
        job = queue_import(user, plan, valid_only=form.cleaned_data["valid_only"])
    except ValidationError as error:
        context["import_error"] = "; ".join(error.messages)
        return render(request, "transfer/import.html", context, status=400)
    return redirect("transfer:import_progress", pk=job.pk)


@never_cache
@require_http_methods(["GET"])
def progress_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = user_with_perm(_user(request), rules.IMPORT_SPREADSHEET)
    try:
        job = import_jobs.job_for(user, pk)
    except ImportJob.DoesNotExist as error:
        raise Http404 from error
    running = job.state in (ImportState.QUEUED, ImportState.RUNNING)
    if job.state == ImportState.DONE:
        messages.success(
            request,
            ngettext("Imported %(count)d person with a case.", "Imported %(count)d people, each with a case.", job.done)
            % {"count": job.done},
        )
    context = {"job": job, "running": running, "refresh": REFRESH_SECONDS, "states": ImportState}
    return render(request, "transfer/import_progress.html", context)


urlpatterns = [
    path("import/", import_view, name="import"),
    path("import/<uuid:pk>/", progress_view, name="import_progress"),
]
