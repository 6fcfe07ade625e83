"""Documentation pages: evidence — upload to an event (metadata stripped, hashed, encrypted), a
file's page with its chain of custody and redacted copies, the file itself (viewed or downloaded,
each a custody entry), and a hand-written custody entry (exported, handed over).
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases.views.documents import FILE_CSP
from corridor.core import uploads
from corridor.core.forms import submit_then, succeeded
from corridor.documentation import access, domain
from corridor.documentation.forms import CustodyForm, EvidenceForm, RedactedCopyForm
from corridor.documentation.models import Evidence
from corridor.documentation.rules import MANAGE_EVENTS, VIEW_EVENTS
from corridor.documentation.views import events, reader
from corridor.keys.fields import preload_keys


def _custody_label(action: str) -> str:
    labels = {
        "received": _("received"),
        "viewed": _("viewed"),
        "downloaded": _("downloaded"),
        "redacted": _("redacted copy made"),
        "exported": _("exported"),
        "handed_over": _("handed over"),
    }
    return labels.get(action, action)


def _custody_rows(evidence: Evidence) -> list[dict[str, Any]]:
    entries = list(evidence.custody or [])
    names = dict(User.objects.filter(pk__in={e.get("by") for e in entries}).values_list("pk", "username"))
    rows = []
    for entry in reversed(entries):
        try:
            at: datetime.datetime | None = datetime.datetime.fromisoformat(str(entry.get("at")))
        except ValueError:
            at = None
        rows.append(
            {
                "at": at,
                "by": names.get(entry.get("by"), _("a removed user")),
                "action": _custody_label(str(entry.get("action"))),
                "note": entry.get("note", ""),
            }
        )
    return rows


@csrf_exempt
@require_POST
def upload_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """A file for an event. The upload handlers are swapped before anything reads the body, so
    no upload lands in a plaintext temporary file; CSRF is then checked by the inner view (the
    pattern Django documents for changing upload handlers per view), as for case documents."""
    uploads.install(request)
    response: HttpResponse = _upload(request, pk)
    return response


@csrf_protect
def _upload(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    event = access.get_event_for_user(user, pk, perm=MANAGE_EVENTS)
    form = EvidenceForm(request.POST, request.FILES, sources=access.sources_visible_to(user))
    done = submit_then(
        form,
        lambda data: domain.add_evidence(user, event, data["file"], source=data["source"], description=data["description"] or ""),
        lambda evidence: succeeded(
            request, _("Evidence kept."), HttpResponseRedirect(reverse("documentation:evidence", args=[evidence.pk]))
        ),
        "file",
    )
    return done or events.render_event(request, user, event, status=400, evidence_form=form)


def _context(user: Any, evidence: Evidence, **forms: Any) -> dict[str, Any]:
    copies = list(Evidence.objects.filter(redacted_from=evidence).select_related("data_key"))
    original = evidence.redacted_from
    preload_keys([evidence, evidence.event, *copies, *([original] if original else [])])
    return {
        "evidence": evidence,
        "event": evidence.event,
        "original": original,
        "copies": copies,
        "custody": _custody_rows(evidence),
        "redacted_form": forms.get("redacted_form") or RedactedCopyForm(),
        "custody_form": forms.get("custody_form") or CustodyForm(),
        "can_manage": user.has_perm(MANAGE_EVENTS),  # what the page offers
    }


@never_cache
@require_GET
def detail_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    evidence = access.get_evidence_for_user(user, pk, perm=VIEW_EVENTS)
    audit.record_read(user, evidence)
    return render(request, "documentation/evidence.html", _context(user, evidence))


@csrf_exempt
@require_POST
def redacted_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    uploads.install(request)  # as upload_view: before the body is read
    response: HttpResponse = _redacted(request, pk)
    return response


@csrf_protect
def _redacted(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    evidence = access.get_evidence_for_user(user, pk, perm=MANAGE_EVENTS)
    form = RedactedCopyForm(request.POST, request.FILES)
    done = submit_then(
        form,
        lambda data: domain.add_redacted_copy(user, evidence, data["file"], note=data["note"]),
        lambda copy: succeeded(
            request, _("Redacted copy kept."), HttpResponseRedirect(reverse("documentation:evidence", args=[copy.pk]))
        ),
        "file",
    )
    return done or render(request, "documentation/evidence.html", _context(user, evidence, redacted_form=form), status=400)


@require_POST
def custody_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    evidence = access.get_evidence_for_user(user, pk, perm=MANAGE_EVENTS)
    form = CustodyForm(request.POST)
    done = submit_then(
        form,
        lambda data: domain.record_custody(user, evidence, data["action"], data["note"]),
        lambda _saved: succeeded(request, _("Custody entry recorded."), redirect("documentation:evidence", evidence.pk)),
        "note",
    )
    return done or render(request, "documentation/evidence.html", _context(user, evidence, custody_form=form), status=400)


@require_GET
def file_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The decrypted file, shown by the browser itself or downloaded; either is a custody entry."""
    user = reader(request)
    evidence = access.get_evidence_for_user(user, pk, perm=VIEW_EVENTS)
    download = request.GET.get("download") == "1"
    purpose = domain.Custody.DOWNLOADED if download else domain.Custody.VIEWED
    try:
        data = domain.open_evidence(user, evidence, purpose)
    except ValidationError as exc:
        context = _context(user, evidence) | {"damaged": " ".join(exc.messages)}
        return render(request, "documentation/evidence.html", context, status=409)
    content_type = evidence.content_type
    csp = (
        FILE_CSP["pdf"]
        if content_type == "application/pdf"
        else FILE_CSP["image"]
        if content_type.startswith("image/")
        else FILE_CSP["text"]
    )
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(download, str(evidence.filename)) or "inline"
    response["Content-Length"] = str(len(data))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = csp
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


urlpatterns: list[URLPattern] = [
    path("events/<uuid:pk>/evidence/", upload_view, name="evidence_new"),
    path("evidence/<uuid:pk>/", detail_view, name="evidence"),
    path("evidence/<uuid:pk>/redacted/", redacted_view, name="evidence_redacted"),
    path("evidence/<uuid:pk>/custody/", custody_view, name="evidence_custody"),
    path("evidence/<uuid:pk>/file/", file_view, name="evidence_file"),
]
