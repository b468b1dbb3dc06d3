"""WSGI entry point: `gunicorn -c python:orgsite.gunicorn_config orgsite.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

from orgsite.env import settings_loaded_or_exit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")
settings_loaded_or_exit()

application = get_wsgi_application()

# After setup: an error here fails the worker's boot, which stops gunicorn with it.
from orgsite.checks import startup_checks_run  # noqa: E402
from orgsite.storage import uncollected_static_files_warn  # noqa: E402

startup_checks_run()
uncollected_static_files_warn()
