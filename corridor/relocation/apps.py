"""The relocation app: countries, programmes, applications, engagements, figures and route ranking."""

from django.apps import AppConfig


class RelocationConfig(AppConfig):
    name = "corridor.relocation"
    label = "relocation"
    default_auto_field = "django.db.models.BigAutoField"
