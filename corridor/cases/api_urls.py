"""API routes for people and cases under /api/v1/ (see corridor/cases/api.py)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
