"""`make run`'s command: a second run fails at once, a process that dies stops the rest, and a
stop signal stops them all."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager, nullcontext
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from jobs.management.commands import runlocal
from jobs.models import GreenhouseConnection, Organization
from jobs.sync import acquire_sync_lock
from orgsite.env import env_int
from tests.support import ports
from tests.support.helpers import make_connection
from tests.support.ports import PortTaken, on_a_free_port

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
    monkeypatch.setattr(runlocal, "port_is_free", lambda port: True)  # the stand-ins bind none

    with pytest.raises(CommandError, match="exit code 3"):
        call_command("runlocal", "--port", "8123")

    assert len(processes) == 3  # worker, beat, web
    assert all(process.poll() is not None for process in processes)


def test_a_process_that_ignores_its_sigterm_is_killed_after_the_grace_and_named(monkeypatch):
    """A worker hung in its shutdown must not hold `make run` (or a process manager's stop) for
    good: once the grace is over it is killed, with its process group, and named."""
    processes = []
    popen = subprocess.Popen

    def ignore_sigterm() -> None:  # in the child before exec, which keeps it ignored
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def stand_in(command, **kwargs):
        code = "raise SystemExit(0)" if "runserver" in command else "import time; time.sleep(600)"
        hangs = "worker" in command
        process = popen(
            [sys.executable, "-c", code],
            process_group=kwargs["process_group"],
            preexec_fn=ignore_sigterm if hangs else None,
        )
        processes.append(process)
        return process

    monkeypatch.setattr(runlocal.subprocess, "Popen", stand_in)
    monkeypatch.setattr(runlocal, "port_is_free", lambda port: True)
    # Shorter than the real one; long enough for the beat stand-in to die on its SIGTERM.
    monkeypatch.setattr(runlocal, "STOP_GRACE_SECONDS", 5.0)
    errors = io.StringIO()

    try:
        with pytest.raises(CommandError):  # the stand-in site stopped
            call_command("runlocal", "--port", "8123", stderr=errors)
    finally:  # runlocal failing to kill it, the stand-in would outlive the test
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)

    worker, beat, _ = processes
    assert worker.returncode == -signal.SIGKILL
    assert beat.returncode == -signal.SIGTERM  # stopped when asked: not killed
    assert errors.getvalue().splitlines() == [
        "`-c import time; time.sleep(600)` did not stop within 5 s: killed."
    ]


def environments_given(monkeypatch, *arguments: str) -> list[dict[str, str]]:
    """The environments runlocal `arguments` starts its worker, beat and site with, each a
    stand-in, the site's stopping at once."""
    environments = []
    popen = subprocess.Popen

    def stand_in(command, **kwargs):
        environments.append(kwargs.get("env"))
        code = "raise SystemExit(0)" if "runserver" in command else "import time; time.sleep(60)"
        return popen([sys.executable, "-c", code])

    monkeypatch.setattr(runlocal.subprocess, "Popen", stand_in)
    monkeypatch.setattr(runlocal, "port_is_free", lambda port: True)

    with pytest.raises(CommandError):  # the stand-in site stopped
        call_command("runlocal", *arguments)
    return environments


def test_the_worker_and_beat_are_told_the_sites_port(monkeypatch):
    """The worker links to the site in sync emails (SITE_URL's local default reads PORT)."""
    environments = environments_given(monkeypatch, "--port", "8123")

    assert [environment["PORT"] for environment in environments] == ["8123"] * 3


def test_the_worker_beat_and_site_are_given_the_directory_of_pythonpath(monkeypatch, tmp_path):
    """They had the module of --settings (DJANGO_SETTINGS_MODULE) but not --pythonpath, the
    directory it may be in, and stopped on importing it."""
    monkeypatch.setenv("PYTHONPATH", "/already/there")
    monkeypatch.chdir(tmp_path)  # runserver runs in the checkout: a relative path is made whole

    environments = environments_given(monkeypatch, "--pythonpath", "local_settings")

    expected = f"{tmp_path / 'local_settings'}{os.pathsep}/already/there"
    assert [environment["PYTHONPATH"] for environment in environments] == [expected] * 3


def demo_run(
    monkeypatch, served_at: str, *, site_listens: bool = True, stopped_by_ctrl_c: bool = False
) -> tuple[str, list[list[str]], list[dict | None]]:
    """What `runlocal --demo` prints, with the commands it starts and their environments: the
    fake Greenhouse a stand-in saying it serves at `served_at`, the site one that stops once it
    has taken a connection on the site's port (at once if not `site_listens`; if
    `stopped_by_ctrl_c`, it instead sends runlocal a Ctrl-C, then waits), and the worker and
    beat ones that wait."""
    commands, environments = [], []
    popen = subprocess.Popen
    # Listening here from the start, whatever the site's stand-in does: runlocal's connection
    # then waits for its accept(). One the stand-in bound itself could be taken after its pick.
    site = socket.socket()
    site.bind(("127.0.0.1", 0))
    if site_listens:
        site.listen()

    def stand_in(command, **kwargs):
        commands.append(command)
        environments.append(kwargs.get("env"))
        if "tests.support.fake_greenhouse" in command:  # one already serving: the fixture's
            code = f"print('Fake Greenhouse serving at {served_at}', flush=True)"
            return popen([sys.executable, "-c", f"{code}; import time; time.sleep(60)"], **kwargs)
        if "runserver" in command:
            fd = site.fileno()
            code = f"import socket; socket.socket(fileno={fd}).accept()" if site_listens else ""
            if stopped_by_ctrl_c:
                code = (
                    "import os, signal, time; os.kill(os.getppid(), signal.SIGINT); time.sleep(600)"
                )
            return popen([sys.executable, "-c", code], pass_fds=[fd])
        return popen([sys.executable, "-c", "import time; time.sleep(60)"])

    monkeypatch.setattr(runlocal.subprocess, "Popen", stand_in)
    monkeypatch.setattr(runlocal, "port_is_free", lambda port: True)
    output = io.StringIO()

    port = str(site.getsockname()[1])
    # The stand-in site stops, unless Ctrl-C stops them all first.
    stops = nullcontext() if stopped_by_ctrl_c else pytest.raises(CommandError, match="exit code 0")
    with site, stops:
        call_command("runlocal", "--demo", "--port", port, stdout=output)
    return output.getvalue(), commands, environments


@pytest.mark.parametrize("site_listens", [True, False], ids=["listens", "stops-first"])
def test_the_demo_says_the_site_runs_once_it_accepts_connections(
    monkeypatch, fake_greenhouse, site_listens
):
    """runserver binds its port seconds after it starts: the link printed at its start, opened
    at once, was refused. A site that stops before it listens is never said to run."""
    output, _, _ = demo_run(monkeypatch, fake_greenhouse.base_url, site_listens=site_listens)

    assert ("orgsite is running at http://127.0.0.1:" in output) == site_listens
    assert ("Sign in as 'demo' with the password" in output) == site_listens


def test_ctrl_c_before_the_site_listens_stops_the_demo_without_saying_it_runs(
    monkeypatch, fake_greenhouse
):
    """runserver's reloader lives on while its site fails to start (a syntax error), never
    listening: Ctrl-C, which the processes' own groups do not get, must end the wait."""
    output, _, _ = demo_run(
        monkeypatch, fake_greenhouse.base_url, site_listens=False, stopped_by_ctrl_c=True
    )

    assert "orgsite is running at" not in output


def test_the_demo_reads_its_fake_greenhouses_address_from_what_it_prints(
    monkeypatch, fake_greenhouse
):
    """The fake Greenhouse binds a port of its own choosing and says which: a port picked for
    it beforehand could be taken by another process before it bound it."""
    served_at = fake_greenhouse.base_url

    output, commands, environments = demo_run(monkeypatch, served_at)

    assert commands[0][-2:] == ["--port", "0"]
    assert f"serving at {served_at}" in output
    assert [env["GREENHOUSE_API_BASE"] for env in environments[1:]] == [served_at] * 3
    assert Organization.objects.filter(slug__in=runlocal.DEMO_BOARDS).count() == 3


@pytest.mark.parametrize("name", ["Acme Robotics", "\u202eAcme Robotics"], ids=["plain", "rlo"])
def test_the_demo_data_says_a_sync_of_another_board_keeps_it_and_goes_on(fake_greenhouse, name):
    """An org of the demo connected to another board, whose sync runs (a worker stopped
    mid-sync holds its lease): runlocal stopped with a traceback (SyncInProgress). Its name
    without the direction controls it could leave open, as commands say names (a right-to-left
    override showed the rest of the line reversed in a terminal that orders text both ways)."""
    acquire_sync_lock(make_connection("acme", "tiny-co", name=name))
    command = runlocal.Command(stdout=io.StringIO(), stderr=io.StringIO())

    command._create_demo_data()

    said = command.stderr.getvalue()
    assert said.startswith("A sync of Acme Robotics is running right now, so its board was not")
    assert said.endswith(". The demo starts with Acme Robotics still on the board tiny-co.\n")
    assert GreenhouseConnection.objects.get(organization__slug="acme").board_token == "tiny-co"
    demo = User.objects.get(username="demo")
    assert (
        Organization.objects.filter(slug__in=runlocal.DEMO_BOARDS, memberships__user=demo).count()
        == 3
    )


def test_the_demo_data_takes_an_org_saved_with_capitals_as_its_own(fake_greenhouse):
    """A local database's "Acme", saved before slugs had to be lowercase: the demo's "acme" is
    the same address in any case, which the database refuses beside it (migration jobs 0070).
    runlocal stopped with a traceback (IntegrityError); the demo now connects that org."""
    Organization.objects.create(name="Acme", slug="Acme")
    command = runlocal.Command(stdout=io.StringIO(), stderr=io.StringIO())

    command._create_demo_data()

    assert sorted(Organization.objects.values_list("slug", flat=True)) == [
        "Acme",
        "liberte",
        "tiny",
    ]
    connection = GreenhouseConnection.objects.get(organization__slug="Acme")
    assert connection.board_token == runlocal.DEMO_BOARDS["acme"]
    assert connection.organization.memberships.get().user.username == "demo"


def test_the_demo_links_the_jobs_json_of_the_org_it_took_as_its_own(
    monkeypatch, fake_greenhouse, client
):
    """Of a local database's "Acme" (saved before slugs had to be lowercase), which the demo
    connects as its "acme": the link it printed, /orgs/acme/jobs.json, answered 404."""
    Organization.objects.create(name="Acme", slug="Acme")

    output, _, _ = demo_run(monkeypatch, fake_greenhouse.base_url)

    (link,) = re.findall(r"Demo jobs as JSON: http://127\.0\.0\.1:\d+(/\S+)", output)
    assert link == "/orgs/Acme/jobs.json"
    response = client.get(link)
    assert response.status_code == 200
    assert response.json()["organization"]["slug"] == "Acme"


def test_the_fake_greenhouse_on_port_0_prints_the_line_the_demo_reads():
    fake = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_greenhouse", "--port", "0"],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        served = runlocal.SERVING_AT.search(fake.stdout.readline())
        assert served, "no 'serving at' line first"
        with urllib.request.urlopen(f"{served[1]}/boards/acme-robotics", timeout=5) as board:
            assert json.load(board)["name"] == "Acme Robotics"
    finally:
        fake.terminate()
        fake.communicate(timeout=10)


def test_the_demo_stops_if_its_fake_greenhouse_does(monkeypatch):
    started = []
    popen = subprocess.Popen

    def stand_in(command, **kwargs):
        started.append(command)
        return popen([sys.executable, "-c", "raise SystemExit(1)"], **kwargs)

    monkeypatch.setattr(runlocal.subprocess, "Popen", stand_in)
    monkeypatch.setattr(runlocal, "port_is_free", lambda port: True)

    with pytest.raises(CommandError, match="fake Greenhouse did not start"):
        call_command("runlocal", "--demo")

    assert len(started) == 1 and not User.objects.filter(username="demo").exists()


def test_a_port_out_of_range_is_refused_by_name(monkeypatch):
    with pytest.raises(CommandError, match="between 1 and 65535"):
        call_command("runlocal", "--port", "70000")
    with pytest.raises(CommandError, match="between 1 and 65535, not 'eighty'"):
        call_command("runlocal", "--port", "eighty")
    monkeypatch.setenv("PORT", "70000")
    with pytest.raises(
        ImproperlyConfigured, match="PORT must be a whole number from 1 to 65535, not 7"
    ):
        env_int("PORT", 8000, minimum=1, maximum=65535)


def test_a_port_thousands_of_digits_long_is_refused_in_a_short_message():
    """Past 4,300 digits int() refuses it too, and argparse's message echoed all of it."""
    with pytest.raises(CommandError) as refused:
        call_command("runlocal", "--port", "8" * 5000)

    assert "between 1 and 65535, not a value of 5000 characters" in str(refused.value)
    assert len(str(refused.value)) < 200


@pytest.mark.parametrize(("text", "port"), [("1", 1), ("65535", 65535), ("0000008080", 8080)])
def test_a_port_is_taken_from_1_to_65535_in_up_to_ten_characters(text, port):
    assert runlocal.port_number(text) == port


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("0", "'0'"),
        ("65536", "'65536'"),
        ("0000070000", "'0000070000'"),
        ("00000008080", "a value of 11 characters"),
    ],
)
def test_a_port_out_of_range_or_past_ten_characters_is_refused(text, shown):
    """Past ten characters no port is read, leading zeros or not: the value is not shown."""
    with pytest.raises(CommandError, match=f"between 1 and 65535, not {shown}$"):
        call_command("runlocal", "--port", text)


