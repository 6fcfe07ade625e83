"""Documentation pages under /documentation/ (the API is under /api/v1/documentation/)."""

from django.urls import URLPattern

from corridor.documentation.views import events, evidence, exchange, perpetrators, sources, vocabulary

app_name = "documentation"

urlpatterns: list[URLPattern] = [
    *events.urlpatterns,
    *sources.urlpatterns,
    *perpetrators.urlpatterns,
    *evidence.urlpatterns,
    *vocabulary.urlpatterns,
    *exchange.urlpatterns,
]
