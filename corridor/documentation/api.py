"""The documentation API under /api/v1/documentation/: events, acts, involvements, perpetrators,
sources, information, evidence metadata, vocabularies, corroboration, exports and imports.

The same rules as the pages: objects only through access.py (404 for missing and not-yours
alike; 403 for a role that may not), writes only through the domain actions, every read of
sensitive data audited. A victim or a testimony-giver is named only where their case is visible
to the reader (serializers.PersonRefSerializer). Endpoints parse, call one action and answer
what it returned (`DocumentationView.respond`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.db.models import F, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, QueryDict
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.accounts.models import Team, User
from corridor.audit import log as audit
from corridor.cases.models import Person
from corridor.documentation import access, corroboration, domain, exports, imports, nearduplicates
from corridor.documentation import serializers as s
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.models import Act, Event, Information, Involvement, Source, Term, Vocabulary
from corridor.documentation.rules import MANAGE_EVENTS, MANAGE_VOCABULARY, VIEW_EVENTS
from corridor.keys.fields import preload_keys

V = TypeVar("V", bound=Callable[..., Any])
T = TypeVar("T")


def documented(**schema: Any) -> Callable[[V], V]:
    """drf-spectacular's extend_schema with its type said (the library is not type-checked here)."""
    decorator: Callable[[V], V] = extend_schema(**schema)
    return decorator


def _ok(body: Any, code: int = 200) -> dict[int, Any]:
    # The common error answers (400, 401, 403, 404, 409, 415, 429, 503) are declared for every
    # operation by corridor.api.schema.declare_error_answers.
    return {code: body}