def test_the_port_is_8000_or_that_of_the_environment_up_to_65535(monkeypatch):
    def port_taken() -> int:
        parser = runlocal.Command().create_parser("manage.py", "runlocal")
        return parser.parse_args([]).port

    monkeypatch.delenv("PORT", raising=False)
    assert port_taken() == 8000
    monkeypatch.setenv("PORT", "65535")
    assert port_taken() == 65535
    monkeypatch.setenv("PORT", "65536")
    with pytest.raises(
        ImproperlyConfigured, match="PORT must be a whole number from 1 to 65535, not 65536"
    ):
        port_taken()


def processes_in_session(session: int) -> list[int]:
    """The processes, zombies aside, of a session: runlocal's and every one it started."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and os.getsid(int(entry.name)) == session:
                stat = (entry / "stat").read_text()
                if stat[stat.rindex(")") + 2] != "Z":
                    found.append(int(entry.name))
        except (ProcessLookupError, FileNotFoundError):
            pass  # ended meanwhile
    return found


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, for runlocal to start on a copy of: its own
    `migrate` then finds nothing to do, where it took seconds on a new file each time."""
    folder = tmp_path_factory.mktemp("migrated")
    env = {**os.environ, "ORGSITE_VAR_DIR": str(folder)}
    env["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=120,
    )
    return folder / "db.sqlite3"


