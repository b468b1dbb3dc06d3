"""WSGI entry point: `gunicorn -c python:orgsite.gunicorn_config orgsite.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

from orgsite.env import settings_loaded_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")
settings_loaded_or_exit()

application = get_wsgi_application()

# After setup: a system check's error stops the worker with status 4, which stops gunicorn.
from orgsite.checks import startup_checks_run  # noqa: E402
from orgsite.storage import uncollected_static_files_warn  # noqa: E402

startup_checks_run()
uncollected_static_files_warn()
