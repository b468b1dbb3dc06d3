"""The Celery application, in the layout of Celery's guide for Django."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orgsite.settings")

app = Celery("orgsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
