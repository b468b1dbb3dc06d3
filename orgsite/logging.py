"""Logging: formatters that write one JSON object per line, for log collectors (LOG_FORMAT=json),
a handler that lets a Celery task's time limit through, and filters for Django's lines of
refusals that are no crash: a failed health probe's are left out (jobs.health logs its own), an
unknown host's and a permission denied's lose their traceback."""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from celery import current_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",  # Python 3.12+
}


class JsonFormatter(logging.Formatter):
    """time, level, logger and message, then the record's `extra` fields, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(extra_fields(record))
        # As logging's formatter: the text made once for the line (masked, by the site's
        # handlers), which each handler writes.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an extra that JSON cannot encode (a datetime, a model) is logged as text
        # rather than losing the whole line.
        return json.dumps(entry, default=str, ensure_ascii=False)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields of `record` that came from `extra=`, or that a filter gave it."""
    return {
        name: value
        for name, value in vars(record).items()
        if name not in _RECORD_ATTRIBUTES and not name.startswith("_")
    }


class TaskJsonFormatter(JsonFormatter):
    """JsonFormatter for Celery's task logger ("celery.task", to which get_task_logger's loggers
    write), with the id and name of the task that wrote the line as fields (task_id, task_name),
    as Celery's own formatter of that logger writes them into its plain lines."""

    def format(self, record: logging.LogRecord) -> str:
        if current_task:
            record.task_id, record.task_name = current_task.request.id, current_task.name
        return super().format(record)


class _TimeLimitStopping(logging.Handler):
    """A handler that lets a task's soft time limit (CELERY_TASK_SOFT_TIME_LIMIT), raised by the
    worker's signal as a line is written, stop the task: logging took it for a line that could
    not be written, printed its traceback and went on, and so did the task, past its limit,
    until it ended or the hard limit killed its process."""

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, SoftTimeLimitExceeded):
            raise error
        super().handleError(record)


class StreamHandler(_TimeLimitStopping, logging.StreamHandler):
    """logging's StreamHandler, which a task's time limit stops (a worker's standard error)."""


class WatchedFileHandler(_TimeLimitStopping, logging.handlers.WatchedFileHandler):
    """logging's WatchedFileHandler, which a task's time limit stops (a worker's --logfile)."""


def worker_handler(
    handler: logging.Handler, formatter: logging.Formatter | None = None
) -> logging.Handler:
    """A handler Celery set up as a worker or beat starts, to standard error or to the file of
    --logfile, as one of this module's: writing to the same stream or file, at the same level,
    through the same filters, formatted by `formatter` (None: as `handler` formats). A handler
    of any other class (this module's already, a NullHandler) is left as it is."""
    if type(handler) is logging.StreamHandler:
        replaced: logging.Handler = StreamHandler(handler.stream)
    elif type(handler) is logging.handlers.WatchedFileHandler:
        handler.close()
        replaced = WatchedFileHandler(
            handler.baseFilename, handler.mode, handler.encoding, errors=handler.errors
        )
    else:
        return handler
    replaced.setLevel(handler.level)
    replaced.setFormatter(formatter or handler.formatter)
    replaced.filters = handler.filters
    return replaced


class FailedHealthProbeFilter(logging.Filter):
    """Leaves out Django's own ERROR line for a failed /healthz probe (its 503): django.request's
    "Service Unavailable: /healthz" and runserver's access line (django.server). jobs.health
    logs each failed probe with what failed, at WARNING; a load balancer probing every few
    seconds through an outage would write an ERROR line per probe on top, and `make run` one at
    every start, until beat's first tick."""

    def filter(self, record: logging.LogRecord) -> bool:
        failed = getattr(record, "status_code", None) == 503
        return not (failed and _request_path(record) in ("/healthz", "/healthz/"))


class DatabaseUnavailableFilter(logging.Filter):
    """Leaves out Django's own ERROR lines, each with its traceback, for a page answered 503 as
    its database could not be connected to: orgsite.errors logs one WARNING per request, where
    Django logged one per middleware that met the failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        unavailable = hasattr(getattr(record, "request", None), "database_unavailable")
        return not (unavailable and getattr(record, "status_code", None) == 503)


class UnknownHostFilter(logging.Filter):
    """Writes Django's line for a request to a host not in DJANGO_ALLOWED_HOSTS as one WARNING,
    without its traceback: scanners and load balancers probing by address send such requests
    all day, and an ERROR with a traceback for each buried real errors. One line still shows a
    host missing from the setting."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


class PermissionDeniedFilter(logging.Filter):
    """Writes Django's line for a request refused with PermissionDenied (a staff account without
    a model's permission in the admin: "Forbidden (Permission denied): /admin/jobs/job/") without
    its traceback, and with the account's username: a refusal is the permissions working, and
    the traceback, only Django's code raising it, made each look like a crash. Who was refused
    what is all the line needs. Any other exception keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = record.exc_text = None
            user = getattr(getattr(record, "request", None), "user", None)
            username = user.get_username() if user is not None and user.is_authenticated else None
            record.msg = f"{record.msg} username=%r"
            record.args = (*(record.args or ()), username)
        return True


def _request_path(record: logging.LogRecord) -> str | None:
    request = getattr(record, "request", None)
    if hasattr(request, "path"):  # django.request's HttpRequest
        return request.path
    if record.name == "django.server" and record.args:
        # runserver's request is its socket; the path is in the request line, its first argument
        # ("GET /healthz HTTP/1.1").
        parts = str(record.args[0]).split()
        return urlsplit(parts[1]).path if len(parts) > 1 else None
    return None
