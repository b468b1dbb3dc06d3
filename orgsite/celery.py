"""The Celery application, in the layout of Celery's guide for Django."""

from __future__ import annotations

import atexit
import logging
import os
from typing import TYPE_CHECKING

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    worker_init,
    worker_ready,
)
from celery.utils.log import get_multiprocessing_logger
from django.conf import settings

from orgsite.env import settings_loaded_or_exit
from orgsite.logging import JsonFormatter, TaskJsonFormatter, worker_handler

if TYPE_CHECKING:
    from celery.beat import Service
    from celery.worker import WorkController
    from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")

app = Celery("orgsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@app.on_configure.connect
def settings_load(sender: Celery, **_: object) -> None:
    """Load Django's settings just before Celery reads its configuration from them (as `celery
    -A orgsite worker` reads its options), so that a value they refuse stops the command with its
    message alone; in the web process they are loaded already."""
    settings_loaded_or_exit()


@after_setup_logger.connect
def log_handlers_replace(logger: logging.Logger, **_: object) -> None:
    """As Celery sets up the logging of a worker or beat, each handler it gives the root logger
    (which writes a task's lines) and billiard's ("multiprocessing", which reports a pool process
    that died, and does not propagate), to standard error or to the file of --logfile, becomes
    one that lets a task's time limit through (orgsite.logging.worker_handler), writing JSON with
    LOG_FORMAT=json. Celery takes over the root logger's handlers with either format
    (CELERY_WORKER_HIJACK_ROOT_LOGGER, left true) so that --logfile holds every line. Beat sets
    up its logging alike; it runs no task, so there only the format matters. Each masks passwords
    in every line it writes, as the web process's does."""
    formatter = JsonFormatter() if settings.LOG_FORMAT == "json" else None
    for replaced in (logger, get_multiprocessing_logger()):
        replaced.handlers = _worker_handlers(replaced, formatter)


@after_setup_task_logger.connect
def task_log_handlers_replace(logger: logging.Logger, **_: object) -> None:
    """As log_handlers_replace, for Celery's task logger ("celery.task", which get_task_logger's
    loggers write to, not to the root's), with the task's id and name as fields in JSON."""
    formatter = TaskJsonFormatter() if settings.LOG_FORMAT == "json" else None
    logger.handlers = _worker_handlers(logger, formatter)


def _worker_handlers(
    logger: logging.Logger, formatter: logging.Formatter | None
) -> list[logging.Handler]:
    """`logger`'s handlers made the site's (worker_handler), each masking passwords in every
    line it writes, as the web process's handler does (settings.LOGGING)."""
    # Not at the top: `import orgsite`, as the settings load, would import the Greenhouse
    # client with it.
    from jobs.greenhouse import PASSWORDS_MASKED

    handlers = [worker_handler(handler, formatter) for handler in logger.handlers]
    for handler in handlers:
        handler.addFilter(PASSWORDS_MASKED)
    return handlers


@worker_ready.connect
def broker_memory_warn(sender: Consumer, **_: object) -> None:
    """Once, as a worker starts: a broker Redis that evicts keys loses queued syncs silently,
    and one nearly full will soon refuse them."""
    # Not at the top: jobs.health imports this module, and models, which need Django set up.
    from jobs.health import broker_memory_warning

    with sender.app.connection_for_write() as broker:
        warning = broker_memory_warning(broker)
    if warning:
        logger.warning("%s", warning)


@worker_init.connect
@beat_init.connect
def system_checks_run(sender: WorkController | Service, **_: object) -> None:
    """As the worker or beat starts, log the warnings of `manage.py check` and stop on its
    errors (the SystemExit passes Celery, which swallows an exception a signal handler raises)."""
    from orgsite.checks import startup_checks_run  # needs Django set up, as Celery has by now

    startup_checks_run()


@beat_init.connect
def beat_stop_log(sender: Service, **_: object) -> None:
    """Log a line as beat's process exits. Beat stops on SIGTERM or Ctrl-C without a word (it
    logs "beat: Shutting down..." only when stopped from code, and Celery sends no signal as it
    stops), so nothing in its log told a stop from a hang."""
    atexit.register(logger.info, "beat stopped")


@beat_init.connect
def dispatcher_first_tick_send(sender: Service, **_: object) -> None:
    """Send the dispatcher's first tick as beat starts. Beat sends a task one interval after it
    first knows of it, so a new deployment's /healthz failed for a minute ("the dispatcher has
    never run") and its due syncs waited as long. A restarted beat sends at once a tick it
    missed, and a second tick now changes nothing: each claims the syncs it queues.

    A broker down holds beat's start no longer than a web request's publish; any other error
    is left to Celery, which logs it with its traceback and goes on starting beat."""
    from jobs.scheduling import BROKER_ERRORS, PUBLISH_RETRY_POLICY
    from jobs.tasks import dispatch_due_syncs

    try:
        dispatch_due_syncs.apply_async(retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS as exc:  # beat's own ticks try again
        logger.warning("beat could not send the dispatcher's first tick error=%r", exc)
