"""The referral API under /api/v1/transfer/: partners and their fingerprints, a case's referrals,
preparing, approving and cancelling one, and importing a bundle a partner sent.

Approval is by a second person, never the one who prepared it, and like the page it needs a
password and second factor confirmed in the last few minutes (step-up): only a signed-in
session carries that, so an API token alone is refused with 403 `step_up_required`. The export
(a file downloaded once) stays on the referral's page. An import is two calls, as on the page:
upload the bundle (checked, decrypted, previewed, and kept server-side under its own key for an
hour) and get a staged id, then confirm that id, which only its uploader can. A role without
the permission answers 403; a case, referral or staged bundle one cannot see, 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.accounts import api_auth
from corridor.accounts.models import Team
from corridor.cases.access import cases_visible_to, get_case_for_user, get_visible, user_with_perm
from corridor.cases.domain.duplicates import DuplicateCheckLimited
from corridor.cases.models import Document
from corridor.transfer import partners as partner_keys
from corridor.transfer import referrals as bundle
from corridor.transfer import rules
from corridor.transfer.domain import referrals as actions
from corridor.transfer.domain import staging
from corridor.transfer.models import Partner, Referral, ReferralStatus

F = TypeVar("F", bound=Callable[..., Any])


def documented(**schema: Any) -> Callable[[F], F]:
    """drf-spectacular's extend_schema with its type said (the library is not type-checked)."""
    decorator: Callable[[F], F] = extend_schema(**schema)
    return decorator


class PartnerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    active = serializers.BooleanField()
    verified = serializers.DateTimeField(allow_null=True)
    age_recipient = serializers.CharField()
    age_fingerprint = serializers.CharField()
    signing_key = serializers.CharField()
    signing_fingerprint = serializers.CharField()


def _partner_data(partner: Partner) -> dict[str, Any]:
    return {
        "id": partner.pk,
        "name": partner.name,
        "active": partner.active,
        "verified": partner.verified,
        "age_recipient": partner.age_recipient,
        "age_fingerprint": partner_keys.recipient_fingerprint(partner),
        "signing_key": partner.signing_key,
        "signing_fingerprint": partner_keys.signing_fingerprint(partner),
    }


class ReferralSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = serializers.UUIDField(source="case_id")
    partner = serializers.UUIDField(source="partner_id")
    include = serializers.ListField(
        source="fields", child=serializers.ChoiceField(choices=list(bundle.FIELDS)), help_text="what is sent"
    )
    documents = serializers.ListField(child=serializers.UUIDField())
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    prepared = serializers.DateTimeField()
    approved = serializers.DateTimeField(allow_null=True)
    exported = serializers.DateTimeField(allow_null=True)
    bundle_sha256 = serializers.CharField(help_text="SHA-256 of the exported file, for the partner to compare; empty before")


class PrepareSerializer(serializers.Serializer):
    partner = serializers.UUIDField()
    include = serializers.ListField(
        child=serializers.ChoiceField(choices=list(bundle.FIELDS)),
        default=list(bundle.DEFAULT_FIELDS),
        allow_empty=False,
        max_length=len(bundle.FIELDS),
        help_text="what to send; the minimum by default (names, contact channels, needs)",
    )
    documents = serializers.ListField(child=serializers.UUIDField(), default=list, max_length=50)


class EmptySerializer(serializers.Serializer):
    pass


class PartnerList(APIView):
    @documented(responses=PartnerSerializer(many=True), summary="Partner organisations and their key fingerprints")
    def get(self, request: Request) -> Response:
        if not request.user.has_perm(rules.VIEW_PARTNERS):
            raise exceptions.PermissionDenied  # a list with no id: 403, as declared, not a 404
        return Response(PartnerSerializer([_partner_data(p) for p in Partner.objects.all()], many=True).data)


