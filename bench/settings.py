"""The site's settings plus a bench-only URLconf (adds the trivial "ceiling" view)."""

from orgsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
