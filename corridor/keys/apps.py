"""App configuration for corridor.keys: data keys, encrypted fields, blind indexes, files.

The key service itself (service.py, keyd.py) needs no Django; this app owns the tables.
"""

from django.apps import AppConfig


class KeysConfig(AppConfig):
    name = "corridor.keys"
    label = "keys"
    verbose_name = "Keys"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corridor.keys import checks  # noqa: F401 -- registers the deployment checks of the pins
