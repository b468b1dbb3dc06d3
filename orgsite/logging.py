"""A log formatter that writes one JSON object per line, for log collectors (LOG_FORMAT=json)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

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
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # default=str: an extra that JSON cannot encode (a datetime, a model) is logged as text
        # rather than losing the whole line.
        return json.dumps(entry, default=str, ensure_ascii=False)


class FailedHealthProbeFilter(logging.Filter):
    """Leaves out django.request's "Service Unavailable: /healthz" line: jobs.health logs each
    failed probe with what failed, at WARNING; a load balancer probing every few seconds
    through an outage would write an ERROR line per probe on top."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        failed_probe = getattr(record, "status_code", None) == 503 and request is not None
        return not (failed_probe and request.path == "/healthz")