PK = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class CanDocument(permissions.BasePermission):
    """Only documentation officers reach these endpoints; every other role gets 403."""

    message = gettext_lazy("Your role does not document events.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if request.method == "OPTIONS":
            return True  # what the endpoint accepts: the same as the public schema says, no data
        return bool(user is not None and user.is_authenticated and user.has_perm(VIEW_EVENTS))


class Pages(PageNumberPagination):
    page_size = 50


class DocumentationView(APIView):
    # Every endpoint: a role without the permission answers 403 (access.NotPermitted is a 404
    # for pages). A comment, not a docstring: drf-spectacular would print it on every operation.
    permission_classes = [permissions.IsAuthenticated, CanDocument]

    @property
    def user(self) -> User:
        return cast(User, self.request.user)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, access.NotPermitted):
            exc = exceptions.PermissionDenied(_("Your role may not do this."))
        elif isinstance(exc, exports.ExportRefused):
            exc = exceptions.ValidationError({"audience": [str(exc)]})
        return super().handle_exception(exc)

    def parse(self, serializer_class: type[serializers.Serializer], data: Any = None, **kwargs: Any) -> dict[str, Any]:
        if isinstance(data, QueryDict):
            data = data.dict()
        serializer = serializer_class(data=self.request.data if data is None else data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def respond(
        self,
        parser: type[serializers.Serializer],
        action: Callable[[dict[str, Any]], T],
        answer: Callable[[T], Any],
        *,
        code: int = 200,
        partial: bool = False,
    ) -> Response:
        """The one shape of a write: parse the body, run the action, answer what it returned.
        The action's refusals become 400 (403, 409) through corridor/api/errors.py."""
        result = action(self.parse(parser, partial=partial))
        return Response(answer(result), status=code)

    def context(self, person_ids: Iterable[Any] = ()) -> dict[str, Any]:
        """Serializer context: the language, and how each person may be named to this reader."""
        wanted = {pk for pk in person_ids if pk is not None}
        people = list(Person.objects.filter(pk__in=wanted).only("pk", "codename")) if wanted else []
        return {
            "language": get_language() or "en",
            "labels": access.person_labels(self.user, people),
            "visible": access.visible_people_among(self.user, wanted),
        }

    def paged(self, rows: QuerySet[Any]) -> list[Any]:
        paginator = Pages()
        self._paginator = paginator
        page = paginator.paginate_queryset(rows, self.request, view=self)
        return list(page or [])

    def paged_response(self, data: Any) -> Response:
        return self._paginator.get_paginated_response(data)


def _field_error(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def _own_team(user: User, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id, members=user).first()
    if team is None:
        raise _field_error("team", _("Choose one of your own teams."))
    return team


def _term(code: Any, vocabulary: str, field: str) -> Term:
    term = Term.objects.filter(vocabulary=vocabulary, code=str(code)).first()
    if term is None:
        raise _field_error(field, _("Unknown code; see the vocabulary."))
    return term


def _visible(getter: Callable[..., T], user: User, pk: Any, field: str, **kwargs: Any) -> T:
    """An object named in a body: an unknown or invisible one is a 400 on that field, not a 404."""
    try:
        return getter(user, pk, **kwargs)
    except Http404:
        raise _field_error(field, _("Unknown or not visible to you.")) from None


def _person(pk: Any, field: str) -> Person:
    # The domain action refuses a person the actor cannot see, in the same words as one that does
    # not exist: the answer tells nothing about who is on someone else's case.
    person = Person.objects.filter(pk=pk, erased__isnull=True).first()
    if person is None:
        raise _field_error(field, _("Choose a person from a case you can see."))
    return person


# -- vocabulary ---------------------------------------------------------------------------------------


class TermList(DocumentationView):
    @documented(
        parameters=[OpenApiParameter("vocabulary", str, enum=Vocabulary.values, required=False)],
        responses=_ok(s.TermSerializer(many=True)),
        summary="Types of act and methods, in every language",
    )
    def get(self, request: Request) -> Response:
        terms = access.terms_for_user(self.user).select_related("parent")
        vocabulary = request.query_params.get("vocabulary")
        if vocabulary is not None:
            if vocabulary not in Vocabulary.values:
                raise _field_error("vocabulary", _("Choose one of the listed values."))
            terms = terms.filter(vocabulary=vocabulary)
        return Response(s.TermSerializer(terms, many=True, context=self.context()).data)

    @documented(request=s.TermCreateSerializer, responses=_ok(s.TermSerializer, 201), summary="Add a term to a vocabulary")
    def post(self, request: Request) -> Response:
        access.permit(self.user, MANAGE_VOCABULARY)
        return self.respond(
            s.TermCreateSerializer, self._add, lambda term: s.TermSerializer(term, context=self.context()).data, code=201
        )

    def _add(self, data: dict[str, Any]) -> Term:
        parent = _term(data["parent"], Vocabulary.ACT_TYPE, "parent") if data.get("parent") else None
        return domain.add_term(
            self.user, vocabulary=data["vocabulary"], code=data["code"], labels=dict(data["labels"]), parent=parent
        )


class TermDetail(DocumentationView):
    @documented(
        request=s.TermUpdateSerializer, responses=_ok(s.TermSerializer), summary="Change a term's words, or stop using it"
    )
    def patch(self, request: Request, pk: int) -> Response:
        term = access.get_term_for_user(self.user, pk, perm=MANAGE_VOCABULARY)
        return self.respond(
            s.TermUpdateSerializer,
            lambda data: domain.update_term(
                self.user, term, labels=dict(data["labels"]) if "labels" in data else None, active=data.get("active")
            ),
            lambda term: s.TermSerializer(term, context=self.context()).data,
            partial=True,
        )


# -- events --------------------------------------------------------------------------------------------


def _event_values(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key in domain.EVENT_FIELDS}


class EventList(DocumentationView):
    @documented(
        parameters=[s.EventFilterSerializer],
        responses=_ok(s.EventPageSerializer),
        operation_id="v1_documentation_events_list",
        summary="Events of your teams, latest first",
    )
    def get(self, request: Request) -> Response:
        filters = self.parse(s.EventFilterSerializer, request.query_params)
        events = access.events_visible_to(self.user)
        if filters.get("act_type"):
            events = events.filter(pk__in=Act.objects.filter(act_type__code=filters["act_type"]).values("event_id"))
        if filters.get("region"):
            events = events.filter(region=filters["region"])
        if filters.get("after"):
            events = events.annotate(last_day=Coalesce(F("end"), F("start"))).filter(last_day__gte=filters["after"])
        if filters.get("before"):
            events = events.filter(start__lte=filters["before"])
        page = self.paged(events.select_related("data_key").order_by("-start", "-created"))
        preload_keys(page)
        audit.record(
            actor=self.user, action=DocumentationAudit.EVENT_LIST, obj=None, details={"events": [str(e.pk) for e in page]}
        )
        return self.paged_response(s.EventRecordSerializer(page, many=True).data)

    @documented(
        request=s.EventCreateSerializer,
        responses=_ok(s.EventRecordSerializer, 201),
        summary="Record an event for one of your teams",
    )
    def post(self, request: Request) -> Response:
        access.permit(self.user, MANAGE_EVENTS)
        return self.respond(s.EventCreateSerializer, self._create, lambda event: s.EventRecordSerializer(event).data, code=201)

    def _create(self, data: dict[str, Any]) -> Event:
        team = _own_team(self.user, data["team"])
        follows = _visible(access.get_event_for_user, self.user, data["follows"], "follows") if data.get("follows") else None
        return domain.create_event(self.user, team=team, follows=follows, **_event_values(data))


class EventDetail(DocumentationView):
    @documented(parameters=[PK], responses=_ok(s.EventRecordSerializer), summary="One event (audited)")
    def get(self, request: Request, pk: str) -> Response:
        event = access.get_event_for_user(self.user, pk)
        audit.record_read(self.user, event)
        return Response(s.EventRecordSerializer(event).data)

    @documented(
        parameters=[PK], request=s.EventUpdateSerializer, responses=_ok(s.EventRecordSerializer), summary="Change an event"
    )
    def patch(self, request: Request, pk: str) -> Response:
        event = access.get_event_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.EventUpdateSerializer,
            lambda data: domain.update_event(self.user, event, seen=data.get("seen"), **_event_values(data)),
            lambda event: s.EventRecordSerializer(event).data,
            partial=True,
        )


class EventChain(DocumentationView):
    @documented(
        parameters=[PK],
        request=s.ChainSerializer,
        responses=_ok(s.EventRecordSerializer),
        summary="Put an event in a chain (detention → transfer → release)",
    )
    def post(self, request: Request, pk: str) -> Response:
        event = access.get_event_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.ChainSerializer, lambda data: self._link(event, data), lambda event: s.EventRecordSerializer(event).data
        )

    def _link(self, event: Event, data: dict[str, Any]) -> Event:
        follows = _visible(access.get_event_for_user, self.user, data["follows"], "follows") if data["follows"] else None
        return domain.link_events(self.user, event, follows)


