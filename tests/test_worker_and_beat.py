"""End to end: real `celery worker` and `celery beat` processes import a board.

Runs with Redis (required in CI) and with the filesystem transport that the quick start uses
when no broker is configured.
"""

from __future__ import annotations

import ast
import dbm
import dbm.dumb
import errno
import gc
import logging
import os
import re
import shelve
import sys
from pathlib import Path

import pytest
from celery import beat as celery_beat
from celery.schedules import crontab
from django.utils import timezone

from jobs.health import check_scheduler
from jobs.models import GreenhouseConnection, Job, SchedulerHeartbeat, SyncRun
from orgsite.beat import PersistentScheduler
from orgsite.celery import app as celery_app
from orgsite.env import running_account
from tests.support.helpers import make_connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
pytest_plugins = ["tests.support.celery_processes"]  # celery_processes

# Beat sends a dispatch as it starts, and its schedule the next ones; the tests wait for them.
DISPATCH_EVERY_SECONDS = "0.25"


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_worker_and_beat_import_a_board(broker, fake_greenhouse, celery_processes):
    connection = make_connection("acme", "acme-robotics", name="Acme Robotics")
    celery_processes.use_broker(broker)
    celery_processes.env.update(
        GREENHOUSE_API_BASE=fake_greenhouse.base_url,
        SYNC_DISPATCH_EVERY_SECONDS=DISPATCH_EVERY_SECONDS,
    )
    worker = celery_processes.start(
        "worker", "--concurrency=2", "--loglevel=INFO", f"--hostname=test-{broker}@%h"
    )
    beat = celery_processes.start(
        "beat", "--loglevel=INFO", f"--schedule={celery_processes.var_dir / 'beat-schedule'}"
    )
    celery_processes.wait_until_ready(worker)
    celery_processes.wait_until_beat_starts(beat)

    celery_processes.wait_for(
        lambda: SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCESS).exists()
    )
    celery_processes.stop()

    # Queued only as a sync loses the database, the task that frees a lease later is registered.
    worker_log = (celery_processes.var_dir / "worker-0.log").read_text()
    assert ". jobs.tasks.release_sync_lease" in worker_log
    # Kombu warned of a broker URL naming no host, as filesystem:// does, in the worker, its
    # pool processes and beat ("No hostname was supplied. Reverting to default 'localhost'").
    beat_log = (celery_processes.var_dir / "beat-0.log").read_text()
    assert "No hostname" not in worker_log + beat_log
    # The dispatcher sent the sync in a batch, which the worker queued.
    assert re.search(
        r"Task jobs\.tasks\.queue_claimed_syncs\[.*\] succeeded in .*: 1$", worker_log, re.M
    )
    run = SyncRun.objects.get(outcome=SyncRun.Outcome.SUCCESS)
    assert run.trigger == SyncRun.Trigger.SCHEDULE
    assert Job.objects.filter(organization=connection.organization, is_open=True).count() == len(
        fake_greenhouse.jobs("acme-robotics")
    )
    connection.refresh_from_db()
    assert connection.state == GreenhouseConnection.State.OK


def test_a_new_beat_has_the_dispatcher_tick_as_it_starts(celery_processes):
    """Not one interval (a minute) later, when it first sends it by its schedule: /healthz
    failed that minute on a new deployment, saying that the dispatcher had never run."""
    celery_processes.use_broker("filesystem")
    # Its schedule's tick an hour on: a minute's came within the test on a loaded machine, where
    # starting the worker and beat took most of it, and was seen as the tick beat sent.
    celery_processes.env.update(
        SYNC_DISPATCH_EVERY_SECONDS="3600", HEALTH_SCHEDULER_MAX_AGE_SECONDS="7200"
    )
    worker = celery_processes.start("worker", "--concurrency=1", "--loglevel=INFO")
    beat = celery_processes.start("beat", "--loglevel=INFO")  # a new schedule file
    celery_processes.wait_until_ready(worker)
    celery_processes.wait_until_beat_starts(beat)

    celery_processes.wait_for(SchedulerHeartbeat.objects.exists)

    assert check_scheduler(now=timezone.now()).ok
    assert "Sending due task dispatch-due-syncs" not in celery_processes.log_of(beat)


