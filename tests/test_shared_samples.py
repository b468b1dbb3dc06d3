"""Sync the real Greenhouse responses recorded by other public projects (../shared/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from jobs.models import Job, SyncRun
from jobs.sync import sync_organization
from tests.support.helpers import make_connection

SAMPLES_DIR = Path(settings.BASE_DIR).parent / "shared" / "greenhouse-samples"
SAMPLES = sorted(SAMPLES_DIR.glob("*.json")) if SAMPLES_DIR.is_dir() else []

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not SAMPLES, reason="../shared/greenhouse-samples is not present"),
]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.name.split("__")[0])
def test_a_real_board_syncs_cleanly_and_resyncs_without_changes(sample, fake_greenhouse):
    payload = json.loads(sample.read_text())
    token = sample.name.split("__")[0]
    fake_greenhouse.load_payload(token, payload, name=token.title())
    connection = make_connection(token, token)

    first = sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)
    second = sync_organization(connection, trigger=SyncRun.Trigger.COMMAND)

    assert first.ok, first.error
    assert first.counts.created == len(payload["jobs"]) and first.counts.skipped == 0
    assert second.counts.unchanged == len(payload["jobs"])
    for job in Job.objects.filter(organization=connection.organization):
        assert job.title == job.title.strip() and job.description_html
        assert "<iframe" not in job.description_html and "style=" not in job.description_html
        assert "&lt;p&gt;" not in job.description_html
