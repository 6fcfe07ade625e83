"""Case-work pages: documents — upload (metadata stripped, then encrypted), the list, the
detail with its chain of custody, and the decrypted file served for preview or download.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases import access, domain
from corridor.cases.audit_names import CaseAudit
from corridor.cases.forms_workflow import CodenameChoiceField
from corridor.cases.models import Case, Document, DocumentKind, Person
from corridor.cases.views import staff
from corridor.core import uploads
from corridor.core.forms import submit_then
from corridor.keys.api import DataKey

# The served file is shown by the browser itself. Nothing may load from elsewhere and no
# script of ours runs. The browser's own image page and PDF viewer style themselves inline;
# object-src 'self' keeps viewers that embed the PDF as a plugin working. Chromium's viewer
# works under this policy (tests/browser/test_documents.py). PDFs get no `sandbox`: a
# sandboxed document may be refused the built-in viewer (not checked in every browser).
FILE_CSP = {
    "pdf": "default-src 'none'; object-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "image": "default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "text": "default-src 'none'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox",
}


def _csp_for(content_type: str) -> str:
    if content_type == "application/pdf":
        return FILE_CSP["pdf"]
    if content_type.startswith("image/"):
        return FILE_CSP["image"]
    return FILE_CSP["text"]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "A photo (JPEG, PNG, WebP), a PDF or a plain text file. Location, camera details and authors are removed before it is stored."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf,text/plain"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=DocumentKind.choices)
    person = CodenameChoiceField(
        label=gettext_lazy("Person"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=gettext_lazy("The whole case"),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Chosen by codename only: names never appear in a select list.
        self.fields["person"].queryset = Person.objects.filter(memberships__case=case, erased__isnull=True).order_by("codename")  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField


@csrf_exempt
@require_http_methods(["GET", "POST"])
def document_list_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """The documents of a case and the upload form.

    The upload handlers are swapped before anything reads the body, so no upload ever
    lands in a plaintext temporary file; CSRF is then checked by the inner view (the
    pattern Django documents for changing upload handlers per view).
    """
    if request.method == "POST":
        uploads.install(request)
    response: HttpResponse = _document_list(request, pk)
    return response


@csrf_protect
def _document_list(request: HttpRequest, pk: Any) -> HttpResponse:
    user = staff(request)
    case = access.get_case_for_user(user, pk, "cases.add_document" if request.method == "POST" else access.VIEW)
    form = UploadForm(case=case)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, case=case)
        uploaded = submit_then(
            form,
            lambda data: domain.upload_document(
                user, case, data["file"], data["kind"], person=data["person"], description=data["description"]
            ),
            lambda document: HttpResponseRedirect(reverse("cases:document", args=[document.pk])),
            "file",
        )
        if uploaded is not None:
            return uploaded
    documents = list(case.documents.select_related("data_key", "person", "uploaded_by"))
    DataKey.preload(d.data_key for d in documents)
    audit.record(actor=user, action=CaseAudit.DOCUMENT_LIST, obj=case)
    can_upload = user.has_perm("cases.add_document")  # shows the form; the action decides
    status = 400 if form.errors else 200
    return render(
        request,
        "cases/documents/list.html",
        {"case": case, "documents": documents, "form": form, "can_upload": can_upload},
        status=status,
    )


def _parse_time(value: Any) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _custody_rows(document: Document) -> list[dict[str, Any]]:
    entries = list(document.custody or [])
    names = dict(User.objects.filter(pk__in={e.get("by") for e in entries}).values_list("pk", "username"))
    labels = {
        "uploaded": _("uploaded"),
        "viewed": _("viewed"),
        "downloaded": _("downloaded"),
        "exported": _("exported"),
    }
    return [
        {
            "at": _parse_time(entry.get("at")),
            "by": names.get(entry.get("by"), _("a removed user")),
            "action": labels.get(str(entry.get("action")), str(entry.get("action"))),
            "note": entry.get("note", ""),
        }
        for entry in reversed(entries)
    ]


@require_GET
def document_detail_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = staff(request)
    document = access.get_document_for_user(user, pk)
    audit.record_read(user, document)
    return render(
        request,
        "cases/documents/detail.html",
        {
            "document": document,
            "case": document.case,
            "custody": _custody_rows(document),
            "is_image": document.content_type.startswith("image/"),
        },
    )


@require_GET
def document_file_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """The decrypted file: shown by the browser itself (no viewer of ours) or downloaded."""
    user = staff(request)
    document = access.get_document_for_user(user, pk)
    download = request.GET.get("download") == "1"
    purpose = domain.DocumentPurpose.DOWNLOADED if download else domain.DocumentPurpose.VIEWED
    try:
        data = domain.open_document(user, document, purpose)
    except ValidationError:
        return render(request, "cases/documents/damaged.html", {"document": document, "case": document.case}, status=409)
    response = HttpResponse(data, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(download, document.filename) or "inline"
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = _csp_for(document.content_type)
    # The image preview on the detail page is same-origin; no other site may embed these bytes.
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


urlpatterns: list[URLPattern] = [
    path("cases/<uuid:pk>/documents/", document_list_view, name="documents"),
    path("documents/<uuid:pk>/", document_detail_view, name="document"),
    path("documents/<uuid:pk>/file/", document_file_view, name="document_file"),
]
