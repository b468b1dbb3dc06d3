"""The Celery application, in the layout of Celery's guide for Django."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from celery import Celery
from celery.signals import worker_ready

if TYPE_CHECKING:
    from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")

app = Celery("orgsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)


@worker_ready.connect
def broker_eviction_policy_warn(sender: Consumer, **_: object) -> None:
    """Once, as a worker starts: a broker Redis that evicts keys loses queued syncs silently."""
    # Not at the top: jobs.health imports this module, and models, which need Django set up.
    from jobs.health import broker_eviction_warning

    with sender.app.connection_for_write() as broker:
        warning = broker_eviction_warning(broker)
    if warning:
        logger.warning("%s", warning)
