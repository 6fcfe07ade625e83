"""After `corridor migrate`: people entered before search by name part get their indexes.

Tokens come from the key service, so this runs only when the instance is unsealed; otherwise
migrate says how many people wait and that `corridor reindex_people` finishes the job.
"""

from __future__ import annotations

import sys
from typing import Any

from django.apps import AppConfig

from corridor.cases.domain.people import index_name_parts, pending_name_parts
from corridor.keys import api as keys


def after_migrate(sender: AppConfig, verbosity: int = 1, **kwargs: Any) -> None:
    if sender.label != "cases":
        return
    waiting = pending_name_parts()
    if not waiting:
        return
    try:
        sealed = keys.is_sealed()
    except (keys.KeyServiceUnavailable, keys.NotInitialized):
        sealed = True
    if sealed:
        # Said even at -v 0 (make install): search misses these people until it is done.
        print(
            f"{waiting} people have no name-part search index yet: run `corridor reindex_people` once unsealed", file=sys.stderr
        )
        return
    done = index_name_parts()
    if verbosity:
        print(f"indexed the name parts of {done} people")