# -- acts and involvements ------------------------------------------------------------------------------


def _act_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in data.items() if key in domain.ACT_FIELDS}
    if "act_type" in values:
        values["act_type"] = _term(values["act_type"], Vocabulary.ACT_TYPE, "act_type")
    return values


def _methods(data: dict[str, Any]) -> list[Term] | None:
    if "methods" not in data:
        return None
    return [_term(code, Vocabulary.METHOD, "methods") for code in dict.fromkeys(data["methods"])]


class EventActs(DocumentationView):
    @documented(parameters=[PK], responses=_ok(s.ActSerializer(many=True)), summary="The acts of an event (audited)")
    def get(self, request: Request, pk: str) -> Response:
        event = access.get_event_for_user(self.user, pk)
        acts = list(event.acts.select_related("act_type", "event__data_key").prefetch_related("methods"))
        preload_keys(acts)
        audit.record_read(self.user, event)
        return Response(s.ActSerializer(acts, many=True, context=self.context(a.victim_id for a in acts)).data)

    @documented(
        parameters=[PK],
        request=s.ActCreateSerializer,
        responses=_ok(s.ActSerializer, 201),
        summary="Record what was done to one victim",
    )
    def post(self, request: Request, pk: str) -> Response:
        event = access.get_event_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(s.ActCreateSerializer, lambda data: self._add(event, data), self._answer, code=201)

    def _add(self, event: Event, data: dict[str, Any]) -> Act:
        methods = _methods(data) or []
        return domain.add_act(self.user, event, victim=_person(data["victim"], "victim"), methods=methods, **_act_values(data))

    def _answer(self, act: Act) -> Any:
        return s.ActSerializer(act, context=self.context([act.victim_id])).data


