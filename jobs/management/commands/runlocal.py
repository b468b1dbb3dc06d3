"""Run the whole site locally: web server, Celery worker and Celery beat in one command.

With --demo it also starts the fake Greenhouse from the tests' support code with sample boards,
connects a demo organization to it and creates a demo admin with a freshly generated password,
so a newcomer sees jobs arrive without any internet access.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.connections import check_board, connection_save
from jobs.models import Membership, Organization
from jobs.scheduling import enqueue_due_syncs
from orgsite.env import env_int

DEMO_BOARDS = {"acme": "acme-robotics", "liberte": "liberte-sante", "tiny": "tiny-co"}


def port_number(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is between 1 and 65535, not {port}")
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat (and, with --demo, demo data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=port_number, default=env_int("PORT", 8000, minimum=1, maximum=65535)
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
        processes: list[subprocess.Popen] = []
        base = Path(settings.BASE_DIR)
        try:
            if options["demo"]:
                fake_port = free_port()
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "tests.support.fake_greenhouse",
                         "--port", str(fake_port)],
                        cwd=base,
                    )
                )  # fmt: skip
                api_base = f"http://127.0.0.1:{fake_port}/v1"
                env["GREENHOUSE_API_BASE"] = settings.GREENHOUSE_API_BASE = api_base
                self._wait_for_port(fake_port)
                password = self._create_demo_data()
            celery = [sys.executable, "-m", "celery", "-A", "orgsite"]
            processes.append(subprocess.Popen([*celery, "worker", "--loglevel=INFO"], env=env))
            processes.append(subprocess.Popen([*celery, "beat", "--loglevel=INFO"], env=env))
            processes.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", f"127.0.0.1:{options['port']}"],
                    cwd=base,
                    env=env,
                )
            )
            if options["demo"]:
                enqueue_due_syncs()
                self._print_welcome(options["port"], password)
            stopped = self._wait(processes)
            if stopped is not None:
                raise CommandError(
                    f"`{' '.join(map(str, stopped.args[1:]))}` stopped (exit code "
                    f"{stopped.returncode}); everything else was stopped too."
                )
        finally:
            self._stop(processes)

    def _create_demo_data(self) -> str:
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(
            username="demo", defaults={"email": "demo@example.com"}
        )
        user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
        for slug, token in DEMO_BOARDS.items():
            board = check_board(token)
            organization, _ = Organization.objects.get_or_create(
                slug=slug, defaults={"name": board.name}
            )
            connection_save(organization=organization, board=board)
            Membership.objects.get_or_create(
                organization=organization, user=user, defaults={"role": Membership.Role.ADMIN}
            )
        return password

    def _print_welcome(self, port: int, password: str) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  orgsite is running at http://127.0.0.1:{port}/\n"
                f"  Sign in as 'demo' with the password {password}\n"
                f"  (generated for this run; admin at http://127.0.0.1:{port}/admin/)\n"
                f"  Demo jobs as JSON: http://127.0.0.1:{port}/orgs/acme/jobs.json\n"
                "  Press Ctrl-C to stop.\n"
            )
        )

    @staticmethod
    def _wait_for_port(port: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)

    @staticmethod
    def _wait(processes: list[subprocess.Popen]) -> subprocess.Popen | None:
        """Until Ctrl-C or SIGTERM (None), or until a process stops by itself (that process)."""
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while True:
                for process in processes:
                    if process.poll() is not None:
                        return process
                time.sleep(0.5)
        except KeyboardInterrupt:
            return None

    @staticmethod
    def _stop(processes: list[subprocess.Popen]) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
