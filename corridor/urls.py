"""Top-level URL map: staff pages, accounts, the API and its schema."""

from django.urls import include, path

urlpatterns = [
    path("", include("corridor.web.urls")),
    path("accounts/", include("corridor.accounts.urls")),
    path("api/", include("corridor.api.urls")),
    path("audit/", include("corridor.audit.urls")),
    path("", include("corridor.cases.urls")),
    path("", include("corridor.intake.urls")),
    path("relocation/", include("corridor.relocation.urls")),
    path("documentation/", include("corridor.documentation.urls")),
    path("notifications/", include("corridor.notifications.urls")),
    path("transfer/", include("corridor.transfer.urls")),
    path("statistics/", include("corridor.statistics.urls")),
]
handler404 = "corridor.core.error_pages.not_found"
handler500 = "corridor.core.error_pages.server_error"
handler400 = "corridor.core.error_pages.bad_request"
handler403 = "corridor.core.error_pages.forbidden"
