from django.urls import path

from corridor.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("read/", views.read_all_view, name="read_all"),
    path("<uuid:pk>/read/", views.read_view, name="read"),
    path("<uuid:pk>/open/", views.open_view, name="open"),
    path("preferences/", views.preferences_view, name="preferences"),
    path("rosters/", views.rosters_view, name="rosters"),
    path("rosters/<int:team_id>/", views.roster_view, name="roster"),
    path("rosters/<int:team_id>/shifts/", views.shift_add_view, name="shift_add"),
    path("rosters/<int:team_id>/shifts/<int:pk>/remove/", views.shift_remove_view, name="shift_remove"),
    path("rosters/<int:team_id>/swaps/", views.swap_add_view, name="swap_add"),
    path("rosters/<int:team_id>/swaps/<int:pk>/remove/", views.swap_remove_view, name="swap_remove"),
    path("rosters/<int:team_id>/alerting/", views.alerting_view, name="alerting"),
]
