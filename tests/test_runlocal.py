"""`make run`'s command: a second run fails at once, and a process that dies stops the rest."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from jobs.management.commands import runlocal
from orgsite.env import env_int

pytestmark = pytest.mark.django_db


def test_a_port_in_use_stops_it_before_it_starts_anything(monkeypatch):
    started = []
    monkeypatch.setattr(runlocal.subprocess, "Popen", lambda *a, **k: started.append(a))
    with socket.socket() as first_run:
        first_run.bind(("127.0.0.1", 0))
        first_run.listen()
        port = first_run.getsockname()[1]

        with pytest.raises(CommandError, match=f"Port {port} is in use"):
            call_command("runlocal", "--demo", "--port", str(port))

    assert started == [] and not User.objects.filter(username="demo").exists()


def test_a_process_that_stops_by_itself_stops_the_others_and_fails(monkeypatch):
    """runserver failing (say, on a bad setting) must not leave a worker and beat behind, nor
    exit 0 as if all were well."""
    processes = []
    popen = subprocess.Popen  # runlocal's subprocess is this module: patched below

    def stand_in(command, **kwargs):
        code = "raise SystemExit(3)" if "runserver" in command else "import time; time.sleep(60)"
        process = popen([sys.executable, "-c", code])
        processes.append(process)
        return process

    monkeypatch.setattr(runlocal.subprocess, "Popen", stand_in)

    with pytest.raises(CommandError, match="exit code 3"):
        call_command("runlocal", "--port", str(runlocal.free_port()))

    assert len(processes) == 3  # worker, beat, web
    assert all(process.poll() is not None for process in processes)


def test_the_worker_and_beat_are_told_the_sites_port(monkeypatch):
    """The worker links to the site in sync emails (SITE_URL's local default reads PORT)."""
    environments = []
    popen = subprocess.Popen

    def stand_in(command, **kwargs):
        environments.append(kwargs.get("env"))
        code = "raise SystemExit(0)" if "runserver" in command else "import time; time.sleep(60)"
        return popen([sys.executable, "-c", code])

    monkeypatch.setattr(runlocal.subprocess, "Popen", stand_in)
    port = runlocal.free_port()

    with pytest.raises(CommandError):  # the stand-in site stops at once
        call_command("runlocal", "--port", str(port))

    assert [environment["PORT"] for environment in environments] == [str(port)] * 3


def test_a_port_out_of_range_is_refused_by_name(monkeypatch):
    with pytest.raises(CommandError, match="between 1 and 65535"):
        call_command("runlocal", "--port", "70000")
    monkeypatch.setenv("PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="PORT must be at most 65535"):
        env_int("PORT", 8000, minimum=1, maximum=65535)
