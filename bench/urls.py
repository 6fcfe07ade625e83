"""Corridor's URL map plus the benchmark's baseline page (bench.settings only, never production)."""

from django.urls import path

from bench.benchapp.views import minimal_post
from corridor.urls import handler400, handler403, handler404, handler500
from corridor.urls import urlpatterns as corridor_urlpatterns

urlpatterns = [path("bench/minimal/", minimal_post, name="bench-minimal"), *corridor_urlpatterns]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
