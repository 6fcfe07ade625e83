"""REST API for people, cases, their sub-records and safe houses (/api/v1/).

Same rules as the pages: objects only through access.py, fetched for the permission the
endpoint needs (404 for missing and not-yours alike, 403 for a visible object the role may
not change), writes only through domain actions, and every read of sensitive data audited.
Endpoints parse, call one action, and serialize what it returns (`CaseWorkViewSet.respond`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from django.db import models
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from corridor.accounts.models import Team, User
from corridor.audit import log as audit
from corridor.cases import access, domain, queries
from corridor.cases import serializers as s
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import (
    Case,
    Consent,
    DatePrecision,
    Need,
    Note,
    Person,
    Placement,
    RiskAssessment,
    SafeHouse,
    Task,
    Verification,
)

# -- shared pieces ----------------------------------------------------------------------------


def _responses(ok: Any, ok_status: int = 200, **extra: Any) -> dict[int, Any]:
    # The common error answers (400, 401, 403, 404, 415, 429, 503) are declared for every
    # operation at once by corridor.api.schema.declare_error_answers.
    return {ok_status: ok, **{int(code.lstrip("_")): value for code, value in extra.items()}}


CASE_ID = OpenApiParameter("case_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The case's id.")


class CanWorkCases(permissions.BasePermission):
    """Only case roles reach these endpoints at all; admins and auditors get 403."""

    message = gettext_lazy("Your role does not work with cases.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user is not None and user.is_authenticated and user.has_perm("cases.view_case"))


T = TypeVar("T")


def _field_error(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


class Pages(PageNumberPagination):
    page_size = 50


class CaseWorkViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated, CanWorkCases]
    pagination_class: type[PageNumberPagination] | None = None
    # Object ids in URLs are UUIDs; anything else is simply not found (access._pk).
    lookup_value_regex = "[^/]+"

    @property
    def user(self) -> User:
        return cast(User, self.request.user)  # IsAuthenticated ran first: a signed-in User

    def handle_exception(self, exc: Exception) -> Response:
        # The access helpers refuse a visible object the role may not use with NotPermitted, a
        # 404 for pages; here the caller already knows the object, and the schema says 403.
        if isinstance(exc, access.NotPermitted):
            exc = exceptions.PermissionDenied(_("Your role may not change this."))
        return super().handle_exception(exc)

    def respond(
        self,
        serializer_class: type[serializers.Serializer],
        action: Callable[[dict[str, Any]], T],
        answer: Callable[[T], Any] | None = None,
        *,
        code: int = status.HTTP_200_OK,
        partial: bool = False,
    ) -> Response:
        """The one shape of a write: parse the body, run the action, answer what it returned.

        `answer` turns the result into the body (by default `serializer_class` serializes it).
        The action's refusals become 400 (403, 409) through corridor/api/errors.py.
        """
        result = action(self.parse(serializer_class, partial=partial))
        body = answer(result) if answer is not None else serializer_class(result).data
        return Response(body, status=code)

    def created(
        self,
        serializer_class: type[serializers.Serializer],
        action: Callable[[dict[str, Any]], T],
        answer: Callable[[T], Any] | None = None,
    ) -> Response:
        """respond() for a create endpoint: 201 with the new object."""
        return self.respond(serializer_class, action, answer, code=status.HTTP_201_CREATED)

    def parse(self, serializer_class: type[serializers.Serializer], data: Any = None, **kwargs: Any) -> dict[str, Any]:
        if isinstance(data, QueryDict):
            # As plain values: DRF skips an empty `?status=` in a QueryDict, which the schema refuses.
            data = data.dict()
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


def _person_for_new_case(user: User, person_id: Any, field: str) -> Person:
    """A person the user may put on a new case: visible to them, or created by them and on no case yet.

    POST /people/ now always puts the new person on a case (a team's new one, or the one given),
    so they are visible; people it entered on no case before that rule are still reached here by
    their creator, to give them a case. Anyone else's unattached person stays out of reach. The
    answer for both is the same 400.
    """
    try:
        return access.get_person_for_user(user, person_id)
    except Http404:
        pass
    person = Person.objects.filter(pk=person_id, erased__isnull=True, memberships__isnull=True).first()
    if person is not None and audit.entries_for(person).filter(action=CaseAudit.PERSON_CREATE, actor_id=user.pk).exists():
        return person
    raise _field_error(field, _("Unknown person."))


def _case_member(case: Case, person_id: Any, field: str = "person") -> Person:
    person = Person.objects.filter(pk=person_id, memberships__case=case).first()
    if person is None:
        raise _field_error(field, _("This person is not on the case."))
    return person


# -- people -------------------------------------------------------------------------------------


def _person_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in data.items() if key in domain.PERSON_FIELDS}
    if "names" in values:
        values["names"] = [dict(entry) for entry in values["names"]]
    if "contacts" in values:
        values["contacts"] = [dict(entry) for entry in values["contacts"]]
    return values


@extend_schema_view(
    list=extend_schema(
        summary="People in your cases (to search, POST people/search/: a q here answers 400)",
        parameters=[s.SearchQuerySerializer],
        responses=_responses(s.PersonListSerializer(many=True)),
    ),
    retrieve=extend_schema(summary="One person, with every field (audited)", responses=_responses(s.PersonSerializer)),
    create=extend_schema(
        summary="Enter a person into a new case of your team or into a case (checks for duplicates first)",
        request=s.PersonCreateSerializer,
        responses=_responses(
            s.PersonCreatedSerializer,
            201,
            _409=OpenApiResponse(
                s.PersonDuplicateResponseSerializer, description="Possible duplicates; resend with confirm_not_duplicate."
            ),
        ),
    ),
    partial_update=extend_schema(
        summary="Change a person", request=s.PersonWriteSerializer, responses=_responses(s.PersonSerializer)
    ),
)
class PersonViewSet(CaseWorkViewSet):
    queryset = Person.objects.none()  # for the schema only; objects come from access.py
    pagination_class = Pages

    def list(self, request: Request) -> Response:
        if self.parse(s.SearchQuerySerializer, request.query_params).get("q", "").strip():
            raise _field_error("q", _("Search terms do not go in a URL (they would be logged): POST them to people/search/."))
        people = access.people_visible_to(self.user).select_related("data_key").order_by("codename")
        audit.record(actor=self.user, action=CaseAudit.PERSON_LIST, obj=None)
        page = self.paginate_queryset(people)
        return self.get_paginated_response(s.PersonListSerializer(page, many=True).data)

    @extend_schema(  # type: ignore[untyped-decorator]  # drf-spectacular is not type-checked here (follow_imports = skip)
        summary="Search people in your cases (terms in the body, never in the URL; audited without them)",
        request=s.SearchBodySerializer,
        responses=_responses(s.PersonListSerializer(many=True)),
    )
    @action(detail=False, methods=["post"], url_path="search")  # type: ignore[untyped-decorator]  # DRF is not type-checked here (follow_imports = skip)
    def search(self, request: Request) -> Response:
        people: Sequence[Person] = domain.search_people(self.user, self.parse(s.SearchBodySerializer)["q"])
        page = self.paginate_queryset(people)
        return self.get_paginated_response(s.PersonListSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        person = access.get_person_for_user(self.user, pk)
        audit.record_read(self.user, person)
        return Response(s.PersonSerializer(person).data)

    def create(self, request: Request) -> Response:
        access.user_with_perm(self.user, "cases.change_case")  # 403 before the body is read
        data = self.parse(s.PersonCreateSerializer)
        values = _person_values(data)
        if not data["confirm_not_duplicate"]:
            try:
                duplicates = domain.find_duplicates(
                    self.user,
                    names=[entry["name"] for entry in values["names"]],
                    birth_year=queries.birth_year_from(
                        values.get("birth_date"), values.get("birth_precision", DatePrecision.EXACT)
                    ),
                    phones=[c["value"] for c in values.get("contacts", []) if c["kind"] in ("phone", "signal")],
                )
            except domain.DuplicateCheckLimited as exc:
                throttled = exceptions.Throttled(detail=str(exc))
                throttled.wait = exc.minutes * 60  # Retry-After, without DRF's English sentence in the message
                raise throttled from None
            if duplicates:
                found = [{"id": d.person.pk, "codename": d.person.codename, "reason": d.reason} for d in duplicates]
                message = _("This person may already be known. Check, then send again with confirm_not_duplicate.")
                body = {"error": {"code": "possible_duplicate", "message": message, "fields": {}, "duplicates": found}}
                return Response(s.PersonDuplicateResponseSerializer(body).data, status=status.HTTP_409_CONFLICT)
        person, case = self._create_where_it_belongs(data, values)
        body = dict(s.PersonSerializer(person).data) | {"case": str(case.pk)}
        return Response(s.PersonCreatedSerializer(body).data, status=status.HTTP_201_CREATED)

    def _create_where_it_belongs(self, data: dict[str, Any], values: dict[str, Any]) -> tuple[Person, Case]:
        """As the web form: with a new case of one of the user's teams, or into a case they may
        change; the creator sees the person at once (PersonCreateSerializer requires one of them)."""
        if data.get("team") is not None:
            # Only one's own teams; any other id, existing or not, gets the same answer.
            team = Team.objects.filter(pk=data["team"], members=self.user).first()
            if team is None:
                raise _field_error("team", _("You can only open cases for your own teams."))
            return domain.create_person_with_case(
                self.user, team=team, priority=data["priority"], summary=(data.get("summary") or "").strip(), **values
            )
        try:
            case = access.get_case_for_user(self.user, data["case"], "cases.change_case")
        except Http404:  # not there, or not the user's: the same answer for both
            raise _field_error("case", _("Unknown case.")) from None
        return domain.create_person_in_case(self.user, case, **values), case

    def partial_update(self, request: Request, pk: str) -> Response:
        person = access.get_person_for_user(self.user, pk, "cases.change_case")
        return self.respond(
            s.PersonWriteSerializer,
            lambda data: domain.update_person(self.user, person, **_person_values(data)),
            lambda updated: s.PersonSerializer(updated).data,
            partial=True,
        )


# -- cases ----------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Your cases, emergencies first",
        parameters=[s.CaseFilterSerializer],
        responses=_responses(s.CaseSerializer(many=True)),
    ),
    retrieve=extend_schema(summary="One case with members and timeline (audited)", responses=_responses(s.CaseDetailSerializer)),
    create=extend_schema(
        summary="Open a case for one of your teams",
        request=s.CaseCreateSerializer,
        responses=_responses(s.CaseDetailSerializer, 201),
    ),
    transition=extend_schema(
        summary="Move a case to another status, with a reason",
        request=s.CaseTransitionSerializer,
        responses=_responses(s.CaseStatusChangeSerializer),
    ),
)
class CaseViewSet(CaseWorkViewSet):
    queryset = Case.objects.none()  # for the schema only; objects come from access.py
    pagination_class = Pages

    def list(self, request: Request) -> Response:
        filters = self.parse(s.CaseFilterSerializer, request.query_params)
        cases = access.cases_visible_to(self.user).select_related("team", "owner")
        for field, lookup in (("status", "status"), ("priority", "priority"), ("team", "team_id"), ("owner", "owner_id")):
            if field in filters:
                cases = cases.filter(**{lookup: filters[field]})
        page = self.paginate_queryset(queries.by_urgency(cases))
        return self.get_paginated_response(s.CaseSerializer(page, many=True).data)

    def _detail(self, case: Case) -> dict[str, Any]:
        case.api_timeline = queries.timeline(case)  # type: ignore[attr-defined]  # read by CaseDetailSerializer
        return dict(s.CaseDetailSerializer(case).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        case = access.get_case_for_user(self.user, pk)
        audit.record_read(self.user, case)
        return Response(self._detail(case))

    def create(self, request: Request) -> Response:
        access.user_with_perm(self.user, "cases.add_case")  # 403 before the body is read
        return self.created(s.CaseCreateSerializer, self._open, self._detail)

    def _open(self, data: dict[str, Any]) -> Case:
        # Only one's own teams; any other id, existing or not, gets the same answer.
        team = Team.objects.filter(pk=data["team"], members=self.user).first()
        if team is None:
            raise _field_error("team", _("You can only open cases for your own teams."))
        principal = _person_for_new_case(self.user, data["principal"], "principal")
        dependants = [_person_for_new_case(self.user, pk, "dependants") for pk in dict.fromkeys(data.get("dependants", []))]
        if principal in dependants:
            raise _field_error("dependants", _("The principal cannot also be a dependant."))
        return domain.open_case(
            self.user,
            team=team,
            principal=principal,
            dependants=dependants,
            priority=data["priority"],
            summary=data.get("summary", ""),
        )

    @action(detail=True, methods=["post"])  # type: ignore[untyped-decorator]  # DRF is not type-checked here (follow_imports = skip)
    def transition(self, request: Request, pk: str) -> Response:
        case = access.get_case_for_user(self.user, pk, "cases.change_case")
        return self.respond(
            s.CaseTransitionSerializer,
            lambda data: domain.transition(self.user, case, data["status"], data["reason"]),
            lambda change: s.CaseStatusChangeSerializer(change).data,
        )


# -- sub-records of a case ------------------------------------------------------------------------


class CaseChildViewSet(CaseWorkViewSet):
    """Base for /cases/{case_id}/...: the case is reached first, so a foreign case is a 404."""

    def case(self, perm: str = access.VIEW) -> Case:
        return access.get_case_for_user(self.user, self.kwargs["case_id"], perm)

    def child(self, model: type[access.M], pk: str, perm: str) -> access.M:
        return access.get_case_child(self.user, model, self.kwargs["case_id"], pk, perm)

    def read(self) -> Case:
        case = self.case()
        audit.record_read(self.user, case)
        return case


def _child_schema(name: str, serializer: Any) -> Any:
    views = {
        "list": extend_schema(
            summary=f"The case's {name} (audited)", parameters=[CASE_ID], responses=_responses(serializer(many=True))
        ),
        "create": extend_schema(
            summary=f"Add to the case's {name}", parameters=[CASE_ID], request=serializer, responses=_responses(serializer, 201)
        ),
    }
    return extend_schema_view(**views)


@_child_schema("notes", s.NoteSerializer)
class NoteViewSet(CaseChildViewSet):
    queryset = Note.objects.none()

    def list(self, request: Request, case_id: str) -> Response:
        notes = self.read().notes.select_related("author")
        return Response(s.NoteSerializer(notes, many=True).data)

    def create(self, request: Request, case_id: str) -> Response:
        case = self.case("cases.add_note")
        return self.created(s.NoteSerializer, lambda data: domain.add_note(self.user, case, data["body"]))


@_child_schema("tasks", s.TaskSerializer)
class TaskViewSet(CaseChildViewSet):
    queryset = Task.objects.none()

    def list(self, request: Request, case_id: str) -> Response:
        # Open before done, urgent first, then by due date: the order to work through them.
        tasks = self.read().tasks.order_by(
            models.F("done").asc(nulls_first=True), "-urgent", models.F("due").asc(nulls_last=True), "created"
        )
        return Response(s.TaskSerializer(tasks, many=True).data)

    def create(self, request: Request, case_id: str) -> Response:
        case = self.case("cases.manage_tasks")
        return self.created(s.TaskSerializer, lambda data: self._add(case, data))

    def _add(self, case: Case, data: dict[str, Any]) -> Task:
        assignee = None
        if data.get("assignee_id") is not None:
            # Only members of the case's team; the domain says so in words for everyone else.
            assignee = case.team.members.filter(pk=data["assignee_id"]).first()
            if assignee is None:
                raise _field_error("assignee", _("Tasks can only be assigned to members of the case's team."))
        return domain.add_task(self.user, case, data["title"], assignee=assignee, due=data.get("due"))

    @extend_schema(summary="Mark a task done", parameters=[CASE_ID], request=None, responses=_responses(s.TaskSerializer))  # type: ignore[untyped-decorator]  # drf-spectacular is not type-checked here (follow_imports = skip)
    def complete(self, request: Request, case_id: str, pk: str) -> Response:
        task = self.child(Task, pk, "cases.manage_tasks")
        domain.complete_task(self.user, task)
        return Response(s.TaskSerializer(task).data)


@_child_schema("needs", s.NeedSerializer)
class NeedViewSet(CaseChildViewSet):
    queryset = Need.objects.none()

    def list(self, request: Request, case_id: str) -> Response:
        return Response(s.NeedSerializer(self.read().needs.order_by("created"), many=True).data)

    def create(self, request: Request, case_id: str) -> Response:
        case = self.case("cases.manage_tasks")
        return self.created(
            s.NeedSerializer, lambda data: domain.add_need(self.user, case, data["kind"], data.get("details") or "")
        )

    @extend_schema(  # type: ignore[untyped-decorator]  # drf-spectacular is not type-checked here (follow_imports = skip)
        summary="Change a need's status",
        parameters=[CASE_ID],
        request=s.NeedStatusSerializer,
        responses=_responses(s.NeedSerializer),
    )
    def partial_update(self, request: Request, case_id: str, pk: str) -> Response:
        need = self.child(Need, pk, "cases.manage_tasks")
        data = self.parse(s.NeedStatusSerializer, partial=True)
        if "status" in data:  # PATCH: nothing sent, nothing changed
            domain.set_need_status(self.user, need, data["status"])
        return Response(s.NeedSerializer(need).data)


@_child_schema("verifications", s.VerificationSerializer)
class VerificationViewSet(CaseChildViewSet):
    queryset = Verification.objects.none()

    def list(self, request: Request, case_id: str) -> Response:
        return Response(s.VerificationSerializer(self.read().verifications.order_by("at"), many=True).data)

    def create(self, request: Request, case_id: str) -> Response:
        case = self.case("cases.change_case")
        return self.created(
            s.VerificationSerializer,
            lambda data: domain.record_verification(self.user, case, data["method"], data.get("details") or ""),
        )


@_child_schema("consents", s.ConsentSerializer)
class ConsentViewSet(CaseChildViewSet):
    queryset = Consent.objects.none()

    def list(self, request: Request, case_id: str) -> Response:
        return Response(s.ConsentSerializer(self.read().consents.select_related("person"), many=True).data)

    def create(self, request: Request, case_id: str) -> Response:
        case = self.case("cases.change_case")
        return self.created(
            s.ConsentSerializer,
            lambda data: domain.record_consent(
                self.user,
                case,
                _case_member(case, data["person_id"]),
                data["scope"],
                data.get("given") or timezone.localdate(),
                data.get("partner") or "",
            ),
        )

    @extend_schema(  # type: ignore[untyped-decorator]  # drf-spectacular is not type-checked here (follow_imports = skip)
        summary="Withdraw a consent",
        parameters=[CASE_ID],
        request=s.ConsentWithdrawSerializer,
        responses=_responses(s.ConsentSerializer),
    )
    def withdraw(self, request: Request, case_id: str, pk: str) -> Response:
        consent = self.child(Consent, pk, "cases.change_case")
        return self.respond(
            s.ConsentWithdrawSerializer,
            lambda data: domain.withdraw_consent(self.user, consent, data.get("on")),
            lambda _none: s.ConsentSerializer(consent).data,
        )


@_child_schema("risk assessments", s.RiskAssessmentSerializer)
class RiskAssessmentViewSet(CaseChildViewSet):
    queryset = RiskAssessment.objects.none()

    def list(self, request: Request, case_id: str) -> Response:
        return Response(s.RiskAssessmentSerializer(self.read().risk_assessments.all(), many=True).data)

    def create(self, request: Request, case_id: str) -> Response:
        case = self.case("cases.change_case")
        return self.created(
            s.RiskAssessmentSerializer,
            lambda data: domain.assess_risk(
                self.user, case, data["factors"], data["priority"], data.get("override_reason") or ""
            ),
        )


@_child_schema("placements", s.PlacementSerializer)
class PlacementViewSet(CaseChildViewSet):
    queryset = Placement.objects.none()

    def list(self, request: Request, case_id: str) -> Response:
        placements = self.read().placements.select_related("person", "safe_house")
        return Response(s.PlacementSerializer(placements, many=True).data)

    def create(self, request: Request, case_id: str) -> Response:
        case = self.case("cases.change_case")
        return self.created(s.PlacementSerializer, lambda data: self._place(case, data))

    def _place(self, case: Case, data: dict[str, Any]) -> Placement:
        person = _case_member(case, data["person_id"])
        # A safe house of another team answers like one that does not exist.
        house = access.safe_houses_visible_to(self.user).filter(pk=data["safe_house_id"]).first()
        if house is None:
            raise _field_error("safe_house", _("Unknown safe house."))
        return domain.place(self.user, case, person, house, data.get("start"))

    @extend_schema(  # type: ignore[untyped-decorator]  # drf-spectacular is not type-checked here (follow_imports = skip)
        summary="End a placement",
        parameters=[CASE_ID],
        request=s.EndPlacementSerializer,
        responses=_responses(s.PlacementSerializer),
    )
    def end(self, request: Request, case_id: str, pk: str) -> Response:
        placement = self.child(Placement, pk, "cases.change_case")
        return self.respond(
            s.EndPlacementSerializer,
            lambda data: domain.end_placement(self.user, placement, data.get("end")),
            lambda _none: s.PlacementSerializer(placement).data,
        )


# -- safe houses ---------------------------------------------------------------------------------


def _with_occupancy(house: SafeHouse) -> SafeHouse:
    house.occupancy = queries.occupancy(house)  # type: ignore[attr-defined]  # read by SafeHouseSerializer
    return house


@extend_schema_view(
    list=extend_schema(summary="Your teams' safe houses (no addresses)", responses=_responses(s.SafeHouseSerializer(many=True))),
    retrieve=extend_schema(
        summary="One safe house with its address (audited)", responses=_responses(s.SafeHouseDetailSerializer)
    ),
    create=extend_schema(
        summary="Add a safe house to one of your teams",
        request=s.SafeHouseDetailSerializer,
        responses=_responses(s.SafeHouseDetailSerializer, 201),
    ),
    compromised=extend_schema(
        summary="Mark a safe house compromised; everyone placed there gets an urgent task",
        request=None,
        responses=_responses(s.SafeHouseCompromisedSerializer),
    ),
)
class SafeHouseViewSet(CaseWorkViewSet):
    queryset = SafeHouse.objects.none()  # for the schema only; objects come from access.py

    def list(self, request: Request) -> Response:
        houses = [_with_occupancy(house) for house in access.safe_houses_visible_to(self.user).order_by("label")]
        return Response(s.SafeHouseSerializer(houses, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        house = access.get_safe_house_for_user(self.user, pk)
        audit.record_read(self.user, house)
        return Response(s.SafeHouseDetailSerializer(_with_occupancy(house)).data)

    def create(self, request: Request) -> Response:
        access.user_with_perm(self.user, "cases.manage_safe_houses")  # 403 before the body is read
        return self.created(
            s.SafeHouseDetailSerializer, self._add, lambda house: s.SafeHouseDetailSerializer(_with_occupancy(house)).data
        )

    def _add(self, data: dict[str, Any]) -> SafeHouse:
        team = Team.objects.filter(pk=data["team_id"], members=self.user).first()
        if team is None:
            raise _field_error("team", _("You can only add safe houses for your own teams."))
        return domain.create_safe_house(
            self.user,
            team=team,
            label=data["label"],
            address=data["address"],
            capacity=data["capacity"],
            notes=data.get("notes") or "",
        )

    @action(detail=True, methods=["post"])  # type: ignore[untyped-decorator]  # DRF is not type-checked here (follow_imports = skip)
    def compromised(self, request: Request, pk: str) -> Response:
        house = access.get_safe_house_for_user(self.user, pk, "cases.manage_safe_houses")
        tasks = domain.mark_compromised(self.user, house)
        return Response(
            s.SafeHouseCompromisedSerializer({"safe_house": _with_occupancy(house), "tasks_created": len(tasks)}).data
        )