def test_beat_logs_that_it_stopped(celery_processes):
    """Celery's beat says nothing as SIGTERM stops it."""
    celery_processes.use_broker("filesystem")
    celery_processes.env.update(SYNC_DISPATCH_EVERY_SECONDS=DISPATCH_EVERY_SECONDS)
    beat = celery_processes.start("beat", "--loglevel=INFO")
    celery_processes.wait_until_beat_starts(beat)
    # Its first tick: by then it has started (signals sent, checks run).
    celery_processes.wait_for(lambda: "Sending due task" in celery_processes.logs())

    beat.terminate()
    beat.wait(timeout=celery_processes.work_timeout)

    assert beat.returncode == 0
    assert "INFO/MainProcess] beat stopped" in celery_processes.logs()


def test_beat_that_cannot_write_its_schedule_file_stops_saying_why(celery_processes):
    """An ORGSITE_VAR_DIR made by another account (a deploy's `migrate` run as root) is the
    usual cause. A path under a file fails the same way for root too, who may write anything."""
    celery_processes.use_broker("filesystem")
    not_a_directory = celery_processes.var_dir / "not-a-directory"
    not_a_directory.write_text("")
    beat = celery_processes.start("beat", f"--schedule={not_a_directory / 'celerybeat-schedule'}")

    beat.wait(timeout=celery_processes.start_timeout)  # it stops as its start ends

    logs = celery_processes.logs()
    assert beat.returncode == 4  # as on a refused setting: it was 1, as on any failure
    assert (
        f"beat cannot write its schedule file {not_a_directory / 'celerybeat-schedule'}: "
        "Not a directory. The account running beat ("
    ) in logs
    assert "must be able to write that file and its directory (ORGSITE_VAR_DIR" in logs
    assert "Removing corrupted schedule file" not in logs
    assert "Traceback" not in logs


# Errors a write of the schedule file meets, and what beat's line then says to do.
NO_ROOM = (
    "Make room on its filesystem, or in the disk quota of the account running beat ({account});"
    " the file is kept as it was."
)
CANNOT_WRITE = (
    "The account running beat ({account}) must be able to write that file and its "
    "directory (ORGSITE_VAR_DIR, by default)."
)
WRITE_REFUSED = {
    # The account's rights, or a path beat cannot make.
    **dict.fromkeys(
        (errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EISDIR), CANNOT_WRITE
    ),
    errno.ENOSPC: NO_ROOM,
    errno.EDQUOT: NO_ROOM,
    errno.EROFS: (
        "Its filesystem is mounted read-only: beat needs one it may write (ORGSITE_VAR_DIR, by "
        "default); the file is kept as it was."
    ),
    errno.EIO: (
        "Its disk or filesystem failed: see the system's log (dmesg), then start beat again;"
        " the file is kept as it was."
    ),
}
# What beat's line says it cannot do, where not the write: the open, or for an I/O error either.
CANNOT = {
    errno.EAGAIN: "open",
    errno.EMFILE: "open",
    errno.ENFILE: "open",
    errno.EIO: "read or write",
}


@pytest.mark.parametrize("holds_a_schedule", [True, False], ids=["schedule", "no schedule yet"])
@pytest.mark.parametrize("error", WRITE_REFUSED, ids=errno.errorcode.get)
def test_beat_stops_saying_why_on_a_dumb_dbm_file_whose_writes_are_refused(
    tmp_path, monkeypatch, caplog, holds_a_schedule, error
):
    """Python's own dbm (dbm.dumb: a Python without GNU dbm or ndbm, such as pyenv's builds)
    opens another account's file it may only read, so the first write failed instead: beat
    exited 1 with a traceback, and another as the shelf was closed at exit. Root may write
    any file, so the account's refusal is played by the write. A file of no schedule yet (a
    beat stopped as it made it) is written first where Celery takes a refused write for a
    corrupt file: it logged a traceback and deleted the other account's file. So it did on a
    full disk, a quota reached, a read-only mount or an I/O error, losing when each task last
    ran: the file is kept as it was."""
    schedule = str(tmp_path / "celerybeat-schedule")
    dbm.dumb.open(schedule, "c").close()  # Python's own dbm, which any Python has
    if holds_a_schedule:
        PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False).close()
    kept = {suffix: Path(schedule + suffix).read_bytes() for suffix in (".dat", ".dir")}

    def refuse(*args):  # a new error each time: one kept would keep the scheduler's frames
        raise OSError(error, os.strerror(error), f"{schedule}.dat")

    def refuse_index(database):  # in a directory it may not write either; none once closed
        if database._index is not None:
            refuse()

    monkeypatch.setattr(dbm.dumb._Database, "_setval", refuse)
    monkeypatch.setattr(dbm.dumb._Database, "_addval", refuse)
    monkeypatch.setattr(dbm.dumb._Database, "_commit", refuse_index)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    caplog.clear()

    with pytest.raises(SystemExit) as stopped:
        PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    status = stopped.value.code
    del stopped  # and with it the scheduler, whose shelf is closed as at exit
    gc.collect()

    assert status == 4  # as on a refused setting: it was 1, as on any failure
    assert [record.getMessage() for record in caplog.records] == [
        f"beat cannot {CANNOT.get(error, 'write')} its schedule file {schedule}: "
        f"{os.strerror(error)}. " + WRITE_REFUSED[error].format(account=running_account())
    ]
    assert unraisable == []
    assert {suffix: Path(schedule + suffix).read_bytes() for suffix in kept} == kept


