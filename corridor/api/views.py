"""API root endpoints shared by every app: who am I, and whether the instance is sealed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


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