@contextmanager
def runlocal_running(
    folder: Path, migrated_database: Path
) -> Iterator[tuple[subprocess.Popen, int, Path]]:
    """`manage.py runlocal` on a copy of `migrated_database`, its files in `folder`, in a session
    of its own, once its worker is ready and its site answers: (the process, its port, its
    output). Whatever of it still runs at the end is killed."""
    started: list[subprocess.Popen] = []
    folder.mkdir(exist_ok=True)
    database = folder / "db.sqlite3"
    # Through SQLite, which copies what the file's write-ahead log holds too.
    with (
        closing(sqlite3.connect(migrated_database)) as source,
        closing(sqlite3.connect(database)) as copy,
    ):
        source.backup(copy)

    def start(port: int) -> tuple[subprocess.Popen, int, Path]:
        env = {
            **os.environ,
            "PORT": str(port),
            "ORGSITE_VAR_DIR": str(folder),
            "DATABASE_URL": f"sqlite:///{database}",
            "CELERY_BROKER_URL": "filesystem://",
        }
        output = folder / f"runlocal-{port}.log"
        with output.open("w") as log:
            site = subprocess.Popen(
                [sys.executable, "manage.py", "runlocal", "--port", str(port)],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own to signal, as a terminal gives it
            )
        started.append(site)
        deadline = time.monotonic() + 120  # a start under load has taken over 30 s
        while not ("ready." in output.read_text() and site_answers(port, output)):
            if site.poll() is not None:
                # Taken after it was picked: runlocal's own check says "Port N is in use",
                # runserver's "That port is already in use".
                if "in use" in output.read_text():
                    raise PortTaken(port)
                pytest.fail(output.read_text())
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.25)
        return site, port, output

    try:
        yield on_a_free_port(start)
    finally:
        for site in started:
            for pid in processes_in_session(site.pid):
                os.kill(pid, signal.SIGKILL)
            site.wait()


