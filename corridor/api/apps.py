from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "corridor.api"
    label = "api"

    def ready(self) -> None:
        from corridor.api import schema  # noqa: F401 -- registers the OpenAPI auth extensions
