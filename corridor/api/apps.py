from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "corridor.api"
    label = "api"

    def ready(self) -> None:
        import drf_spectacular.openapi  # noqa: F401 -- registers drf-spectacular's own extensions
        from drf_spectacular import extensions

        from corridor.api import schema  # noqa: F401 -- registers the OpenAPI auth extensions

        # drf-spectacular resolves each extension's target class on the first schema request, in
        # whichever thread gets there; two threads at once (gunicorn's gthread workers) broke it
        # and /api/schema/ answered 500. Resolve them once, here, before any request.
        for base in (
            extensions.OpenApiAuthenticationExtension,
            extensions.OpenApiSerializerExtension,
            extensions.OpenApiSerializerFieldExtension,
            extensions.OpenApiViewExtension,
            extensions.OpenApiFilterExtension,
        ):
            for extension in list(base._registry):
                if isinstance(extension.target_class, str):
                    extension._load_class()
