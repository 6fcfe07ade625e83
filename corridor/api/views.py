"""API root endpoints shared by every app: who am I, the index of the API and its reference page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.api import reference
from corridor.core.decorators import public, works_sealed


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    teams = serializers.ListField(child=serializers.CharField())


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="The authenticated user, their role and teams")  # type: ignore[untyped-decorator]  # drf-spectacular is not type-checked here (follow_imports = skip)
    def get(self, request: Request) -> Response:
        user = request.user
        data = {"username": user.username, "role": user.role, "teams": [team.name for team in user.teams.all()]}
        return Response(MeSerializer(data).data)


# The index and the reference describe the API, not the data: anyone may read them, sealed or not,
# like the schema they are read from.
@public
@works_sealed
@require_safe
def index_view(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/: what the API offers, one line per operation, and where the details are."""
    ref = reference.reference()
    body = {
        "name": ref.title,
        "version": ref.version,
        "schema": request.build_absolute_uri(reverse("api-schema")),
        "reference": request.build_absolute_uri(reverse("api-reference")),
        "operations": [
            {"method": op.method, "path": op.path, "operation_id": op.operation_id, "summary": op.summary}
            for op in ref.operations
        ],
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@public
@works_sealed
@require_safe
def reference_view(request: HttpRequest) -> HttpResponse:
    """The API reference as a page of this server: no script, no other host (invariant 10)."""
    return render(request, "api/reference.html", {"ref": reference.reference()})
