"""The relocation API under /api/v1/relocation/: the same permissions and the same domain
functions as the pages. A missing role is 403; an object of a case one cannot see is 404.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.audit import log as audit
from corridor.cases.models import Person
from corridor.cases.serializers import Text
from corridor.keys.fields import preload_keys
from corridor.relocation import alerts, domain, figures, ranking
from corridor.relocation.access import (
    applications_visible_to,
    contacts_visible_to,
    get_application_for_user,
    get_contact_for_user,
    get_engagement_for_user,
    get_relocation_case,
)
from corridor.relocation.domain import PROGRAMME_FIELDS
from corridor.relocation.models import (
    Application,
    ApplicationStatus,
    ChecklistItemKind,
    ChecklistStatus,
    ContactKind,
    Country,
    Programme,
    Referral,
    RefusalReason,
)


def _need(request: Request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


# -- serializers ------------------------------------------------------------------------------


def _blank_for_null(data: Any, names: tuple[str, ...]) -> Any:
    """Optional text is stored as NULL but declared (and accepted) as a string: answer "" for it."""
    for name in names:
        if data.get(name) is None:
            data[name] = ""
    return data


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_en = serializers.CharField()
    name_ru = serializers.CharField()


class ProgrammeSerializer(serializers.ModelSerializer):
    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all())

    class Meta:
        model = Programme
        fields = ["id", *PROGRAMME_FIELDS]
        read_only_fields = ["id"]


class FiguresSerializer(serializers.Serializer):
    country = serializers.CharField()
    programme = serializers.IntegerField(allow_null=True, help_text="null for the country's totals")
    applications = serializers.IntegerField()
    submitted = serializers.IntegerField()
    grants = serializers.IntegerField()
    refusals = serializers.IntegerField()
    withdrawn = serializers.IntegerField()
    pending = serializers.IntegerField()
    grant_rate = serializers.FloatField(help_text="posterior mean under a Beta(1, 1) prior")
    grant_rate_interval = serializers.ListField(child=serializers.FloatField(), help_text="90% highest-density interval")
    decision_days_median = serializers.FloatField(allow_null=True)
    decision_days_p90 = serializers.FloatField(allow_null=True)
    arrival_days_median = serializers.FloatField(allow_null=True)
    arrival_days_p90 = serializers.FloatField(allow_null=True)
    pending_days_median = serializers.FloatField(allow_null=True)
    pending_days_max = serializers.FloatField(allow_null=True)
    funnel = serializers.DictField(child=serializers.IntegerField())


def _figures_data(f: figures.Figures) -> dict[str, Any]:
    rate = f.rate
    return {
        "country": f.country,
        "programme": None if f.programme == figures.COUNTRY_TOTAL else f.programme,
        "applications": f.applications,
        "submitted": f.submitted,
        "grants": f.grants,
        "refusals": f.refusals,
        "withdrawn": f.withdrawn,
        "pending": f.pending,
        "grant_rate": rate.mean,
        "grant_rate_interval": list(rate.interval),
        "decision_days_median": f.decision_median,
        "decision_days_p90": f.decision_p90,
        "arrival_days_median": f.arrival_median,
        "arrival_days_p90": f.arrival_p90,
        "pending_days_median": f.pending_median,
        "pending_days_max": f.pending_max,
        "funnel": f.funnel,
    }


class EventSerializer(serializers.Serializer):
    old = serializers.CharField()
    status = serializers.CharField()
    happened_on = serializers.DateField()
    by = serializers.CharField(source="by.username", allow_null=True, default=None)
    reason = serializers.CharField(allow_null=True)


class ChecklistItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChecklistItemKind.choices)
    status = serializers.ChoiceField(choices=ChecklistStatus.choices)
    note = Text(allow_null=True, required=False, allow_blank=True, max_length=2000)


class ApplicationSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    case = serializers.UUIDField(source="case_id")
    programme = serializers.IntegerField(source="programme_id")
    channel = serializers.CharField()
    members = serializers.SerializerMethodField()
    status = serializers.CharField()
    last_moved = serializers.DateField()
    refusal_reason = serializers.CharField()
    refusal_text = serializers.CharField(allow_null=True)
    events = EventSerializer(many=True)
    checklist = ChecklistItemSerializer(many=True)

    def get_members(self, obj: Application) -> list[str]:
        return sorted(str(pk) for pk in obj.members.values_list("pk", flat=True))


class ApplicationCreateSerializer(serializers.Serializer):
    programme = serializers.PrimaryKeyRelatedField(queryset=Programme.objects.all())
    channel = Text(max_length=300)
    members = serializers.ListField(child=serializers.UUIDField(), min_length=1)


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    reason = Text(max_length=4000)
    on = serializers.DateField(required=False)
    refusal_reason = serializers.ChoiceField(choices=RefusalReason.choices, required=False, allow_blank=True, default="")
    refusal_text = Text(required=False, allow_blank=True, default="", max_length=8000)


class ProfileSerializer(serializers.Serializer):
    referral = serializers.ChoiceField(choices=[Referral.NONE, Referral.UNHCR, Referral.PARTNER])
    family_ties = serializers.ListField(child=Text(max_length=2), max_length=50)


class RouteSerializer(serializers.Serializer):
    programme = serializers.IntegerField(source="programme.pk")
    country = serializers.CharField(source="programme.country_id")
    rank = serializers.IntegerField(allow_null=True)
    eligible = serializers.BooleanField()
    unmet = serializers.ListField(child=serializers.CharField())
    notes = serializers.ListField(child=serializers.CharField())
    grant_probability = serializers.FloatField()
    interval = serializers.ListField(child=serializers.FloatField())
    decision_days = serializers.FloatField()
    arrival_days = serializers.FloatField()
    expected_days = serializers.FloatField()
    why = serializers.CharField()


class ContactSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    country = serializers.SlugRelatedField(slug_field="code", queryset=Country.objects.all())
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    organisation = Text(max_length=300)
    name = Text(max_length=300)
    details = Text(max_length=4000, allow_blank=True, required=False, default="")

    def to_representation(self, instance: Any) -> Any:
        return _blank_for_null(super().to_representation(instance), ("details",))


class EngagementSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    contact = serializers.UUIDField(source="contact_id", read_only=True)
    programme = serializers.PrimaryKeyRelatedField(queryset=Programme.objects.all(), allow_null=True, required=False, default=None)
    on = serializers.DateField(source="happened_on", required=False)
    asked = Text(max_length=8000)
    response = Text(max_length=8000, allow_blank=True, required=False, default="")
    next_step = Text(max_length=2000, allow_blank=True, required=False, default="")
    next_due = serializers.DateField(allow_null=True, required=False, default=None)
    done = serializers.DateTimeField(read_only=True, allow_null=True)

    def to_representation(self, instance: Any) -> Any:
        return _blank_for_null(super().to_representation(instance), ("response", "next_step"))


class AlertSerializer(serializers.Serializer):
    kind = serializers.CharField()
    message = serializers.CharField()
    url = serializers.CharField()
    since = serializers.DateField(allow_null=True)
    object_id = serializers.CharField()


# -- views ----------------------------------------------------------------------------------------


class CountryList(APIView):
    @extend_schema(responses=CountrySerializer(many=True), summary="Countries (ISO 3166-1) with English and Russian names")
    def get(self, request: Request) -> Response:
        _need(request, "relocation.view_programmes")
        return Response(CountrySerializer(Country.objects.all(), many=True).data)


class ProgrammeList(APIView):
    @extend_schema(responses=ProgrammeSerializer(many=True), summary="Programmes")
    def get(self, request: Request) -> Response:
        _need(request, "relocation.view_programmes")
        return Response(ProgrammeSerializer(Programme.objects.select_related("country"), many=True).data)

    @extend_schema(request=ProgrammeSerializer, responses={201: ProgrammeSerializer}, summary="Add a programme")
    def post(self, request: Request) -> Response:
        _need(request, "relocation.manage_programmes")
        serializer = ProgrammeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        programme = domain.create_programme(request.user, **serializer.validated_data)
        return Response(ProgrammeSerializer(programme).data, status=status.HTTP_201_CREATED)


class ProgrammeDetail(APIView):
    @extend_schema(responses=ProgrammeSerializer, summary="One programme")
    def get(self, request: Request, pk: int) -> Response:
        _need(request, "relocation.view_programmes")
        return Response(ProgrammeSerializer(get_object_or_404(Programme, pk=pk)).data)

    @extend_schema(request=ProgrammeSerializer, responses=ProgrammeSerializer, summary="Change a programme")
    def patch(self, request: Request, pk: int) -> Response:
        _need(request, "relocation.manage_programmes")
        programme = get_object_or_404(Programme, pk=pk)
        serializer = ProgrammeSerializer(programme, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        domain.update_programme(request.user, programme, **serializer.validated_data)
        return Response(ProgrammeSerializer(programme).data)


class FiguresList(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("country", str, many=True, description="ISO codes; all countries when absent")],
        responses=FiguresSerializer(many=True),
        summary="Figures per country and programme, computed from our own applications",
    )
    def get(self, request: Request) -> Response:
        _need(request, "relocation.view_programmes")
        codes = [code.upper()[:2] for code in request.query_params.getlist("country")]
        figs = figures.compute(codes or None, viewer=request.user)
        return Response(FiguresSerializer([_figures_data(f) for f in figs.values()], many=True).data)


def _application_data(application: Application) -> dict[str, Any]:
    events = list(application.events.select_related("by"))
    checklist = list(application.checklist.all())
    for row in [*events, *checklist]:
        row.application = application
    application._prefetched_events = events  # type: ignore[attr-defined]
    data = ApplicationSerializer(application).data
    data["events"] = EventSerializer(events, many=True).data
    data["checklist"] = ChecklistItemSerializer(checklist, many=True).data
    return dict(data)


class CaseApplications(APIView):
    @extend_schema(responses=ApplicationSerializer(many=True), summary="Applications of a case")
    def get(self, request: Request, case_id: str) -> Response:
        _need(request, "relocation.view_applications")
        case = get_relocation_case(request.user, case_id)
        applications = list(applications_visible_to(request.user).filter(case=case).select_related("programme"))
        for application in applications:
            application.case = case
        audit.record_read(request.user, case)
        return Response([_application_data(a) for a in applications])

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer}, summary="Open an application")
    def post(self, request: Request, case_id: str) -> Response:
        _need(request, "relocation.manage_applications")
        case = get_relocation_case(request.user, case_id)
        serializer = ApplicationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        members = list(Person.objects.filter(pk__in=data["members"]))
        if len(members) != len(set(data["members"])):
            raise serializers.ValidationError({"members": ["Only people on this case can be included."]})
        application = domain.create_application(request.user, case, data["programme"], channel=data["channel"], members=members)
        return Response(_application_data(application), status=status.HTTP_201_CREATED)


class ApplicationDetail(APIView):
    @extend_schema(responses=ApplicationSerializer, summary="One application with its history and checklist")
    def get(self, request: Request, pk: str) -> Response:
        application = get_application_for_user(request.user, pk)
        audit.record_read(request.user, application)
        return Response(_application_data(application))


class ApplicationTransition(APIView):
    @extend_schema(request=TransitionSerializer, responses={201: EventSerializer}, summary="Move an application to a new status")
    def post(self, request: Request, pk: str) -> Response:
        application = get_application_for_user(request.user, pk)
        _need(request, "relocation.manage_applications")
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        event = domain.transition_application(
            request.user,
            application,
            data["status"],
            reason=data["reason"],
            on=data.get("on"),
            refusal_reason=data["refusal_reason"],
            refusal_text=data["refusal_text"],
        )
        return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


class ApplicationChecklist(APIView):
    @extend_schema(request=ChecklistItemSerializer, responses=ChecklistItemSerializer, summary="Set one checklist item")
    def post(self, request: Request, pk: str) -> Response:
        application = get_application_for_user(request.user, pk)
        _need(request, "relocation.manage_applications")
        serializer = ChecklistItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = domain.set_checklist_item(request.user, application, data["kind"], data["status"], data.get("note") or "")
        return Response(ChecklistItemSerializer(item).data)


class CaseProfile(APIView):
    @extend_schema(responses=ProfileSerializer, summary="A case's referral and family ties")
    def get(self, request: Request, case_id: str) -> Response:
        case = get_relocation_case(request.user, case_id)
        profile = domain.profile_for(case)
        audit.record_read(request.user, case)
        return Response({"referral": profile.referral or Referral.NONE, "family_ties": profile.family_ties or []})

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer, summary="Set a case's referral and family ties")
    def put(self, request: Request, case_id: str) -> Response:
        case = get_relocation_case(request.user, case_id)
        _need(request, "relocation.manage_applications")
        serializer = ProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = domain.set_profile(request.user, case, **serializer.validated_data)
        return Response({"referral": profile.referral, "family_ties": profile.family_ties})


class CaseRoutes(APIView):
    @extend_schema(responses=RouteSerializer(many=True), summary="Open programmes for a case: eligibility and ranking")
    def get(self, request: Request, case_id: str) -> Response:
        case = get_relocation_case(request.user, case_id)
        routes = ranking.rank_routes(case, viewer=request.user)
        audit.record_read(request.user, case)
        return Response(RouteSerializer(routes, many=True).data)


class ContactList(APIView):
    @extend_schema(responses=ContactSerializer(many=True), summary="Contacts at embassies, ministries, UNHCR and partners")
    def get(self, request: Request) -> Response:
        _need(request, "relocation.view_engagements")
        contacts = list(contacts_visible_to(request.user).select_related("data_key", "country"))
        preload_keys(contacts)
        audit.record(actor=request.user, action="contact.list", obj=None)
        return Response(ContactSerializer(contacts, many=True).data)

    @extend_schema(request=ContactSerializer, responses={201: ContactSerializer}, summary="Add a contact")
    def post(self, request: Request) -> Response:
        _need(request, "relocation.manage_engagements")
        serializer = ContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = domain.create_contact(request.user, **serializer.validated_data)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactDetail(APIView):
    @extend_schema(responses=ContactSerializer, summary="One contact")
    def get(self, request: Request, pk: str) -> Response:
        _need(request, "relocation.view_engagements")
        contact = get_contact_for_user(request.user, pk)
        audit.record_read(request.user, contact)
        return Response(ContactSerializer(contact).data)


class ContactEngagements(APIView):
    @extend_schema(responses=EngagementSerializer(many=True), summary="The approaches to a contact")
    def get(self, request: Request, pk: str) -> Response:
        _need(request, "relocation.view_engagements")
        contact = get_contact_for_user(request.user, pk)
        engagements = list(contact.engagements.all())
        for engagement in engagements:
            engagement.contact = contact
        audit.record_read(request.user, contact)
        return Response(EngagementSerializer(engagements, many=True).data)

    @extend_schema(request=EngagementSerializer, responses={201: EngagementSerializer}, summary="Record an approach")
    def post(self, request: Request, pk: str) -> Response:
        _need(request, "relocation.manage_engagements")
        contact = get_contact_for_user(request.user, pk)
        serializer = EngagementSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["on"] = data.pop("happened_on", None)
        engagement = domain.log_engagement(request.user, contact, **data)
        return Response(EngagementSerializer(engagement).data, status=status.HTTP_201_CREATED)


class EngagementClose(APIView):
    @extend_schema(request=None, responses=EngagementSerializer, summary="Mark an approach's next step done")
    def post(self, request: Request, pk: str) -> Response:
        _need(request, "relocation.manage_engagements")
        engagement = get_engagement_for_user(request.user, pk)
        domain.close_commitment(request.user, engagement)
        return Response(EngagementSerializer(engagement).data)


class AlertList(APIView):
    @extend_schema(responses=AlertSerializer(many=True), summary="What needs attention in relocation work")
    def get(self, request: Request) -> Response:
        if not (request.user.has_perm("relocation.view_applications") or request.user.has_perm("relocation.view_engagements")):
            raise PermissionDenied
        return Response(AlertSerializer(alerts.alerts_for(request.user), many=True).data)
