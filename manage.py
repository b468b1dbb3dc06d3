#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys

# What Django answers without the settings: its list of commands says in a note why the site's
# are missing from it (a refused value, named), and the version needs none.
ANSWERED_WITHOUT_SETTINGS = ([], ["help"], ["--help"], ["-h"], ["version"], ["--version"])


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")
    from django.core.management import execute_from_command_line

    from orgsite.env import settings_loaded_or_exit

    if sys.argv[1:] not in ANSWERED_WITHOUT_SETTINGS:
        settings_loaded_or_exit()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