class ActDetail(DocumentationView):
    @documented(parameters=[PK], responses=_ok(s.ActSerializer), summary="One act (audited)")
    def get(self, request: Request, pk: str) -> Response:
        act = access.get_act_for_user(self.user, pk)
        audit.record_read(self.user, act)
        return Response(s.ActSerializer(act, context=self.context([act.victim_id])).data)

    @documented(
        parameters=[PK], request=s.ActUpdateSerializer, responses=_ok(s.ActSerializer), summary="Change an act (its victim stays)"
    )
    def patch(self, request: Request, pk: str) -> Response:
        act = access.get_act_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.ActUpdateSerializer,
            lambda data: domain.update_act(self.user, act, seen=data.get("seen"), methods=_methods(data), **_act_values(data)),
            lambda act: s.ActSerializer(act, context=self.context([act.victim_id])).data,
            partial=True,
        )


def corroboration_data(act_id: Any, result: corroboration.Corroboration) -> dict[str, Any]:
    return {
        "act": act_id,
        "independent": result.independent,
        "sources": result.sources,
        "first_hand": result.first_hand,
        "score": result.score,
        "reasons": [{"code": reason.code, "text": reason.text} for reason in result.reasons],
        "groups": [{"sources": list(group.sources)} for group in result.groups],
    }


class ActCorroboration(DocumentationView):
    @documented(
        parameters=[PK],
        responses=_ok(s.CorroborationSerializer),
        summary="Independent sources of an act and how well they agree, with reasons",
    )
    def get(self, request: Request, pk: str) -> Response:
        act = access.get_act_for_user(self.user, pk)
        audit.record_read(self.user, act)
        return Response(s.CorroborationSerializer(corroboration_data(act.pk, corroboration.for_act(act))).data)


class ActInvolvements(DocumentationView):
    @documented(parameters=[PK], responses=_ok(s.InvolvementSerializer(many=True)), summary="Who was involved in an act, and how")
    def get(self, request: Request, pk: str) -> Response:
        act = access.get_act_for_user(self.user, pk)
        involvements = list(act.involvements.select_related("perpetrator__data_key", "act__event__data_key"))
        preload_keys(involvements)
        audit.record_read(self.user, act)
        return Response(s.InvolvementSerializer(involvements, many=True).data)

    @documented(
        parameters=[PK],
        request=s.InvolvementCreateSerializer,
        responses=_ok(s.InvolvementSerializer, 201),
        summary="Name a perpetrator of an act",
    )
    def post(self, request: Request, pk: str) -> Response:
        act = access.get_act_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.InvolvementCreateSerializer,
            lambda data: self._add(act, data),
            lambda inv: s.InvolvementSerializer(inv).data,
            code=201,
        )

    def _add(self, act: Act, data: dict[str, Any]) -> Involvement:
        perpetrator = _visible(access.get_perpetrator_for_user, self.user, data["perpetrator"], "perpetrator")
        return domain.add_involvement(
            self.user, act, perpetrator=perpetrator, degree=data.get("degree", "alleged"), note=data.get("note", "")
        )


class InvolvementDetail(DocumentationView):
    @documented(parameters=[PK], request=None, responses={204: None}, summary="Take a perpetrator off an act")
    def delete(self, request: Request, pk: str) -> Response:
        involvement = access.get_involvement_for_user(self.user, pk, perm=MANAGE_EVENTS)
        domain.remove_involvement(self.user, involvement)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- perpetrators ----------------------------------------------------------------------------------------