class CaseReferrals(APIView):
    @documented(responses=ReferralSerializer(many=True), summary="A case's referrals to partners")
    def get(self, request: Request, case_id: str) -> Response:
        user = user_with_perm(request.user, rules.PREPARE_REFERRAL)
        case = get_case_for_user(user, case_id, rules.PREPARE_REFERRAL)
        return Response(ReferralSerializer(Referral.objects.filter(case=case), many=True).data)

    @documented(
        request=PrepareSerializer,
        responses={201: ReferralSerializer},
        summary="Prepare a referral (someone else approves it, and it is exported, on the referral's page)",
    )
    def post(self, request: Request, case_id: str) -> Response:
        user = user_with_perm(request.user, rules.PREPARE_REFERRAL)
        case = get_case_for_user(user, case_id, rules.PREPARE_REFERRAL)
        given = PrepareSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        partner = Partner.objects.filter(pk=given.validated_data["partner"], active=True, verified__isnull=False).first()
        if partner is None:
            raise serializers.ValidationError({"partner": ["No active, verified partner has this id."]})
        wanted = {str(pk) for pk in given.validated_data["documents"]}
        documents = list(Document.objects.filter(case=case, pk__in=wanted))
        if len(documents) != len(wanted):
            raise serializers.ValidationError({"documents": ["A chosen document is not on this case."]})
        made = actions.prepare_referral(user, case, partner, given.validated_data["include"], documents)
        return Response(ReferralSerializer(made).data, status=status.HTTP_201_CREATED)


def _referral_for(user: Any, pk: str) -> Referral:
    visible = Referral.objects.filter(case__in=cases_visible_to(user))
    return get_visible(user, visible, pk, rules.PREPARE_REFERRAL)


class ReferralDetail(APIView):
    @documented(responses=ReferralSerializer, summary="One referral")
    def get(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, rules.PREPARE_REFERRAL)
        return Response(ReferralSerializer(_referral_for(user, pk)).data)


class ReferralCancel(APIView):
    @documented(request=EmptySerializer, responses=ReferralSerializer, summary="Cancel a referral not yet exported")
    def post(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, rules.PREPARE_REFERRAL)
        cancelled = actions.cancel_referral(user, _referral_for(user, pk))
        return Response(ReferralSerializer(cancelled).data)



class ReferralApprove(APIView):
    @documented(
        request=EmptySerializer,
        responses=ReferralSerializer,
        summary="Approve a referral (a second person, never who prepared it; needs a recent step-up in a signed-in session)",
    )
    def post(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, rules.APPROVE_REFERRAL)
        referral = _referral_for_perm(user, pk, rules.APPROVE_REFERRAL)
        api_auth.require_step_up(request)
        try:
            approved = actions.approve_referral(user, referral)
        except PermissionDenied as exc:  # the preparer: said why, not a bare 403
            raise exceptions.PermissionDenied(str(exc) or None) from None
        return Response(ReferralSerializer(approved).data)


def _referral_for_perm(user: Any, pk: str, perm: str) -> Referral:
    visible = Referral.objects.filter(case__in=cases_visible_to(user)).select_related("case", "partner")
    return get_visible(user, visible, pk, perm)


# -- referrals in --------------------------------------------------------------------------


class ReferralUploadSerializer(serializers.Serializer):
    bundle = serializers.FileField(help_text="the .corridor file the partner sent, up to 10 MB")


class ReferralDuplicateSerializer(serializers.Serializer):
    person = serializers.UUIDField()
    codename = serializers.CharField()
    reason = serializers.CharField()


class ReferralImportPreviewSerializer(serializers.Serializer):
    staged = serializers.UUIDField(
        allow_null=True, help_text="confirm this id to import; null when the bundle was imported already"
    )
    sender = serializers.UUIDField(help_text="the partner whose registered key signed the bundle")
    sender_name = serializers.CharField()
    created = serializers.DateTimeField(help_text="when the partner made the bundle")
    bundle_sha256 = serializers.CharField()
    include = serializers.ListField(child=serializers.CharField(), help_text="what the partner sent")
    names = serializers.ListField(child=serializers.CharField())
    needs = serializers.ListField(child=serializers.CharField(), help_text="the kinds of need sent")
    documents = serializers.IntegerField(help_text="how many documents the bundle holds")
    duplicates = ReferralDuplicateSerializer(many=True, help_text="people in your cases who resemble this one")
    already_imported = serializers.BooleanField()


