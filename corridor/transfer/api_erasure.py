"""The erasure API under /api/v1/transfer/: what erasing a person removes, asking for it, and
the state of a request. Approval is not offered here: it needs a second person who has just
confirmed their password and second factor (step-up), which only the pages ask for. A role
without the permission answers 403; a person or request one cannot see, 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.cases.access import get_visible, user_with_perm
from corridor.transfer import erasure
from corridor.transfer.domain import erasure as actions
from corridor.transfer.models import ErasureRequest, ErasureStatus

F = TypeVar("F", bound=Callable[..., Any])


def documented(**schema: Any) -> Callable[[F], F]:
    """drf-spectacular's extend_schema with its type said (the library is not type-checked)."""
    decorator: Callable[[F], F] = extend_schema(**schema)
    return decorator


class ErasureRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    person = serializers.UUIDField(source="person_id")
    status = serializers.ChoiceField(choices=ErasureStatus.choices)
    requested = serializers.DateTimeField()
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    decided = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="what the erasure removed, by kind")


class ErasurePlanSerializer(serializers.Serializer):
    person = serializers.UUIDField()
    codename = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="what would be removed, by kind")
    shared_cases = serializers.ListField(
        child=serializers.CharField(), help_text="references of cases with other members: they stay, with their shared notes"
    )
    pending = ErasureRequestSerializer(allow_null=True)


class EmptySerializer(serializers.Serializer):
    pass


def _plan_data(person: Any) -> dict[str, Any]:
    plan = erasure.plan(person)
    pending = ErasureRequest.objects.filter(person=person, status=ErasureStatus.REQUESTED).select_related("requested_by").first()
    return {
        "person": person.pk,
        "codename": person.codename,
        "counts": {kind: count for kind, count in plan.counts.items() if count},
        "shared_cases": [case.reference for case in plan.family_cases],
        "pending": pending,
    }


class PersonErasure(APIView):
    @documented(responses=ErasurePlanSerializer, summary="What erasing a person would remove, counted by kind")
    def get(self, request: Request, person_id: str) -> Response:
        user = user_with_perm(request.user, erasure.REQUEST_ERASURE)
        person = _person_for(user, person_id)
        return Response(ErasurePlanSerializer(_plan_data(person)).data)

    @documented(
        request=EmptySerializer,
        responses={201: ErasureRequestSerializer},
        summary="Ask for a person to be erased (someone else approves it on the erasure page)",
    )
    def post(self, request: Request, person_id: str) -> Response:
        user = user_with_perm(request.user, erasure.REQUEST_ERASURE)
        person = _person_for(user, person_id)
        made = actions.request_erasure(user, person)
        return Response(ErasureRequestSerializer(made).data, status=status.HTTP_201_CREATED)


def _person_for(user: Any, person_id: str) -> Any:
    return get_visible(user, erasure.erasable_by(user).select_related("data_key"), person_id, erasure.REQUEST_ERASURE)


def _request_for(user: Any, pk: str) -> ErasureRequest:
    visible = ErasureRequest.objects.filter(person__in=erasure.erasable_by(user)).select_related("requested_by")
    return get_visible(user, visible, pk, erasure.VIEW_ERASURES)


class ErasureDetail(APIView):
    @documented(responses=ErasureRequestSerializer, summary="One erasure request")
    def get(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, erasure.VIEW_ERASURES)
        return Response(ErasureRequestSerializer(_request_for(user, pk)).data)


class ErasureCancel(APIView):
    @documented(request=EmptySerializer, responses=ErasureRequestSerializer, summary="Withdraw an erasure request still waiting")
    def post(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, erasure.REQUEST_ERASURE)
        cancelled = actions.cancel_erasure(user, _request_for(user, pk))
        return Response(ErasureRequestSerializer(cancelled).data)
