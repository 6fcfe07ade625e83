"""App config of the benchmark-only models; installed by bench/run.py before django.setup().

Never listed in corridor.settings: production has no benchmark tables.
"""

from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "bench.benchapp"
    label = "corridor_bench"
    default_auto_field = "django.db.models.BigAutoField"
