"""Read orgsite/settings.py as it would be under other environment variables."""

from __future__ import annotations

import runpy
from typing import Any

import pytest
from django.conf import settings


def settings_under(**environ: str | None) -> dict[str, Any]:
    """The settings module's names, evaluated afresh with `environ` set, a None value unset
    (then as before again: Celery, for one, reads CELERY_BROKER_URL from the environment before
    its configuration)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        return runpy.run_path(str(settings.BASE_DIR / "orgsite" / "settings.py"))


def redis_broker_settings() -> dict[str, Any]:
    """The settings for a Redis broker (the tests themselves run on memory://)."""
    return settings_under(CELERY_BROKER_URL="redis://127.0.0.1:1/0")  # never connected to
