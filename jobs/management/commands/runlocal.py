"""Run the whole site locally: web server, Celery worker and Celery beat in one command.

With --demo it also starts the fake Greenhouse from the tests' support code with sample boards,
connects the three demo organizations of DEMO_BOARDS to it and makes a demo admin of them with a
freshly generated password, so a newcomer sees jobs arrive without any internet access.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from jobs.connections import SyncInProgress, check_board, connection_save
from jobs.models import Membership, Organization
from jobs.scheduling import enqueue_due_syncs
from jobs.text import without_direction_controls
from orgsite.env import env_int

DEMO_BOARDS = {"acme": "acme-robotics", "liberte": "liberte-sante", "tiny": "tiny-co"}
# Ctrl-C, a process manager's or `timeout`'s SIGTERM, a closed terminal's SIGHUP.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Asked to stop, a Celery worker takes several seconds to end its warm shutdown (6 to 9 s alone
# on a loaded 2-core machine: 10 s killed workers stopping cleanly); a process still running
# after this is killed with whatever it started.
STOP_GRACE_SECONDS = 30.0
# The line tests/support/fake_greenhouse.py prints once it listens.
SERVING_AT = re.compile(r"^Fake Greenhouse serving at (http://\S+)")


def port_number(text: str) -> int:
    # Any refusal raises ArgumentTypeError, whose message argparse shows instead of its own:
    # that one echoes the value in full, however long (a 5,000-digit one included).
    shown = repr(text) if len(text) <= 10 else f"a value of {len(text)} characters"
    try:
        port = int(text) if len(text) <= 10 else 0
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number between 1 and 65535, not {shown}")
    return port


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As the web server binds: a port left in TIME_WAIT by a previous run counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def stop_signals_noted() -> Iterator[list[int]]:
    """Note STOP_SIGNALS in the list yielded instead of raising, so that neither starting the
    processes nor stopping them is cut short (a second Ctrl-C in the middle of stopping would
    leave the rest running); the previous handlers come back afterwards."""
    received: list[int] = []
    previous = {
        number: signal.signal(number, lambda number, _frame: received.append(number))
        for number in STOP_SIGNALS
    }
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat (and, with --demo, demo data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port",
            type=port_number,
            default=env_int("PORT", 8000, minimum=1, maximum=65535),
            help="the site's port on 127.0.0.1 (default: the PORT variable, else 8000)",
        )
        parser.add_argument("--demo", action="store_true", help="serve sample Greenhouse boards")

    def handle(self, *args: object, **options: object) -> None:
        # Before anything else: a second run must not reset the first one's demo password or
        # start a second worker and beat, only to find the port taken.
        if not port_is_free(options["port"]):
            raise CommandError(
                f"Port {options['port']} is in use (is orgsite already running?). Stop that, "
                "or choose another port: PORT=8001 make run"
            )
        call_command("migrate", interactive=False, verbosity=0)
        # The worker builds the links in sync emails (SITE_URL) from the site's port.
        env = {**os.environ, "PORT": str(options["port"])}
        if options["pythonpath"]:
            # --settings reaches them in DJANGO_SETTINGS_MODULE, which Django sets; --pythonpath
            # Django puts on this process's sys.path alone (as given: runserver runs elsewhere).
            given = [os.path.abspath(options["pythonpath"]), env.get("PYTHONPATH")]
            env["PYTHONPATH"] = os.pathsep.join(filter(None, given))
        processes: list[subprocess.Popen] = []
        base = Path(settings.BASE_DIR)
        with stop_signals_noted() as stop_signals:
            try:
                if options["demo"]:
                    # On a port the system picks as it binds: one picked here and handed over
                    # could be taken by another process in between.
                    fake = self._start(
                        processes,
                        [sys.executable, "-m", "tests.support.fake_greenhouse", "--port", "0"],
                        cwd=base,
                        stdout=subprocess.PIPE,
                        text=True,
                    )
                    api_base = self._url_served_by(fake)
                    env["GREENHOUSE_API_BASE"] = settings.GREENHOUSE_API_BASE = api_base
                    password, demo_jobs_json = self._create_demo_data()
                celery = [sys.executable, "-m", "celery", "-A", "orgsite"]
                self._start(processes, [*celery, "worker", "--loglevel=INFO"], env=env)
                self._start(processes, [*celery, "beat", "--loglevel=INFO"], env=env)
                self._start(
                    processes,
                    [sys.executable, "manage.py", "runserver", f"127.0.0.1:{options['port']}"],
                    cwd=base,
                    env=env,
                )
                if options["demo"]:
                    enqueue_due_syncs()
                    # Not as runserver starts: it binds the port seconds later, and the link
                    # opened at once was refused.
                    if self._site_listens(options["port"], processes, stop_signals):
                        self._print_welcome(options["port"], password, demo_jobs_json)
                stopped = self._wait(processes, stop_signals)
            finally:
                self._stop(processes)
        if stopped is not None:
            raise CommandError(
                f"`{' '.join(map(str, stopped.args[1:]))}` stopped (exit code "
                f"{stopped.returncode}); everything else was stopped too."
            )

    def _create_demo_data(self) -> tuple[str, str]:
        """The demo admin's password, made for this run, and the address of the first demo org's
        jobs as JSON: at its slug as the database has it ("Acme", saved before slugs had to be
        lowercase, where /orgs/acme/jobs.json answers 404)."""
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(
            username="demo", defaults={"email": "demo@example.com"}
        )
        user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        organizations = []
        for slug, token in DEMO_BOARDS.items():
            board = check_board(token)
            # In any case: a local database's "Acme", saved before slugs had to be lowercase,
            # is the demo's "acme", which the database refuses beside it (migration jobs 0070).
            organization, _ = Organization.objects.get_or_create(
                slug__in_any_case=slug, defaults={"slug": slug, "name": board.name}
            )
            try:
                connection_save(organization=organization, board=board)
            except SyncInProgress as exc:
                # Connected to another board since, whose sync runs (or a worker stopped mid-sync
                # holds its lease): the demo starts all the same, the org on that board.
                kept = exc.connection.board_token
                said = (
                    f"{exc.message} The demo starts with {organization.name} still on the "
                    f"board {kept}."
                )
                # Names the org, as the project's commands say names (jobs.management.base).
                self.stderr.write(self.style.WARNING(without_direction_controls(said)))
            Membership.objects.get_or_create(
                organization=organization, user=user, defaults={"role": Membership.Role.ADMIN}
            )
            organizations.append(organization)
        return password, reverse("jobs:org_jobs_json", args=[organizations[0].slug])

    def _print_welcome(self, port: int, password: str, jobs_json: str) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  orgsite is running at http://127.0.0.1:{port}/\n"
                f"  Sign in as 'demo' with the password {password}\n"
                f"  (generated for this run; admin at http://127.0.0.1:{port}/admin/)\n"
                f"  Demo jobs as JSON: http://127.0.0.1:{port}{jobs_json}\n"
                "  Press Ctrl-C to stop.\n"
            )
        )

    def _url_served_by(self, fake: subprocess.Popen, timeout: float = 10) -> str:
        """The URL in the fake Greenhouse's "serving at" line, printed once it listens. A thread
        echoes all it prints, so that its output never fills the pipe."""
        served: queue.Queue[str | None] = queue.Queue()

        def echo() -> None:
            for line in fake.stdout:
                self.stdout.write(line, ending="")
                if found := SERVING_AT.search(line):
                    served.put(found[1])
            served.put(None)  # it stopped

        threading.Thread(target=echo, name="fake-greenhouse-output", daemon=True).start()
        try:
            url = served.get(timeout=timeout)
        except queue.Empty:
            url = None
        if url is None:
            raise CommandError("The demo's fake Greenhouse did not start (its errors are above).")
        return url

    @staticmethod
    def _start(
        processes: list[subprocess.Popen], command: list[str], **kwargs: object
    ) -> subprocess.Popen:
        # Each in a process group of its own, so that a signal to runlocal's group (Ctrl-C, or
        # SIGTERM from a process manager) reaches runlocal alone and each process is then asked
        # to stop once, by _stop: a Celery worker's pool processes die on a SIGTERM of their
        # own, and the worker, finding them killed under it, hung in its warm shutdown.
        processes.append(subprocess.Popen(command, process_group=0, **kwargs))
        return processes[-1]

    @staticmethod
    def _site_listens(
        port: int, processes: list[subprocess.Popen], stop_signals: list[int]
    ) -> bool:
        """Once the site on `port` accepts connections (True), or as a process stops by itself
        or a stop signal comes (False)."""
        while not stop_signals and all(process.poll() is None for process in processes):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return True
            time.sleep(0.1)
        return False

    @staticmethod
    def _wait(
        processes: list[subprocess.Popen], stop_signals: list[int]
    ) -> subprocess.Popen | None:
        """Until a stop signal (None), or until a process stops by itself (that process)."""
        while not stop_signals:
            for process in processes:
                if process.poll() is not None:
                    return process
            time.sleep(0.2)
        return None

    def _stop(self, processes: list[subprocess.Popen]) -> None:
        """SIGTERM to each process still running, then, after STOP_GRACE_SECONDS, SIGKILL to
        the process group of any that has not stopped."""
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                self.stderr.write(
                    f"`{' '.join(map(str, process.args[1:]))}` did not stop within "
                    f"{STOP_GRACE_SECONDS:g} s: killed."
                )
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
