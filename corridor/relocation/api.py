"""The relocation API under /api/v1/relocation/: the same permissions and the same domain
functions as the pages. A missing role is 403; an object of a case one cannot see is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.audit import log as audit
from corridor.cases.serializers import Text
from corridor.keys.fields import preload_keys
from corridor.relocation import domain, figures, ranking, stats
from corridor.relocation.access import (
    NotPermitted,
    applications_of_case,
    contacts_for_user,
    countries_for_user,
    figures_for_user,
    get_application_for_user,
    get_contact_for_user,
    get_engagement_for_user,
    get_programme_for_user,
    get_relocation_case,
    permit,
    programmes_for_user,
)
from corridor.relocation.alerts import alerts_for_user
from corridor.relocation.audit_names import RelocationAudit
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
from corridor.relocation.queries import application_history
from corridor.relocation.rules import MANAGE_APPLICATIONS, MANAGE_ENGAGEMENTS, MANAGE_PROGRAMMES

F = TypeVar("F", bound=Callable[..., Any])


def documented(**schema: Any) -> Callable[[F], F]:
    """drf-spectacular's extend_schema with its type said: the library is not type-checked here
    (follow_imports = skip), and the decorator returns the view method it was given."""
    decorator: Callable[[F], F] = extend_schema(**schema)
    return decorator


class RelocationView(APIView):
    # Every relocation endpoint: a role without the permission (NotPermitted) answers 403. The
    # access helpers raise NotPermitted, a 404, so pages look the same for it as for a missing
    # object; the API's schema promises 403 for "your role may not do this". (A comment, not a
    # docstring: drf-spectacular would print a docstring as every operation's description.)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, NotPermitted):
            exc = exceptions.PermissionDenied()
        return super().handle_exception(exc)


def _write(
    request: Request,
    serializer_class: type[serializers.Serializer],
    action: Callable[[dict[str, Any]], Any],
    answer: Callable[[Any], Any] | None = None,
    *,
    created: bool = False,
    instance: Any = None,
) -> Response:
    """The one shape of a write: parse the body, call one action, answer what it made or changed
    (by default as `serializer_class` shows it).

    The action's ValidationError is a 400 with its fields, its Conflict a 409 and its
    PermissionDenied a 403 (corridor/api/errors.py).
    """
    serializer = serializer_class(instance, data=request.data, partial=instance is not None)
    serializer.is_valid(raise_exception=True)
    result = action(dict(serializer.validated_data))
    body = answer(result) if answer is not None else serializer_class(result).data
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


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
    enough_for_rate = serializers.BooleanField(
        help_text=f"false below {stats.MIN_DECISIONS_FOR_RATE} decisions: the rate then rests on too little data to be stated"
    )
    enough_for_times = serializers.BooleanField(
        help_text=f"false below {stats.MIN_DURATIONS} decisions: the decision durations are then one or two applications' own"
    )
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
        "enough_for_rate": rate.enough,
        "enough_for_times": f.decision_times_known,
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
    on = serializers.DateField(
        required=False,
        help_text="The day work on the application began (today when absent); past dates record one already under way, "
        "never a future one. Later steps cannot be dated before it.",
    )


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    reason = Text(max_length=4000)
    on = serializers.DateField(
        required=False,
        help_text="When it happened (today when absent): a past date is fine, a future one is refused, and it cannot be "
        "before the application's previous step.",
    )
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
    enough_for_rate = serializers.BooleanField(
        help_text=f"false below {stats.MIN_DECISIONS_FOR_RATE} decisions: grant_probability then rests on too little data"
    )
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
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.all(), allow_null=True, required=False, default=None
    )
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


class CountryList(RelocationView):
    @documented(responses=CountrySerializer(many=True), summary="Countries (ISO 3166-1) with English and Russian names")
    def get(self, request: Request) -> Response:
        return Response(CountrySerializer(countries_for_user(request.user), many=True).data)


class ProgrammeList(RelocationView):
    @documented(responses=ProgrammeSerializer(many=True), summary="Programmes")
    def get(self, request: Request) -> Response:
        return Response(ProgrammeSerializer(programmes_for_user(request.user), many=True).data)

    @documented(request=ProgrammeSerializer, responses={201: ProgrammeSerializer}, summary="Add a programme")
    def post(self, request: Request) -> Response:
        user = permit(request.user, MANAGE_PROGRAMMES)
        return _write(request, ProgrammeSerializer, lambda data: domain.create_programme(user, **data), created=True)


class ProgrammeDetail(RelocationView):
    @documented(responses=ProgrammeSerializer, summary="One programme")
    def get(self, request: Request, pk: int) -> Response:
        return Response(ProgrammeSerializer(get_programme_for_user(request.user, pk)).data)

    @documented(request=ProgrammeSerializer, responses=ProgrammeSerializer, summary="Change a programme")
    def patch(self, request: Request, pk: int) -> Response:
        programme = get_programme_for_user(request.user, pk, MANAGE_PROGRAMMES)
        return _write(
            request,
            ProgrammeSerializer,
            lambda data: domain.update_programme(request.user, programme, **data),
            instance=programme,
        )


class FiguresList(RelocationView):
    @documented(
        parameters=[OpenApiParameter("country", str, many=True, description="ISO codes; all countries when absent")],
        responses=FiguresSerializer(many=True),
        summary="Figures per country and programme, computed from our own applications",
    )
    def get(self, request: Request) -> Response:
        codes = [code.upper()[:2] for code in request.query_params.getlist("country")]
        figs = figures_for_user(request.user, codes or None)
        return Response(FiguresSerializer([_figures_data(f) for f in figs.values()], many=True).data)


def _application_data(application: Application) -> dict[str, Any]:
    events, checklist = application_history(application)
    data = ApplicationSerializer(application).data
    data["events"] = EventSerializer(events, many=True).data
    data["checklist"] = ChecklistItemSerializer(checklist, many=True).data
    return dict(data)


class CaseApplications(RelocationView):
    @documented(responses=ApplicationSerializer(many=True), summary="Applications of a case")
    def get(self, request: Request, case_id: str) -> Response:
        case, found = applications_of_case(request.user, case_id)
        applications = list(found.select_related("programme"))
        for application in applications:
            application.case = case
        audit.record_read(request.user, case)
        return Response([_application_data(a) for a in applications])

    @documented(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer}, summary="Open an application")
    def post(self, request: Request, case_id: str) -> Response:
        case, _applications = applications_of_case(request.user, case_id, MANAGE_APPLICATIONS)
        return _write(
            request,
            ApplicationCreateSerializer,
            lambda data: domain.create_application(
                request.user, case, data["programme"], channel=data["channel"], members=data["members"], on=data.get("on")
            ),
            _application_data,
            created=True,
        )


class ApplicationDetail(RelocationView):
    @documented(responses=ApplicationSerializer, summary="One application with its history and checklist")
    def get(self, request: Request, pk: str) -> Response:
        application = get_application_for_user(request.user, pk)
        audit.record_read(request.user, application)
        return Response(_application_data(application))


class ApplicationTransition(RelocationView):
    @documented(request=TransitionSerializer, responses={201: EventSerializer}, summary="Move an application to a new status")
    def post(self, request: Request, pk: str) -> Response:
        application = get_application_for_user(request.user, pk, MANAGE_APPLICATIONS)
        return _write(
            request,
            TransitionSerializer,
            lambda data: domain.transition_application(
                request.user,
                application,
                data["status"],
                reason=data["reason"],
                on=data.get("on"),
                refusal_reason=data["refusal_reason"],
                refusal_text=data["refusal_text"],
            ),
            lambda event: EventSerializer(event).data,
            created=True,
        )


class ApplicationChecklist(RelocationView):
    @documented(request=ChecklistItemSerializer, responses=ChecklistItemSerializer, summary="Set one checklist item")
    def post(self, request: Request, pk: str) -> Response:
        application = get_application_for_user(request.user, pk, MANAGE_APPLICATIONS)
        return _write(
            request,
            ChecklistItemSerializer,
            lambda data: domain.set_checklist_item(
                request.user, application, data["kind"], data["status"], data.get("note") or ""
            ),
        )


class CaseProfile(RelocationView):
    @documented(responses=ProfileSerializer, summary="A case's referral and family ties")
    def get(self, request: Request, case_id: str) -> Response:
        case = get_relocation_case(request.user, case_id)
        profile = domain.profile_for(case)
        audit.record_read(request.user, case)
        return Response({"referral": profile.referral or Referral.NONE, "family_ties": profile.family_ties or []})

    @documented(request=ProfileSerializer, responses=ProfileSerializer, summary="Set a case's referral and family ties")
    def put(self, request: Request, case_id: str) -> Response:
        case = get_relocation_case(request.user, case_id, MANAGE_APPLICATIONS)
        return _write(
            request,
            ProfileSerializer,
            lambda data: domain.set_profile(request.user, case, **data),
            lambda profile: {"referral": profile.referral, "family_ties": profile.family_ties},
        )


class CaseRoutes(RelocationView):
    @documented(responses=RouteSerializer(many=True), summary="Open programmes for a case: eligibility and ranking")
    def get(self, request: Request, case_id: str) -> Response:
        case = get_relocation_case(request.user, case_id)
        routes = ranking.rank_routes(case, viewer=request.user)
        audit.record_read(request.user, case)
        return Response(RouteSerializer(routes, many=True).data)


class ContactList(RelocationView):
    @documented(responses=ContactSerializer(many=True), summary="Contacts at embassies, ministries, UNHCR and partners")
    def get(self, request: Request) -> Response:
        contacts = list(contacts_for_user(request.user).select_related("data_key", "country"))
        preload_keys(contacts)
        audit.record(actor=request.user, action=RelocationAudit.CONTACT_LIST, obj=None)
        return Response(ContactSerializer(contacts, many=True).data)

    @documented(request=ContactSerializer, responses={201: ContactSerializer}, summary="Add a contact")
    def post(self, request: Request) -> Response:
        user = permit(request.user, MANAGE_ENGAGEMENTS)
        return _write(request, ContactSerializer, lambda data: domain.create_contact(user, **data), created=True)


class ContactDetail(RelocationView):
    @documented(responses=ContactSerializer, summary="One contact")
    def get(self, request: Request, pk: str) -> Response:
        contact = get_contact_for_user(request.user, pk)
        audit.record_read(request.user, contact)
        return Response(ContactSerializer(contact).data)


def _engagement_values(data: dict[str, Any]) -> dict[str, Any]:
    """The serializer's `on` is the model's happened_on; the action takes it as `on`."""
    return {("on" if name == "happened_on" else name): value for name, value in data.items()}


class ContactEngagements(RelocationView):
    @documented(responses=EngagementSerializer(many=True), summary="The approaches to a contact")
    def get(self, request: Request, pk: str) -> Response:
        contact = get_contact_for_user(request.user, pk)
        engagements = list(contact.engagements.all())
        for engagement in engagements:
            engagement.contact = contact
        audit.record_read(request.user, contact)
        return Response(EngagementSerializer(engagements, many=True).data)

    @documented(request=EngagementSerializer, responses={201: EngagementSerializer}, summary="Record an approach")
    def post(self, request: Request, pk: str) -> Response:
        contact = get_contact_for_user(request.user, pk, MANAGE_ENGAGEMENTS)
        return _write(
            request,
            EngagementSerializer,
            lambda data: domain.log_engagement(request.user, contact, **_engagement_values(data)),
            created=True,
        )


class EngagementClose(RelocationView):
    @documented(request=None, responses=EngagementSerializer, summary="Mark an approach's next step done")
    def post(self, request: Request, pk: str) -> Response:
        engagement = get_engagement_for_user(request.user, pk, MANAGE_ENGAGEMENTS)
        return Response(EngagementSerializer(domain.close_commitment(request.user, engagement)).data)


class AlertList(RelocationView):
    @documented(responses=AlertSerializer(many=True), summary="What needs attention in relocation work")
    def get(self, request: Request) -> Response:
        return Response(AlertSerializer(alerts_for_user(request.user), many=True).data)
