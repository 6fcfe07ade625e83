from django.urls import URLPattern, URLResolver

from corridor.transfer import views_erasure, views_import, views_referrals

app_name = "transfer"

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += views_referrals.urlpatterns  # referrals and partners (K)
urlpatterns += views_erasure.urlpatterns  # erasure and retention (N)
urlpatterns += views_import.urlpatterns  # legacy spreadsheet import (M)
