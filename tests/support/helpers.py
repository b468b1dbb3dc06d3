"""Helpers shared by test modules."""

from __future__ import annotations

import os
import socket

import pytest

from jobs.models import GreenhouseConnection, Organization

IN_CI = bool(os.environ.get("CI"))


def require_service(host: str, port: int, name: str) -> None:
    """Skip locally when a service is missing; in CI a missing service is a failure."""
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but not reachable at {host}:{port}")
        pytest.skip(f"{name} not reachable at {host}:{port}")


def make_connection(slug: str, board_token: str, *, name: str = "") -> GreenhouseConnection:
    organization = Organization.objects.create(name=name or slug.title(), slug=slug)
    return GreenhouseConnection.objects.create(
        organization=organization, board_token=board_token, board_name=name
    )
