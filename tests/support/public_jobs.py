"""Data for the visitor-page tests: the acme board synced, or jobs made directly.

Synced fixture boards show real shapes; jobs made directly make exact cases (a featured job, a
hidden one, 500 of them) cheap to set up.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jobs.models import Department, GreenhouseConnection, Job, Office, Organization, SyncRun
from jobs.sync import sync_organization
from jobs.text import as_searched, tags_as_searched

_greenhouse_ids = itertools.count(4_100_000_000_001)  # beyond 32 bits, like real ids


@pytest.fixture
def synced_acme(acme: GreenhouseConnection) -> Organization:
    """The acme persona synced from the fake Greenhouse (6 open jobs), with a public profile."""
    result = sync_organization(acme, trigger=SyncRun.Trigger.COMMAND)
    assert result.ok, result.error
    Organization.objects.filter(pk=acme.organization_id).update(
        description="Robot arms with a light touch.", website="https://acme-robotics.example"
    )
    acme.organization.refresh_from_db()
    return acme.organization


def next_greenhouse_id() -> int:
    return next(_greenhouse_ids)


def make_unit(
    model: type[Department] | type[Office], organization: Organization, name: str, **fields: Any
):
    return model.objects.create(
        organization=organization, greenhouse_id=next_greenhouse_id(), name=name, **fields
    )


def job_to_make(organization: Organization, title: str, **fields: Any) -> Job:
    """An open job not yet saved, with the searched forms save() keeps, for bulk_create()."""
    greenhouse_id = fields.pop("greenhouse_id", next_greenhouse_id())
    now = timezone.now()
    values = {
        "absolute_url": f"https://job-boards.greenhouse.io/{organization.slug}/jobs/{greenhouse_id}",
        "first_published_at": now - timedelta(days=3),
        "greenhouse_updated_at": now - timedelta(days=1),
        "excerpt": f"{title}: a plain-text excerpt.",
        "description_html": f"<p>{title}: a sanitized description.</p>",
        **fields,
    }
    job = Job(organization=organization, greenhouse_id=greenhouse_id, title=title, **values)
    job.search_title = as_searched(title)
    job.search_tags = tags_as_searched(job.tags)
    return job


def make_job(
    organization: Organization,
    title: str,
    *,
    departments: tuple[Department, ...] = (),
    offices: tuple[Office, ...] = (),
    **fields: Any,
) -> Job:
    job = job_to_make(organization, title, **fields)
    job.save()
    job.departments.set(departments)
    job.offices.set(offices)
    return job


def make_many_jobs(organization: Organization, count: int) -> list[Job]:
    """`count` open jobs in bulk, spread over 5 departments and 3 offices; a few closed and
    hidden ones too, which no page may list."""
    departments = [make_unit(Department, organization, f"Department {n}") for n in range(5)]
    offices = [make_unit(Office, organization, f"Office {n}") for n in range(3)]
    now = timezone.now()
    jobs = Job.objects.bulk_create(
        [
            Job(
                organization=organization,
                greenhouse_id=next_greenhouse_id(),
                title=f"Engineer {n:04d}",
                search_title=f"Engineer {n:04d}",  # as save() would: bulk_create() calls none
                excerpt=f"Engineer number {n}.",
                description_html=f"<p>Engineer number {n}.</p>",
                search_text=f"Office {n % 3} Department {n % 5} Engineer number {n}.",
                location_name=f"City {n % 4}",
                absolute_url=f"https://job-boards.greenhouse.io/{organization.slug}/jobs/{n}",
                first_published_at=now - timedelta(minutes=n),
                greenhouse_updated_at=now - timedelta(minutes=n),
                featured=n % 50 == 0,
                remote_policy=Job.RemotePolicy.REMOTE if n % 2 else "",
                is_open=n % 40 != 1,
                hidden=n % 40 == 2,
            )
            for n in range(count)
        ]
    )
    if any(job.pk is None for job in jobs):
        jobs = list(Job.objects.filter(organization=organization).order_by("title"))
    for through, column, units in (
        (Job.departments.through, "department_id", departments),
        (Job.offices.through, "office_id", offices),
    ):
        through.objects.bulk_create(
            [
                through(job_id=job.pk, **{column: units[n % len(units)].pk})
                for n, job in enumerate(jobs)
            ]
        )
    return jobs
