"""Static files under names that change with their content, so browsers keep them for ten years."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


def uncollected_static_files_warn() -> None:
    """Log a WARNING as a web process starts with no static files collected: its pages show
    unstyled until collectstatic has run and it restarts (it reads the manifest once), and
    nothing else said so. Debugging, runserver serves the files from where they are written."""
    if not settings.DEBUG and not staticfiles_storage.hashed_files:
        logger.warning(
            "static files not collected static_root=%s: pages show unstyled; run "
            "`manage.py collectstatic`, then restart the web processes",
            settings.STATIC_ROOT,
        )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, gzipped storage; a name collectstatic has not hashed stays as it is.

    WhiteNoise serves a hashed name as immutable for ten years, and a page after a deploy links
    the new name. Without a manifest (collectstatic not run yet, as in tests), pages link the plain
    names instead of failing; WhiteNoise serves those for a minute at a time.
    """

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # no manifest entry, or no file to hash
            if self.hashed_files:
                # collectstatic ran, so the name is a typo or a file added since: the page shows
                # without it rather than answering 500.
                logger.warning("static file not collected name=%s", name)
            return name
