from django.conf import settings
from django.urls import path

from corridor.web import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path(settings.UNSEAL_PATH, views.unseal_view, name="unseal"),
    path("lockdown/", views.lockdown_confirm_view, name="lockdown_confirm"),
    path("lockdown/now/", views.lockdown_view, name="lockdown"),
    path("healthz", views.health_view, name="health"),
    path("language/", views.language_view, name="language"),
]