def _perpetrator_values(user: User, data: dict[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in data.items() if key in domain.PERPETRATOR_FIELDS}
    if values.get("part_of") is not None:
        values["part_of"] = _visible(access.get_perpetrator_for_user, user, values["part_of"], "part_of")
    return values


class PerpetratorList(DocumentationView):
    @documented(
        parameters=[OpenApiParameter("page", int, required=False)],
        responses=_ok(s.PerpetratorPageSerializer),
        operation_id="v1_documentation_perpetrators_list",
        summary="Persons, units and institutions acts are attributed to",
    )
    def get(self, request: Request) -> Response:
        page = self.paged(access.perpetrators_visible_to(self.user).select_related("data_key").order_by("created", "pk"))
        preload_keys(page)
        audit.record(actor=self.user, action=DocumentationAudit.PERPETRATOR_LIST, obj=None)
        return self.paged_response(s.PerpetratorSerializer(page, many=True).data)

    @documented(request=s.PerpetratorWriteSerializer, responses=_ok(s.PerpetratorSerializer, 201), summary="Add a perpetrator")
    def post(self, request: Request) -> Response:
        access.permit(self.user, MANAGE_EVENTS)
        return self.respond(
            s.PerpetratorWriteSerializer,
            lambda data: domain.create_perpetrator(self.user, **_perpetrator_values(self.user, data)),
            lambda p: s.PerpetratorSerializer(p).data,
            code=201,
        )


class PerpetratorDetail(DocumentationView):
    @documented(
        parameters=[PK],
        responses=_ok(s.PerpetratorDetailSerializer),
        summary="A perpetrator and every act attributed to them that you may see (audited)",
    )
    def get(self, request: Request, pk: str) -> Response:
        perpetrator = access.get_perpetrator_for_user(self.user, pk)
        involvements = list(
            access.involvements_visible_to(self.user)
            .filter(perpetrator=perpetrator)
            .select_related("act__event__data_key", "act__act_type")
            .order_by(F("act__start").asc(nulls_last=True), "act__created")
        )
        preload_keys([inv.act.event for inv in involvements])
        perpetrator.api_acts = involvements  # type: ignore[attr-defined]  # read by PerpetratorDetailSerializer
        audit.record_read(self.user, perpetrator)
        context = self.context(inv.act.victim_id for inv in involvements)
        return Response(s.PerpetratorDetailSerializer(perpetrator, context=context).data)

    @documented(
        parameters=[PK],
        request=s.PerpetratorUpdateSerializer,
        responses=_ok(s.PerpetratorSerializer),
        summary="Change a perpetrator",
    )
    def patch(self, request: Request, pk: str) -> Response:
        perpetrator = access.get_perpetrator_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.PerpetratorUpdateSerializer,
            lambda data: domain.update_perpetrator(
                self.user, perpetrator, seen=data.get("seen"), **_perpetrator_values(self.user, data)
            ),
            lambda p: s.PerpetratorSerializer(p).data,
            partial=True,
        )


# -- sources and information --------------------------------------------------------------------------------


def _source_values(data: dict[str, Any]) -> dict[str, Any]:
    values = {key: value for key, value in data.items() if key in domain.SOURCE_FIELDS}
    if "person" in values:
        values["person"] = _person(values["person"], "person") if values["person"] is not None else None
    return values


class SourceList(DocumentationView):
    @documented(
        parameters=[OpenApiParameter("page", int, required=False)],
        responses=_ok(s.SourcePageSerializer),
        operation_id="v1_documentation_sources_list",
        summary="Sources of your teams",
    )
    def get(self, request: Request) -> Response:
        page = self.paged(access.sources_visible_to(self.user).select_related("data_key").order_by("created", "pk"))
        preload_keys(page)
        audit.record(actor=self.user, action=DocumentationAudit.SOURCE_LIST, obj=None)
        return self.paged_response(s.SourceListSerializer(page, many=True, context=self.context(x.person_id for x in page)).data)

    @documented(
        request=s.SourceCreateSerializer,
        responses=_ok(s.SourceSerializer, 201),
        summary="Record a source (a testimony names who gave it)",
    )
    def post(self, request: Request) -> Response:
        access.permit(self.user, MANAGE_EVENTS)
        return self.respond(s.SourceCreateSerializer, self._create, self._answer, code=201)

    def _create(self, data: dict[str, Any]) -> Source:
        team = _own_team(self.user, data["team"])
        derived = (
            _visible(access.get_source_for_user, self.user, data["derived_from"], "derived_from")
            if data.get("derived_from")
            else None
        )
        return domain.create_source(self.user, team=team, derived_from=derived, **_source_values(data))

    def _answer(self, source: Source) -> Any:
        return s.SourceSerializer(source, context=self.context([source.person_id])).data


