"""Statistics for advocacy: report definitions, disclosure control, review and publication."""

from django.apps import AppConfig


class StatisticsConfig(AppConfig):
    name = "corridor.statistics"
    label = "statistics"
    default_auto_field = "django.db.models.BigAutoField"
