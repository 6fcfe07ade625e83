#!/usr/bin/env python
"""Django's manage.py; `corridor` (corridor/cli.py) is the operator-facing command."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "corridor.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