# Errors opening the schedule file, and what beat's line then says to do.
OPEN_REFUSED = {
    errno.EAGAIN: (
        "Another beat has it open (GNU dbm locks it), and a second would send each periodic task "
        "twice: run one beat alone; the file is kept as it was."
    ),
    errno.EMFILE: (
        "Beat has as many files open as its limit allows: raise the limit of open files of the "
        "account running beat ({account}) (ulimit -n, systemd's LimitNOFILE=); the file is kept"
        " as it was."
    ),
    errno.ENFILE: (
        "The system has as many files open as it allows: raise its limit (the sysctl fs.file-max)"
        " or stop what holds them; the file is kept as it was."
    ),
    errno.EIO: WRITE_REFUSED[errno.EIO],
}


@pytest.mark.parametrize("error", OPEN_REFUSED, ids=errno.errorcode.get)
def test_a_beat_refused_its_schedule_file_as_it_opens_it_stops_and_keeps_it(
    tmp_path, monkeypatch, caplog, error
):
    """GNU dbm locks the file it opens: a second beat (one started before the last release's
    was stopped) was refused it with EAGAIN, which Celery took for a corrupt file: it deleted
    the running beat's file, made its own and ran beside it, each periodic task sent twice.
    So it did with the file refused for too many open files or an I/O error, losing when each
    task last ran. Python's own dbm has no lock, so the refusal is played by the open. The line
    says the open was refused and what to see to: it said "cannot write" for each, and for too
    many open files or an I/O error only "start beat again once its cause is seen to"."""
    schedule = str(tmp_path / "celerybeat-schedule")
    running = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    made = {path.name: path.stat().st_ino for path in tmp_path.iterdir()}

    def refuse(filename, *args):
        raise OSError(error, os.strerror(error), filename)

    monkeypatch.setattr(dbm, "open", refuse)
    caplog.clear()

    with pytest.raises(SystemExit) as stopped:
        PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    left = {path.name: path.stat().st_ino for path in tmp_path.iterdir()}
    running.close()

    assert stopped.value.code == 4  # as on a refused setting
    assert [record.getMessage() for record in caplog.records] == [
        f"beat cannot {CANNOT[error]} its schedule file {schedule}: {os.strerror(error)}. "
        + OPEN_REFUSED[error].format(account=running_account())
    ]
    assert left == made  # the running beat's files, none deleted


