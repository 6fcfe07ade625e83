from django.urls import URLPattern, path

from corridor.statistics import views

app_name = "statistics"

urlpatterns: list[URLPattern] = [
    path("", views.reports_view, name="reports"),
    path("new/", views.new_view, name="new"),
    path("reports/<str:pk>/", views.report_view, name="report"),
    path("reports/<str:pk>/approve/", views.approve_view, name="approve"),
    path("reports/<str:pk>/publish/", views.publish_view, name="publish"),
    path("published/<str:pk>/", views.snapshot_view, name="snapshot"),
    path("published/<str:pk>/csv/", views.snapshot_csv_view, name="snapshot_csv"),
    path("published/<str:pk>/pdf/", views.snapshot_pdf_view, name="snapshot_pdf"),
]
