"""The README's Operations section as an operator follows it: what its commands do, as it says."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import manage

ROOT = Path(__file__).resolve().parent.parent


def operations() -> str:
    """The Operations section, its lines joined with spaces."""
    section = (ROOT / "README.md").read_text().split("\n## Operations\n")[1].split("\n## ")[0]
    return " ".join(section.split())


def test_the_upgrade_note_gives_the_exit_status_of_a_manage_py_check_error(
    settings, monkeypatch, capsys
):
    """manage.py stops on a system check's error as Django's commands do, not with the 4 of a
    refused setting, which the note gave it too."""
    said = re.search(
        r"the `manage.py` commands that run the checks stop on one as Django's do, as before: "
        r"`SystemCheckError`, the list of issues, and exit status (\d+)",
        operations(),
    )
    settings.DEFAULT_FROM_EMAIL = "not an address"
    # Not LOGGING applied again by Django's setup, which manage.py runs: the root logger's new
    # console handler wrote to capsys's standard error, closed after this test, and so every
    # later test of the process that logged did (test_log_masking's failed on it).
    settings.LOGGING_CONFIG = None
    monkeypatch.setattr(sys, "argv", ["manage.py", "check"])

    with pytest.raises(SystemExit) as stopped:
        manage.main()

    assert capsys.readouterr().err.startswith("SystemCheckError:")
    assert said and stopped.value.code == int(said.group(1))
