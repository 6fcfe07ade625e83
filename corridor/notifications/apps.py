"""Notifications: duty rosters, alerts that carry no content, their outbox and the worker that sends them."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "corridor.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"