class SourceDetail(DocumentationView):
    @documented(parameters=[PK], responses=_ok(s.SourceSerializer), summary="One source with its text (audited)")
    def get(self, request: Request, pk: str) -> Response:
        source = access.get_source_for_user(self.user, pk)
        audit.record_read(self.user, source)
        return Response(s.SourceSerializer(source, context=self.context([source.person_id])).data)

    @documented(parameters=[PK], request=s.SourceUpdateSerializer, responses=_ok(s.SourceSerializer), summary="Change a source")
    def patch(self, request: Request, pk: str) -> Response:
        source = access.get_source_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.SourceUpdateSerializer,
            lambda data: domain.update_source(self.user, source, seen=data.get("seen"), **_source_values(data)),
            lambda source: s.SourceSerializer(source, context=self.context([source.person_id])).data,
            partial=True,
        )


class SourceDerivedFrom(DocumentationView):
    @documented(
        parameters=[PK],
        request=s.DerivedFromSerializer,
        responses=_ok(s.SourceSerializer),
        summary="Mark what a source copies or retells (a loop is refused)",
    )
    def post(self, request: Request, pk: str) -> Response:
        source = access.get_source_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.DerivedFromSerializer,
            lambda data: domain.mark_derived(
                self.user,
                source,
                _visible(access.get_source_for_user, self.user, data["derived_from"], "derived_from")
                if data["derived_from"]
                else None,
            ),
            lambda source: s.SourceSerializer(source, context=self.context([source.person_id])).data,
        )


class SourceInformation(DocumentationView):
    @documented(
        parameters=[PK],
        responses=_ok(s.InformationSerializer(many=True)),
        summary="What a source says, about which events and acts",
    )
    def get(self, request: Request, pk: str) -> Response:
        source = access.get_source_for_user(self.user, pk)
        rows = list(
            access.information_visible_to(self.user)
            .filter(source=source)
            .select_related("source__data_key")
            .prefetch_related("reported_perpetrators")
        )
        preload_keys(rows)
        audit.record_read(self.user, source)
        return Response(s.InformationSerializer(rows, many=True).data)

    @documented(
        parameters=[PK],
        request=s.InformationCreateSerializer,
        responses=_ok(s.InformationSerializer, 201),
        summary="Link a source to an event or an act, with how it knows",
    )
    def post(self, request: Request, pk: str) -> Response:
        source = access.get_source_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.InformationCreateSerializer,
            lambda data: self._link(source, data),
            lambda info: s.InformationSerializer(info).data,
            code=201,
        )

    def _link(self, source: Source, data: dict[str, Any]) -> Information:
        event = _visible(access.get_event_for_user, self.user, data["event"], "event") if data.get("event") else None
        act = _visible(access.get_act_for_user, self.user, data["act"], "act") if data.get("act") else None
        named = [
            _visible(access.get_perpetrator_for_user, self.user, pk, "reported_perpetrators")
            for pk in dict.fromkeys(data.get("reported_perpetrators", []))
        ]
        return domain.link_information(
            self.user,
            source,
            event=event,
            act_=act,
            how_known=data["how_known"],
            reliability=data.get("reliability", "unknown"),
            reported_start=data.get("reported_start"),
            reported_end=data.get("reported_end"),
            reported_place=data.get("reported_place", ""),
            reported_perpetrators=named,
            note=data.get("note", ""),
        )


def flag_data(flag: nearduplicates.Flag) -> dict[str, Any]:
    return {"kind": flag.kind, "text": flag.text, "similarity": flag.similarity, "sources": [x.pk for x in flag.sources]}


class SourceNearDuplicates(DocumentationView):
    @documented(
        parameters=[PK],
        responses=_ok(s.FlagSerializer(many=True)),
        summary="Sources whose text this one nearly copies, for a person to judge",
    )
    def get(self, request: Request, pk: str) -> Response:
        source = access.get_source_for_user(self.user, pk)
        flags = nearduplicates.flags_for_source(self.user, source)
        audit.record(actor=self.user, action=DocumentationAudit.NEAR_DUPLICATES, obj=source)
        return Response(s.FlagSerializer([flag_data(flag) for flag in flags], many=True).data)


# -- evidence -------------------------------------------------------------------------------------------