def warnings_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize("when", ["as it runs", "as it stops"])
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EDQUOT], ids=errno.errorcode.get)
def test_a_beat_refused_a_save_of_its_schedule_stops_saying_why_and_keeps_the_file(
    tmp_path, monkeypatch, caplog, error, when
):
    """A disk filled as beat ran: Celery's save of the schedule, every few minutes and as beat
    stops, ended it with a traceback from its run loop (and another as it saved again at its
    stop). It stops as when the file is refused at its start: one line, status 4, the file as
    last saved. Celery's run loop, in this process; the refusal played by the writes."""
    schedule = str(tmp_path / "celerybeat-schedule")
    dbm.dumb.open(schedule, "c").close()  # Python's own dbm, which any Python has
    monkeypatch.setattr(celery_beat.signals.beat_init, "send", lambda **_: [])  # orgsite's
    service = celery_beat.Service(
        app=celery_app,
        scheduler_cls=PersistentScheduler,
        schedule_filename=schedule,
        max_interval=0.01,  # a save at its first wake
    )
    assert service.scheduler  # started: its file set up and saved
    kept = {suffix: Path(schedule + suffix).read_bytes() for suffix in (".dat", ".dir")}

    def refuse(*args):  # a new error each time: one kept would keep the scheduler's frames
        raise OSError(error, os.strerror(error), f"{schedule}.dat")

    monkeypatch.setattr(dbm.dumb._Database, "_setval", refuse)
    monkeypatch.setattr(dbm.dumb._Database, "_addval", refuse)

    def refuse_index(database):  # none once closed
        if database._index is not None:
            refuse()

    for write_index in ("sync", "_commit"):  # sync is _commit, bound as dbm.dumb was read
        monkeypatch.setattr(dbm.dumb._Database, write_index, refuse_index)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    if when == "as it stops":
        service.stop()
    caplog.clear()

    with pytest.raises(SystemExit) as stopped:
        service.start()
    status = stopped.value.code
    del stopped, service  # and with them the scheduler, its shelf closed as at exit
    gc.collect()

    assert status == 4  # as on a refused setting: it was 1, with Celery's traceback
    assert warnings_logged(caplog) == [
        f"beat cannot write its schedule file {schedule}: {os.strerror(error)}. "
        + NO_ROOM.format(account=running_account())
    ]
    assert not [record for record in caplog.records if record.exc_info]
    assert unraisable == []
    assert {suffix: Path(schedule + suffix).read_bytes() for suffix in kept} == kept


def test_a_beat_whose_index_was_refused_as_it_closed_stops_and_reads_it_back_as_saved(
    tmp_path, monkeypatch, caplog
):
    """Python's own dbm writes its index (the .dir) anew at each save, the one before kept as
    .bak. A save refused as beat closed the file, its own saves having gone through (another
    process filling the disk between them), left the .dir empty and the index in the .bak,
    which dbm.dumb never reads: the next start made the schedule again, when each task last ran
    lost. Beat stops saying why, and its next start puts the .bak back. The refusal is played
    as the disk's would be: the .dir made empty, then its write refused."""
    schedule = str(tmp_path / "celerybeat-schedule")
    dbm.dumb.open(schedule, "c").close()  # Python's own dbm, which any Python has
    monkeypatch.setattr(celery_beat.signals.beat_init, "send", lambda **_: [])  # orgsite's
    service = celery_beat.Service(
        app=celery_app, scheduler_cls=PersistentScheduler, schedule_filename=schedule
    )
    ours = celery_app.conf.beat_schedule  # Celery's own entry is made again at each start
    for name in ours:
        service.scheduler.schedule[name].total_run_count = 7  # saved as beat stops
    closing = dbm.dumb._Database.close

    def close_refused(database):
        def refuse(file):  # as the .dir it has just made empty is written
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), file)

        database._chmod = refuse
        closing(database)

    monkeypatch.setattr(dbm.dumb._Database, "close", close_refused)
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    service.stop()
    caplog.clear()

    with pytest.raises(SystemExit) as stopped:
        service.start()
    status = stopped.value.code
    del stopped, service
    gc.collect()
    monkeypatch.undo()
    cut_short = Path(schedule + ".dir").read_bytes()
    stopped_with = warnings_logged(caplog)
    caplog.clear()
    read = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    counts = {name: read.schedule[name].total_run_count for name in ours}
    read.close()
    restored_with = warnings_logged(caplog)
    caplog.clear()
    PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False).close()

    assert status == 4  # it was 1, with Celery's traceback
    assert stopped_with == [
        f"beat cannot write its schedule file {schedule}: {os.strerror(errno.ENOSPC)}. "
        + NO_ROOM.format(account=running_account())
    ]
    assert unraisable == []
    assert cut_short == b""
    assert counts == dict.fromkeys(ours, 7)  # each was 0: made again
    assert restored_with == [
        f"beat found its schedule file's index {schedule}.dir empty, a save refused (a full "
        f"disk): it is restored from {schedule}.bak, as last saved."
    ]
    assert warnings_logged(caplog) == []  # started again: its .dir whole, the .bak left alone


