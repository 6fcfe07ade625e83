"""The API's URL map: the versioned endpoints under /api/v1/ (whose root is a JSON index), and the
OpenAPI schema with its reference page, which anyone may read, sealed or not (they describe the
API, not the data)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from corridor.api import views
from corridor.core.decorators import public, works_sealed

urlpatterns = [
    path("v1/", views.index_view, name="api-index"),
    path("v1/me/", views.MeView.as_view(), name="api-me"),
    path("v1/", include("corridor.cases.api_urls")),
    path("v1/relocation/", include("corridor.relocation.api_urls")),
    path("v1/documentation/", include("corridor.documentation.api_urls")),
    path("v1/transfer/", include("corridor.transfer.api_urls")),
    path("v1/statistics/", include("corridor.statistics.api_urls")),
    path("schema/", works_sealed(public(SpectacularAPIView.as_view())), name="api-schema"),
    path("reference/", views.reference_view, name="api-reference"),
]
