from django.urls import URLPattern, URLResolver

from corridor.transfer import views_referrals

app_name = "transfer"

urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns += views_referrals.urlpatterns  # referrals and partners (K)
