"""API routes for people and cases under /api/v1/ (see corridor/cases/api.py).

Ids in paths are matched as plain strings so that a malformed id gets the same JSON 404
as a missing one, from the access helpers, rather than the HTML page of the URL resolver.
"""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from corridor.cases import api

router = SimpleRouter()
router.register("people", api.PersonViewSet, basename="api-person")
router.register("cases", api.CaseViewSet, basename="api-case")
router.register("safe-houses", api.SafeHouseViewSet, basename="api-safe-house")

LIST = {"get": "list", "post": "create"}

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path("cases/<str:case_id>/notes/", api.NoteViewSet.as_view(LIST), name="api-case-notes"),
    path("cases/<str:case_id>/tasks/", api.TaskViewSet.as_view(LIST), name="api-case-tasks"),
    path(
        "cases/<str:case_id>/tasks/<str:pk>/complete/",
        api.TaskViewSet.as_view({"post": "complete"}),
        name="api-case-task-complete",
    ),
    path("cases/<str:case_id>/needs/", api.NeedViewSet.as_view(LIST), name="api-case-needs"),
    path("cases/<str:case_id>/needs/<str:pk>/", api.NeedViewSet.as_view({"patch": "partial_update"}), name="api-case-need"),
    path("cases/<str:case_id>/verifications/", api.VerificationViewSet.as_view(LIST), name="api-case-verifications"),
    path("cases/<str:case_id>/consents/", api.ConsentViewSet.as_view(LIST), name="api-case-consents"),
    path(
        "cases/<str:case_id>/consents/<str:pk>/withdraw/",
        api.ConsentViewSet.as_view({"post": "withdraw"}),
        name="api-case-consent-withdraw",
    ),
    path("cases/<str:case_id>/risk-assessments/", api.RiskAssessmentViewSet.as_view(LIST), name="api-case-risk"),
    path("cases/<str:case_id>/placements/", api.PlacementViewSet.as_view(LIST), name="api-case-placements"),
    path(
        "cases/<str:case_id>/placements/<str:pk>/end/",
        api.PlacementViewSet.as_view({"post": "end"}),
        name="api-case-placement-end",
    ),
]
