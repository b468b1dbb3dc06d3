"""Gunicorn's settings: `gunicorn -c python:orgsite.gunicorn_config orgsite.wsgi`.

With LOG_FORMAT=json, gunicorn's own lines (workers starting, stopping or timing out) and its
access log are JSON objects, one a line, like the site's and Celery's; a log collector then
reads every line of the web process the same way. Otherwise gunicorn logs as it always does.
Either way its lines are written with their passwords masked, as the site's are.
"""

import logging
import os

from jobs.greenhouse import PASSWORDS_MASKED

# On gunicorn's loggers, not on their handlers: gunicorn makes those itself before the site
# loads, and in its master, which never loads the site (its DEBUG line of the configuration
# names each --env value), and again for --log-config, --log-syslog or logconfig_dict below. A
# logger's filter stays through all of these, and each worker inherits it from the master.
for name in ("gunicorn.error", "gunicorn.access"):
    logging.getLogger(name).addFilter(PASSWORDS_MASKED)

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