def site_answers(port: int, output: Path) -> bool:
    """Whether runlocal's web server answers on `port`, not a process that took the port: the
    request is one that runserver's access line, in runlocal's output, names."""
    path = f"/robots.txt?probe={secrets.token_hex(8)}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", path)
        connection.getresponse().read()
    except OSError:
        return False
    finally:
        connection.close()
    return path in output.read_text()


# Its own waits fail with runlocal's output, where pytest's 120 s, less than one start's wait,
# cut them short: on a loaded 2-core machine the module's migrate took 46 s, and the two runs'
# starts and stops 97 s.
@pytest.mark.timeout(360)
def test_sigterm_stops_every_process_cleanly(monkeypatch, tmp_path, migrated_database):
    """SIGTERM is how a process manager, `timeout` or `docker stop` ends `make run`. Sent to the
    whole group, it also reached the worker's pool processes, which die on it (they ignore only
    Ctrl-C's SIGINT): the worker logged them as lost and hung in its warm shutdown. A second
    SIGTERM while stopping made runlocal exit with the worker still running.

    Each way is tried on a run of its own, the two side by side, so that they stop together:
    the worker's warm shutdown takes seconds. The first run also shows that runlocal is started
    again on another port if another process takes its port between its pick and runlocal's
    start: here a socket takes the first port picked (a run of its own took seconds more)."""
    picks: list[int] = []
    pick = ports.free_port
    with socket.socket() as other, ExitStack() as running:

        def pick_then_take() -> int:
            picks.append(pick())
            if len(picks) == 1:
                other.bind(("127.0.0.1", picks[0]))
                other.listen()
            return picks[-1]

        monkeypatch.setattr(ports, "free_port", pick_then_take)
        group = running.enter_context(runlocal_running(tmp_path / "group", migrated_database))
        alone = running.enter_context(runlocal_running(tmp_path / "alone", migrated_database))

        assert group[1] == picks[1] != picks[0]
        taken_log = tmp_path / "group" / f"runlocal-{picks[0]}.log"
        assert f"Port {picks[0]} is in use" in taken_log.read_text()

        os.killpg(group[0].pid, signal.SIGTERM)
        os.kill(alone[0].pid, signal.SIGTERM)
        # The second comes while runlocal stops its processes: once its worker, which only
        # runlocal asks to stop, says it is stopping.
        deadline = time.monotonic() + 60
        while "worker: Warm shutdown" not in alone[2].read_text():
            assert time.monotonic() < deadline, alone[2].read_text()
            time.sleep(0.05)
        os.kill(alone[0].pid, signal.SIGTERM)

        for how, (site, _, output) in {
            "to its process group": group,
            "to it alone, twice": alone,
        }.items():
            # Past runlocal's grace, by which it kills what did not stop (and says so).
            stopped_by = runlocal.STOP_GRACE_SECONDS + 30
            assert site.wait(timeout=stopped_by) == 0, f"{how}: {output.read_text()}"
            assert processes_in_session(site.pid) == [], f"{how}: {output.read_text()}"
            # No pool process killed under the worker, and none needed killing.
            assert "signal 15" not in output.read_text(), how
            assert "did not stop" not in output.read_text(), how
