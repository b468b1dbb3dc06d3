"""A task for the log tests' workers, which import this module (`--include`): it writes a line
through a task logger (get_task_logger's, which Celery's task logger "celery.task" writes)."""

from __future__ import annotations

from celery import shared_task
from celery.utils.log import get_task_logger

task_logger = get_task_logger(__name__)


@shared_task
def lines_log() -> None:
    task_logger.warning("a task logger's line")