def test_beat_replaces_a_schedule_file_berkeley_db_finds_invalid(tmp_path, monkeypatch, caplog):
    """Berkeley DB (ndbm, Debian's python3) answers a file it cannot read as a database, a
    corrupt one, with an OSError of an errno, EINVAL: Celery's to delete and make again, where
    any other errno is the system's refusal, which stops beat."""
    schedule = str(tmp_path / "celerybeat-schedule")
    PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False).close()
    dbm_open = dbm.open
    failures = []

    def invalid_once(filename, *args):
        if not failures:
            failures.append(True)
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL), filename)
        return dbm_open(filename, *args)

    monkeypatch.setattr(dbm, "open", invalid_once)
    caplog.clear()

    scheduler = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    scheduler.close()

    assert failures == [True]
    assert "Removing corrupted schedule file" in caplog.text and "Invalid argument" in caplog.text
    assert "beat cannot write its schedule file" not in caplog.text


def test_beat_replaces_a_schedule_file_its_first_write_finds_corrupt(tmp_path, monkeypatch, caplog):
    """A file of no schedule yet whose first write fails with an OSError of no errno, as GNU
    dbm's error on a malformed file (an OSError too, as dbm.dumb's own), is corrupt, not
    refused: Celery's to delete and make again, as before orgsite.beat stopped on a refused
    write there. Only the errnos of a file beat may not write stop it."""
    schedule = str(tmp_path / "celerybeat-schedule")
    dbm.dumb.open(schedule, "c").close()
    addval = dbm.dumb._Database._addval
    failures = []

    def fail_once(database, *args):
        if not failures:
            failures.append(True)
            raise dbm.dumb.error("malformed")
        return addval(database, *args)

    monkeypatch.setattr(dbm.dumb._Database, "_addval", fail_once)
    caplog.clear()

    scheduler = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    scheduler.close()

    assert failures == [True]
    assert "Removing corrupted schedule file" in caplog.text
    assert "beat cannot write its schedule file" not in caplog.text


@pytest.mark.parametrize(
    ("data", "garbage", "error"),
    [
        ("emptied", b"", "EOFError"),
        ("zeroed", b"", "UnpicklingError"),
        ("tz", b"", "UnpicklingError"),
        ("utc_enabled", b"", "UnpicklingError"),
        ("tz", b"\x82\xeb", "ValueError"),  # an extension code no one registered
        ("tz", b"\x8d" + b"\xff" * 8, "OverflowError"),  # a string longer than memory
        ("tz", b")\x98", "TypeError"),  # an empty tuple read as bytes
        ("utc_enabled", b"L\xf9\n", "UnicodeDecodeError"),  # a number in no ASCII
        ("entries", b"\x8d" + b"\xff" * 8, "OverflowError"),  # one Celery lets through
    ],
    ids=[
        "emptied",
        "zeroed",
        "tz zeroed",
        "utc_enabled zeroed",
        "tz ValueError",
        "tz OverflowError",
        "tz TypeError",
        "utc_enabled UnicodeDecodeError",
        "entries OverflowError",
    ],
)
def test_beat_replaces_a_schedule_file_whose_entries_are_gone_from_its_data(
    tmp_path, caplog, data, garbage, error
):
    """dbm.dumb's .dat emptied (a copy cut short, a disk that filled as it was written) while
    its index, the .dir, still lists the entries: reading them raised EOFError, which Celery
    does not take for a corrupt file, and beat died of its traceback. Its bytes zeros (what a
    crash may leave), Celery made the entries again, and beat died of an UnpicklingError as it
    read the time zone or whether UTC is on (either alone zeroed too), or of pickle's other
    errors where either, or the entries, holds other bytes no pickle could be. Each is
    replaced."""
    schedule = str(tmp_path / "celerybeat-schedule")
    dbm.dumb.open(schedule, "c").close()  # Python's own dbm, which any Python has
    made = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    entries = set(made.schedule)
    made.close()
    dat = Path(f"{schedule}.dat")
    if data in ("entries", "tz", "utc_enabled"):  # its bytes alone, where the index says they are
        index = dict(map(ast.literal_eval, Path(f"{schedule}.dir").read_text().splitlines()))
        start, length = index[data]
        written = dat.read_bytes()
        value = garbage.ljust(length, b"\0")
        dat.write_bytes(written[:start] + value + written[start + length :])
    else:
        dat.write_bytes(bytes(0 if data == "emptied" else dat.stat().st_size))
    caplog.clear()

    scheduler = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    scheduler.close()

    assert "Removing corrupted schedule file" in caplog.text and error in caplog.text
    assert "beat cannot write its schedule file" not in caplog.text
    again = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    read_back = set(again.schedule)  # the entries written, read by the next start
    again.close()
    assert read_back == entries and entries


