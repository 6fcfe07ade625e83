"""The referral API under /api/v1/transfer/: partners and their fingerprints, a case's referrals,
preparing and cancelling one. Approval and export are not offered here: approval needs a second
person who has just confirmed their password and second factor (step-up), and the export is a
file downloaded once; only the pages ask for the one and hand out the other. Importing a bundle
(a file, previewed before anything is created) is a page too. A role without the permission
answers 403; a case or referral one cannot see, 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.cases.access import cases_visible_to, get_case_for_user, get_visible, user_with_perm
from corridor.cases.models import Document
from corridor.transfer import partners as partner_keys
from corridor.transfer import referrals as bundle
from corridor.transfer import rules
from corridor.transfer.domain import referrals as actions
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
