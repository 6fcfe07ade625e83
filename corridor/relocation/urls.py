"""Relocation pages under /relocation/."""

from corridor.relocation.views import urlpatterns

app_name = "relocation"

__all__ = ["app_name", "urlpatterns"]