class EventEvidence(DocumentationView):
    @documented(
        parameters=[PK],
        responses=_ok(s.EvidenceSerializer(many=True)),
        summary="Files kept for an event: hashes and chain of custody",
    )
    def get(self, request: Request, pk: str) -> Response:
        event = access.get_event_for_user(self.user, pk)
        rows = list(access.evidence_visible_to(self.user).filter(event=event).select_related("data_key"))
        preload_keys(rows)
        audit.record_read(self.user, event)
        return Response(s.EvidenceSerializer(rows, many=True).data)


class EvidenceDetail(DocumentationView):
    @documented(
        parameters=[PK], responses=_ok(s.EvidenceSerializer), summary="One file's metadata, hash and chain of custody (audited)"
    )
    def get(self, request: Request, pk: str) -> Response:
        evidence = access.get_evidence_for_user(self.user, pk)
        audit.record_read(self.user, evidence)
        return Response(s.EvidenceSerializer(evidence).data)


class EvidenceCustody(DocumentationView):
    @documented(
        parameters=[PK],
        request=s.CustodyCreateSerializer,
        responses=_ok(s.EvidenceSerializer, 201),
        summary="Record that a file was exported or handed over",
    )
    def post(self, request: Request, pk: str) -> Response:
        evidence = access.get_evidence_for_user(self.user, pk, perm=MANAGE_EVENTS)
        return self.respond(
            s.CustodyCreateSerializer,
            lambda data: domain.record_custody(self.user, evidence, data["action"], data["note"]),
            lambda evidence: s.EvidenceSerializer(evidence).data,
            code=201,
        )


# -- export and import ------------------------------------------------------------------------------------


class ExportJson(DocumentationView):
    @documented(
        parameters=[s.ExportQuerySerializer],
        responses=_ok(OpenApiResponse(OpenApiTypes.OBJECT, description="HURIDOCS Events Standard Formats records")),
        summary="Events, acts and sources as HURIDOCS records: only what confidentiality and consent allow",
    )
    def get(self, request: Request) -> Response:
        query = self.parse(s.ExportQuerySerializer, request.query_params)
        export = exports.export_for(
            self.user, audience=query["audience"], partner=query.get("partner", ""), language=get_language() or "en", kind="json"
        )
        return Response(exports.huridocs_json(export))


class ExportUwazi(DocumentationView):
    @documented(
        parameters=[
            OpenApiParameter("template", str, OpenApiParameter.PATH, enum=list(exports.UWAZI_TEMPLATES)),
            s.ExportQuerySerializer,
        ],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="UTF-8 CSV for Uwazi's CSV import")},
        summary="One Uwazi template's CSV (events, acts or sources): only what confidentiality and consent allow",
    )
    def get(self, request: Request, template: str) -> HttpResponse:
        if template not in exports.UWAZI_TEMPLATES:
            raise Http404
        query = self.parse(s.ExportQuerySerializer, request.query_params)
        export = exports.export_for(
            self.user, audience=query["audience"], partner=query.get("partner", ""), language=get_language() or "en", kind="csv"
        )
        response = HttpResponse(exports.uwazi_csv(export, template), content_type="text/csv; charset=utf-8")
        stamp = datetime.date.today().isoformat()
        response["Content-Disposition"] = f'attachment; filename="corridor-{template}-{stamp}.csv"'
        return response


class ImportMedia(DocumentationView):
    @documented(
        request=s.MediaImportSerializer,
        responses=_ok(s.ImportedSerializer(many=True), 201),
        summary="Import media reports as sources, each flagged against existing ones",
    )
    def post(self, request: Request) -> Response:
        access.permit(self.user, MANAGE_EVENTS)
        return self.respond(s.MediaImportSerializer, self._import, self._answer, code=201)

    def _import(self, data: dict[str, Any]) -> list[imports.Imported]:
        team = _own_team(self.user, data["team"])
        return imports.import_reports(self.user, team, [dict(report) for report in data["reports"]])

    def _answer(self, results: list[imports.Imported]) -> Any:
        context = self.context()
        return [
            {
                "source": s.SourceListSerializer(result.source, context=context).data,
                "matches": [{"source": match.pk, "similarity": score} for match, score in result.matches],
            }
            for result in results
        ]
