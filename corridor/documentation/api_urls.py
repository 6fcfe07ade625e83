"""API routes under /api/v1/documentation/ (see corridor/documentation/api.py).

Ids in paths are plain strings, so a malformed id gets the same JSON 404 as a missing one.
"""

from django.urls import path

from corridor.documentation import api

urlpatterns = [
    path("vocabulary/", api.TermList.as_view(), name="api-documentation-terms"),
    path("vocabulary/<int:pk>/", api.TermDetail.as_view(), name="api-documentation-term"),
    path("events/", api.EventList.as_view(), name="api-documentation-events"),
    path("events/<str:pk>/", api.EventDetail.as_view(), name="api-documentation-event"),
    path("events/<str:pk>/chain/", api.EventChain.as_view(), name="api-documentation-event-chain"),
    path("events/<str:pk>/acts/", api.EventActs.as_view(), name="api-documentation-event-acts"),
    path("events/<str:pk>/evidence/", api.EventEvidence.as_view(), name="api-documentation-event-evidence"),
    path("acts/<str:pk>/", api.ActDetail.as_view(), name="api-documentation-act"),
    path("acts/<str:pk>/corroboration/", api.ActCorroboration.as_view(), name="api-documentation-act-corroboration"),
    path("acts/<str:pk>/involvements/", api.ActInvolvements.as_view(), name="api-documentation-act-involvements"),
    path("involvements/<str:pk>/", api.InvolvementDetail.as_view(), name="api-documentation-involvement"),
    path("perpetrators/", api.PerpetratorList.as_view(), name="api-documentation-perpetrators"),
    path("perpetrators/<str:pk>/", api.PerpetratorDetail.as_view(), name="api-documentation-perpetrator"),
    path("sources/", api.SourceList.as_view(), name="api-documentation-sources"),
    path("sources/<str:pk>/", api.SourceDetail.as_view(), name="api-documentation-source"),
    path("sources/<str:pk>/derived-from/", api.SourceDerivedFrom.as_view(), name="api-documentation-source-derived-from"),
    path("sources/<str:pk>/information/", api.SourceInformation.as_view(), name="api-documentation-source-information"),
    path(
        "sources/<str:pk>/near-duplicates/", api.SourceNearDuplicates.as_view(), name="api-documentation-source-near-duplicates"
    ),
    path("evidence/<str:pk>/", api.EvidenceDetail.as_view(), name="api-documentation-evidence"),
    path("evidence/<str:pk>/custody/", api.EvidenceCustody.as_view(), name="api-documentation-evidence-custody"),
    path("export/huridocs.json", api.ExportJson.as_view(), name="api-documentation-export-json"),
    path("export/uwazi/<str:template>.csv", api.ExportUwazi.as_view(), name="api-documentation-export-uwazi"),
    path("import/media/", api.ImportMedia.as_view(), name="api-documentation-import-media"),
]
