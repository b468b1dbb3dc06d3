"""A task for the log tests' workers, which import this module (`--include`): it writes a line
through a task logger (get_task_logger's, which Celery's task logger "celery.task" writes), and
one of jobs.greenhouse naming a proxy's address with its password, which that logger masks, and
prints one (to the worker's standard error, which Celery makes the logger "celery.redirected"'s),
which the worker's handlers mask."""

from __future__ import annotations

from celery import shared_task
from celery.utils.log import get_task_logger

from jobs.greenhouse import logger as greenhouse_logger

task_logger = get_task_logger(__name__)

PASSWORD = "s3cret"


@shared_task
def lines_log() -> None:
    task_logger.warning("a task logger's line")
    greenhouse_logger.warning("a greenhouse line url=%s", f"http://sync:{PASSWORD}@proxy:3128")
    print(f"a printed line url=http://sync:{PASSWORD}@proxy:3128")