@pytest.mark.parametrize("error", [TypeError, ValueError], ids=lambda error: error.__name__)
def test_an_error_of_code_as_beat_sets_up_its_schedule_keeps_the_file(
    tmp_path, monkeypatch, caplog, error
):
    """Pickle's errors reading the file's values are a corrupt file's (a3cd3f8), but a
    TypeError or ValueError of code (Celery's, or orgsite.beat's as it stops beat) caught with
    them had a good file deleted and made again, when each task last ran lost, at every start:
    it is raised, the file kept."""
    schedule = str(tmp_path / "celerybeat-schedule")
    dbm.dumb.open(schedule, "c").close()  # Python's own dbm, which any Python has
    PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False).close()
    kept = {suffix: Path(schedule + suffix).read_bytes() for suffix in (".dat", ".dir")}

    def fail(scheduler):
        raise error("a bug")

    monkeypatch.setattr(celery_beat.PersistentScheduler, "_create_schedule", fail)
    caplog.clear()

    with pytest.raises(error, match="a bug"):
        PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)

    assert "Removing corrupted schedule file" not in caplog.text
    assert {suffix: Path(schedule + suffix).read_bytes() for suffix in kept} == kept


class _CrontabNoLongerValid:
    """Unpickles as a crontab its Celery refuses: `args` "99", as a release stricter than the
    one that stored it may (a ValueError), or more than its crontab takes, as a release whose
    crontab took more may (a TypeError)."""

    def __init__(self, *args: str) -> None:
        self.args = args

    def __reduce__(self) -> tuple:
        return (crontab, self.args)


@pytest.mark.parametrize(
    ("args", "warned"),
    [(("99",), "Invalid end range"), (("*",) * 9, None)],
    ids=["value-error", "type-error"],
)
def test_beat_makes_again_entries_it_can_no_longer_load_and_keeps_the_file(
    tmp_path, caplog, args, warned
):
    """A stored crontab its Celery now refuses is no corrupt file: Celery makes the entries
    again from beat_schedule (with a warning for a ValueError). c5bb6dd's read of the entries
    took its ValueError or TypeError for one, and beat logged "Removing corrupted schedule
    file" with its traceback and deleted the file."""
    schedule = str(tmp_path / "celerybeat-schedule")
    dbm.dumb.open(schedule, "c").close()  # Python's own dbm, which any Python has
    made = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    entries = set(made.schedule)
    made.close()
    with shelve.Shelf(dbm.dumb.open(schedule, "w")) as store:
        stored = store["entries"]
        next(iter(stored.values())).schedule = _CrontabNoLongerValid(*args)
        store["entries"] = stored
    caplog.clear()

    read = PersistentScheduler(app=celery_app, schedule_filename=schedule, lazy=False)
    read_back = set(read.schedule)
    read.close()

    assert "Removing corrupted schedule file" not in caplog.text
    if warned:
        assert "Cannot load the stored entries" in caplog.text and warned in caplog.text
    assert read_back == entries and entries


def test_beat_replaces_a_corrupt_schedule_file_and_runs(celery_processes):
    """A file it can write but not read is Celery's to delete and make again: only a file beat
    may not write stops it (orgsite.beat)."""
    celery_processes.use_broker("filesystem")
    celery_processes.env.update(SYNC_DISPATCH_EVERY_SECONDS=DISPATCH_EVERY_SECONDS)
    schedule = celery_processes.var_dir / "celerybeat-schedule"
    schedule.write_bytes(b"not a schedule" * 100)
    beat = celery_processes.start("beat", "--loglevel=INFO", f"--schedule={schedule}")
    celery_processes.wait_until_beat_starts(beat)
    celery_processes.wait_for(lambda: "Sending due task" in celery_processes.logs())

    beat.terminate()
    beat.wait(timeout=celery_processes.work_timeout)

    logs = celery_processes.logs()
    assert beat.returncode == 0
    assert "Removing corrupted schedule file" in logs
    assert "beat cannot write its schedule file" not in logs
