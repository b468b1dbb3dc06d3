"""Gunicorn's settings: `gunicorn -c python:orgsite.gunicorn_config orgsite.wsgi`.

With LOG_FORMAT=json, gunicorn's own lines (workers starting, stopping or timing out) and its
access log are JSON objects, one a line, like the site's and Celery's; a log collector then
reads every line of the web process the same way. Otherwise gunicorn logs as it always does.
"""

import os

# Read here, not from Django's settings: gunicorn loads this file before the site.
if os.environ.get("LOG_FORMAT", "").strip().lower() == "json":
    # Merged over gunicorn's logging defaults, whose handlers use "generic" ("console" writes to
    # standard output, "error_console" to standard error). Not propagated: the root logger
    # (gunicorn's, then the site's in a worker) would write each line again.
    logconfig_dict = {
        "formatters": {"generic": {"()": "orgsite.logging.JsonFormatter"}},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        },
    }
