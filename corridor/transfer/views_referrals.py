"""Referral pages: partners and their fingerprints, preparing, approving and exporting a
referral of a case, and importing a bundle a partner sent. Views parse, call one domain
action, render; the bundle is streamed out from memory and never written here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts import sessions
from corridor.accounts.models import Team, User
from corridor.cases.access import cases_visible_to, get_case_for_user, get_visible, user_with_perm
from corridor.cases.domain.duplicates import DuplicateCheckLimited
from corridor.cases.models import Document
from corridor.core.forms import apply_errors, press, submit
from corridor.transfer import partners as partner_keys
from corridor.transfer import referrals as bundle
from corridor.transfer import rules
from corridor.transfer.domain import referrals, staging
from corridor.transfer.models import Partner, Referral, ReferralStatus


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- guaranteed by the staff middleware, not by input
    return user


def _referral_for(user: User, referral_id: Any, perm: str) -> Referral:
    visible = Referral.objects.filter(case__in=cases_visible_to(user)).select_related(
        "case", "partner", "prepared_by", "approved_by"
    )
    return get_visible(user, visible, referral_id, perm)


def _partner_for(user: User, partner_id: Any) -> Partner:
    user_with_perm(user, rules.MANAGE_PARTNERS)
    return get_visible(user, Partner.objects.all(), partner_id, rules.MANAGE_PARTNERS)


# -- partners ------------------------------------------------------------------------------


class PartnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Organisation"), max_length=160)
    age_recipient = forms.CharField(
        label=gettext_lazy("Their age public key"),
        max_length=100,
        help_text=gettext_lazy("Begins with age1; from their Partners page."),
    )
    signing_key = forms.CharField(
        label=gettext_lazy("Their signing key"),
        max_length=64,
        help_text=gettext_lazy("44 characters of base64; from their Partners page."),
    )


@never_cache
def partners_view(request: HttpRequest) -> HttpResponse:
    user = user_with_perm(_user(request), rules.VIEW_PARTNERS)
    rows = [
        {
            "partner": partner,
            "age_fingerprint": partner_keys.recipient_fingerprint(partner),
            "signing_fingerprint": partner_keys.signing_fingerprint(partner),
        }
        for partner in Partner.objects.select_related("verified_by", "created_by")
    ]
    return render(
        request,
        "transfer/referral_partners.html",
        {"rows": rows, "own": partner_keys.own_keys(), "can_manage": user.has_perm(rules.MANAGE_PARTNERS)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@sessions.require_recent_auth_on_post
def partner_new_view(request: HttpRequest) -> HttpResponse:
    user = user_with_perm(_user(request), rules.MANAGE_PARTNERS)
    form = PartnerForm(request.POST or None)
    if request.method == "POST":
        saved = submit(form, lambda data: referrals.register_partner(user, **data))
        if saved is not None:
            messages.success(request, _("Partner registered. Another administrator must now verify the fingerprints with them."))
            return redirect("transfer:partners")
    return render(request, "transfer/referral_partner_form.html", {"form": form}, status=400 if request.method == "POST" else 200)


@require_POST
@sessions.require_recent_auth_on_post
def partner_verify_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    partner = _partner_for(user, pk)
    try:
        press(request, lambda: referrals.verify_partner(user, partner), _("Fingerprints marked as verified."))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot do this."))
    return redirect("transfer:partners")


@require_POST
@sessions.require_recent_auth_on_post
def partner_deactivate_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    partner = _partner_for(user, pk)
    press(
        request,
        lambda: referrals.deactivate_partner(user, partner),
        _("Partner deactivated; their open referrals were cancelled."),
    )
    return redirect("transfer:partners")


# -- referrals out -------------------------------------------------------------------------


class ReferralForm(forms.Form):
    partner = forms.ModelChoiceField(label=gettext_lazy("Partner organisation"), queryset=Partner.objects.none())
    include = forms.MultipleChoiceField(
        label=gettext_lazy("What to send"),
        choices=list(bundle.FIELDS.items()),
        initial=list(bundle.DEFAULT_FIELDS),
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy(
            "Send the least the partner needs: names, how to reach the person and their needs are chosen for you."
        ),
    )
    documents = forms.MultipleChoiceField(
        label=gettext_lazy("Documents to send"), choices=[], required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, documents: list[Document], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner_field = self.fields["partner"]
        assert isinstance(partner_field, forms.ModelChoiceField)  # noqa: S101 -- declared above
        partner_field.queryset = Partner.objects.filter(active=True, verified__isnull=False)
        documents_field = self.fields["documents"]
        assert isinstance(documents_field, forms.MultipleChoiceField)  # noqa: S101 -- declared above
        documents_field.choices = [(str(d.pk), f"{d.get_kind_display()}: {d.filename}") for d in documents]


@never_cache
@require_http_methods(["GET", "POST"])
def referral_new_view(request: HttpRequest, case_id: Any) -> HttpResponse:
    user = _user(request)
    case = get_case_for_user(user, case_id, rules.PREPARE_REFERRAL)
    documents = list(Document.objects.filter(case=case).select_related("data_key"))
    form = ReferralForm(request.POST or None, documents=documents)

    def prepare(data: dict[str, Any]) -> Referral:
        chosen = [d for d in documents if str(d.pk) in set(data["documents"])]
        return referrals.prepare_referral(user, case, data["partner"], data["include"], chosen)

    if request.method == "POST":
        saved = submit(form, prepare, "partner")
        if saved is not None:
            messages.success(request, _("Referral prepared. Someone else on the case must approve it before it can be exported."))
            return redirect("transfer:referral", saved.pk)
    return render(
        request,
        "transfer/referral_form.html",
        {"form": form, "case": case, "referrals": Referral.objects.filter(case=case).select_related("partner")},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
def referral_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    referral = _referral_for(user, pk, rules.PREPARE_REFERRAL)
    labels = [bundle.FIELDS[f] for f in referral.fields if f in bundle.FIELDS]
    return render(
        request,
        "transfer/referral.html",
        {
            "referral": referral,
            "labels": labels,
            "documents": Document.objects.filter(case=referral.case, pk__in=referral.documents).select_related("data_key"),
            "can_approve": referral.status == ReferralStatus.PREPARED and referral.prepared_by_id != user.pk,
            "can_export": referral.status == ReferralStatus.APPROVED,
            "can_cancel": referral.status in (ReferralStatus.PREPARED, ReferralStatus.APPROVED),
        },
    )


@require_POST
@sessions.require_recent_auth_on_post
def referral_approve_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    referral = _referral_for(user, pk, rules.APPROVE_REFERRAL)
    try:
        press(request, lambda: referrals.approve_referral(user, referral), _("Referral approved; it can be exported now."))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot do this."))
    return redirect("transfer:referral", referral.pk)


@require_POST
def referral_cancel_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    referral = _referral_for(user, pk, rules.PREPARE_REFERRAL)
    press(request, lambda: referrals.cancel_referral(user, referral), _("Referral cancelled."))
    return redirect("transfer:referral", referral.pk)


@require_POST
@sessions.require_recent_auth_on_post
def referral_export_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """The bundle, built in memory and sent as a download; nothing of it is kept here."""
    user = _user(request)
    referral = _referral_for(user, pk, rules.PREPARE_REFERRAL)
    try:
        filename, blob = referrals.export_referral(user, referral)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("transfer:referral", referral.pk)
    response = HttpResponse(blob, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# -- referrals in --------------------------------------------------------------------------


class ImportForm(forms.Form):
    bundle = forms.FileField(
        label=gettext_lazy("Referral bundle (.corridor file)"),
        required=False,
        help_text=gettext_lazy("Up to 10 MB."),
    )
    # The bundle previewed, kept server-side (domain/staging.py) until it is imported.
    staged = forms.UUIDField(required=False, widget=forms.HiddenInput)
    team = forms.ModelChoiceField(label=gettext_lazy("Team that takes the case"), queryset=Team.objects.none())

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)  # noqa: S101 -- declared above
        team_field.queryset = Team.objects.filter(members=user)

    def blob(self, user: User) -> bytes:
        upload = self.cleaned_data.get("bundle")
        if upload is not None:
            if upload.size > bundle.MAX_BUNDLE_BYTES:
                raise ValidationError(
                    {
                        "bundle": _("This file is larger than a referral bundle may be (%(max)d MB).")
                        % {"max": bundle.MAX_BUNDLE_BYTES // 2**20}
                    }
                )
            return bytes(upload.read())
        staged = self.cleaned_data.get("staged")
        data = staging.staged_bundle(user, staged) if staged else None
        if not data:
            raise ValidationError({"bundle": _("Choose the bundle file the partner sent.")})
        return data


REFUSED = gettext_lazy(
    "This file cannot be imported: it is not a referral bundle for this organisation from a registered and verified "
    "partner, or it was changed on the way. Ask the partner to send it again, and check their fingerprints."
)


@never_cache
@require_http_methods(["GET", "POST"])
def referral_import_view(request: HttpRequest) -> HttpResponse:
    user = user_with_perm(_user(request), rules.IMPORT_REFERRAL)
    form = ImportForm(request.POST or None, request.FILES or None, user=user)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            blob = form.blob(user)
            if request.POST.get("confirm") == "1":
                case = referrals.import_bundle(user, blob, form.cleaned_data["team"])
                if form.cleaned_data.get("staged"):
                    staging.discard_staged(user, form.cleaned_data["staged"])
                messages.success(request, _("The referral was imported as case %(reference)s.") % {"reference": case.reference})
                return redirect("cases:case", case.pk)
            opened = referrals.open_bundle(user, blob)
        except bundle.BundleRefused:
            form.add_error("bundle", REFUSED)
        except DuplicateCheckLimited as exc:  # the preview's duplicate check is counted like any other
            form.add_error("bundle", str(exc))
        except ValidationError as exc:
            apply_errors(form, exc, "bundle")
        else:
            context |= {
                "opened": opened,
                "labels": [bundle.FIELDS[f] for f in opened.contents.fields],
                "staged": staging.stage_bundle(user, blob).pk if not opened.already_imported else None,
                "team": form.cleaned_data["team"],
            }
            return render(request, "transfer/referral_import.html", context)
        return render(request, "transfer/referral_import.html", context, status=400)
    return render(request, "transfer/referral_import.html", context, status=400 if request.method == "POST" else 200)


urlpatterns = [
    path("partners/", partners_view, name="partners"),
    path("partners/new/", partner_new_view, name="partner_new"),
    path("partners/<uuid:pk>/verify/", partner_verify_view, name="partner_verify"),
    path("partners/<uuid:pk>/deactivate/", partner_deactivate_view, name="partner_deactivate"),
    path("cases/<uuid:case_id>/referrals/new/", referral_new_view, name="referral_new"),
    path("referrals/<uuid:pk>/", referral_view, name="referral"),
    path("referrals/<uuid:pk>/approve/", referral_approve_view, name="referral_approve"),
    path("referrals/<uuid:pk>/cancel/", referral_cancel_view, name="referral_cancel"),
    path("referrals/<uuid:pk>/export/", referral_export_view, name="referral_export"),
    path("referrals/import/", referral_import_view, name="referral_import"),
]
