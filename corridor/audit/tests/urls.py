"""The project's URLs plus the audit page, until corridor/urls.py includes it."""

from django.urls import include, path

from corridor.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("audit/", include("corridor.audit.urls")),
]