class ReferralImportConfirmSerializer(serializers.Serializer):
    team = serializers.IntegerField(help_text="your team that takes the case")


class ReferralImportedSerializer(serializers.Serializer):
    case = serializers.UUIDField()
    reference = serializers.CharField()


def _refusal(exc: bundle.BundleRefused) -> str:
    """Why a bundle was refused, said for people (the domain's reason is for the audit log)."""
    reason = str(exc)
    if "signed" in reason:
        return _("It is not signed by a registered and verified partner, or it was changed on the way.")
    if "this instance" in reason or "made for another organisation" in reason:
        return _("It was made for another organisation: this instance cannot open it.")
    return _("It is not a referral bundle, or it is damaged.")


def _strings(entries: Any, key: str) -> list[str]:
    """`key` of each entry of a list of objects in a bundle (checked on import, not trusted here)."""
    if not isinstance(entries, list):
        return []
    return [str(entry[key]) for entry in entries if isinstance(entry, dict) and entry.get(key)]


def _opened_or_400(open_it: Callable[[], Any]) -> Any:
    try:
        return open_it()
    except bundle.BundleRefused as exc:
        raise serializers.ValidationError({"bundle": [_refusal(exc)]}) from None
    except DuplicateCheckLimited as exc:
        raise exceptions.Throttled(detail=str(exc)) from None


class ReferralImport(APIView):
    parser_classes = [MultiPartParser]

    @documented(
        request={"multipart/form-data": ReferralUploadSerializer},
        responses={201: ReferralImportPreviewSerializer},
        summary="Check and preview a referral bundle; nothing is created until its staged id is confirmed",
    )
    def post(self, request: Request) -> Response:
        if not request.user.has_perm(rules.IMPORT_REFERRAL):
            raise exceptions.PermissionDenied  # no id in the address: 403, as declared, not a 404
        user = user_with_perm(request.user, rules.IMPORT_REFERRAL)
        given = ReferralUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data["bundle"]
        if upload.size > bundle.MAX_BUNDLE_BYTES:
            raise serializers.ValidationError(
                {
                    "bundle": [
                        _("This file is larger than a referral bundle may be (%(max)d MB).")
                        % {"max": bundle.MAX_BUNDLE_BYTES // 2**20}
                    ]
                }
            )
        blob = bytes(upload.read())
        opened = _opened_or_400(lambda: actions.open_bundle(user, blob))
        staged = None if opened.already_imported else staging.stage_bundle(user, blob).pk
        preview = {
            "staged": staged,
            "sender": opened.sender.pk,
            "sender_name": opened.sender.name,
            "created": opened.contents.created,
            "bundle_sha256": opened.sha256,
            "include": opened.contents.fields,
            "names": _strings(opened.contents.person.get("names"), "name"),
            "needs": _strings(opened.contents.case.get("needs"), "kind"),
            "documents": len(opened.contents.documents),
            "duplicates": [{"person": d.person.pk, "codename": d.person.codename, "reason": d.reason} for d in opened.duplicates],
            "already_imported": opened.already_imported,
        }
        return Response(ReferralImportPreviewSerializer(preview).data, status=status.HTTP_201_CREATED)


class ReferralImportConfirm(APIView):
    @documented(
        request=ReferralImportConfirmSerializer,
        responses={201: ReferralImportedSerializer},
        summary="Import a bundle you previewed (its staged id) as a new case in one of your teams",
    )
    def post(self, request: Request, staged: str) -> Response:
        user = user_with_perm(request.user, rules.IMPORT_REFERRAL)
        blob = staging.staged_bundle(user, staged)
        if blob is None:  # someone else's, expired, imported already, or no such id
            raise exceptions.NotFound
        given = ReferralImportConfirmSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        team = Team.objects.filter(pk=given.validated_data["team"], members=user).first()
        if team is None:
            raise serializers.ValidationError({"team": [_("You are not a member of this team.")]})
        case = _opened_or_400(lambda: actions.import_bundle(user, blob, team))
        staging.discard_staged(user, staged)
        return Response({"case": case.pk, "reference": case.reference}, status=status.HTTP_201_CREATED)
