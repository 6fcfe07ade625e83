from django.urls import URLPattern

app_name = "statistics"

urlpatterns: list[URLPattern] = []
