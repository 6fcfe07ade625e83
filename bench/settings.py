"""Settings for a server the benchmarks start (`DJANGO_SETTINGS_MODULE=bench.settings`): the
production settings plus the benchmark-only app and its one page, for that process only.

corridor.settings never lists bench.benchapp; bench/run.py adds it to its own process the same way.
"""

from corridor.settings import *  # noqa: F403 -- the bench's server is the production one plus a baseline page

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
