"""The API's URL map: the versioned endpoints under /api/v1/, and the OpenAPI schema, which anyone
may read, sealed or not (it describes the API, not the data)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from corridor.api import views
from corridor.core.decorators import public, works_sealed

urlpatterns = [
    path("v1/me/", views.MeView.as_view(), name="api-me"),
    path("v1/", include("corridor.cases.api_urls")),
    path("v1/relocation/", include("corridor.relocation.api_urls")),
    path("schema/", works_sealed(public(SpectacularAPIView.as_view())), name="api-schema"),
]
