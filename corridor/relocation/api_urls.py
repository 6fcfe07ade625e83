"""API routes under /api/v1/relocation/ (see corridor/relocation/api.py)."""

from django.urls import path

from corridor.relocation import api

urlpatterns = [
    path("countries/", api.CountryList.as_view(), name="api-relocation-countries"),
    path("programmes/", api.ProgrammeList.as_view(), name="api-relocation-programmes"),
    path("programmes/<int:pk>/", api.ProgrammeDetail.as_view(), name="api-relocation-programme"),
    path("figures/", api.FiguresList.as_view(), name="api-relocation-figures"),
    path("cases/<str:case_id>/applications/", api.CaseApplications.as_view(), name="api-relocation-case-applications"),
    path("cases/<str:case_id>/profile/", api.CaseProfile.as_view(), name="api-relocation-case-profile"),
    path("cases/<str:case_id>/routes/", api.CaseRoutes.as_view(), name="api-relocation-case-routes"),
    path("applications/<str:pk>/", api.ApplicationDetail.as_view(), name="api-relocation-application"),
    path("applications/<str:pk>/transitions/", api.ApplicationTransition.as_view(), name="api-relocation-application-transition"),
    path("applications/<str:pk>/checklist/", api.ApplicationChecklist.as_view(), name="api-relocation-application-checklist"),
    path("contacts/", api.ContactList.as_view(), name="api-relocation-contacts"),
    path("contacts/<str:pk>/", api.ContactDetail.as_view(), name="api-relocation-contact"),
    path("contacts/<str:pk>/engagements/", api.ContactEngagements.as_view(), name="api-relocation-contact-engagements"),
    path("engagements/<str:pk>/close/", api.EngagementClose.as_view(), name="api-relocation-engagement-close"),
    path("alerts/", api.AlertList.as_view(), name="api-relocation-alerts"),
]
