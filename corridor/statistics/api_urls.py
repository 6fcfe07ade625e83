"""API routes under /api/v1/statistics/ (see corridor/statistics/api.py)."""

from django.urls import path

from corridor.statistics import api

urlpatterns = [
    path("reports/", api.ReportList.as_view(), name="api-statistics-reports"),
    path("reports/<str:pk>/", api.ReportDetail.as_view(), name="api-statistics-report"),
    path("reports/<str:pk>/submit/", api.ReportSubmit.as_view(), name="api-statistics-report-submit"),
    path("reports/<str:pk>/approve/", api.ReportApprove.as_view(), name="api-statistics-report-approve"),
    path("reports/<str:pk>/publish/", api.ReportPublish.as_view(), name="api-statistics-report-publish"),
    path("published/", api.SnapshotList.as_view(), name="api-statistics-snapshots"),
    path("published/<str:pk>/", api.SnapshotDetail.as_view(), name="api-statistics-snapshot"),
    path("published/<str:pk>/export/", api.SnapshotExport.as_view(), name="api-statistics-snapshot-export"),
]
