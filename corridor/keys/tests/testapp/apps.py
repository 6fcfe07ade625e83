from django.apps import AppConfig


class KeysTestAppConfig(AppConfig):
    name = "corridor.keys.tests.testapp"
    label = "keys_testapp"
    default_auto_field = "django.db.models.BigAutoField"
