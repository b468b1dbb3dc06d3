"""Large Greenhouse-shaped boards built from the project's own acme-robotics fixture.

Used by the count-pinning tests and by the benchmarks in bench/ (which import it from here, so
tests never depend on bench/). Every post is a copy of a fixture post with its own id, title,
department and office, and a description padded to a realistic size of escaped HTML.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "greenhouse" / "acme-robotics.json"
FIRST_JOB_ID = 7_000_000_000
DEPARTMENTS = ["Platform", "Hardware", "Sales", "Support", "Finance", "Research", "Design", "Ops"]
OFFICES = ["Pittsburgh, PA", "Lyon, France", "Remote - US", "Berlin, Germany", "Austin, TX"]
TITLES = ["Engineer", "Technician", "Manager", "Analyst", "Designer", "Specialist", "Lead"]
LEVELS = ["Junior", "Senior", "Staff", "Principal", ""]


def fixture_posts() -> list[dict[str, Any]]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["jobs"]["jobs"]


def synthetic_post(
    index: int,
    *,
    templates: list[dict[str, Any]],
    content_bytes: tuple[int, int],
    rng: random.Random,
) -> dict[str, Any]:
    """Post number `index`: varied id, title, department, office and description length."""
    post = copy.deepcopy(templates[index % len(templates)])
    job_id = FIRST_JOB_ID + index
    post["id"] = job_id
    post["internal_job_id"] = job_id - 1_000_000_000
    post["requisition_id"] = f"REQ-{index:05d}"
    post["title"] = f"{LEVELS[index % len(LEVELS)]} {DEPARTMENTS[index % 8]} {TITLES[index % 7]}"
    post["title"] = f"{post['title'].strip()} #{index}"
    post["absolute_url"] = f"https://job-boards.greenhouse.io/synthetic/jobs/{job_id}"
    department = index % len(DEPARTMENTS)
    office = index % len(OFFICES)
    post["departments"] = [
        {"id": 9_100_000 + department, "name": DEPARTMENTS[department], "child_ids": [],
         "parent_id": 9_100_999}
    ]  # fmt: skip
    post["offices"] = [
        {"id": 9_200_000 + office, "name": OFFICES[office], "location": OFFICES[office],
         "child_ids": [], "parent_id": None}
    ]  # fmt: skip
    post["location"] = {"name": OFFICES[office]}
    post["content"] = padded_content(post["content"], rng.randint(*content_bytes), index)
    return post


def padded_content(escaped: str, size: int, index: int) -> str:
    """The fixture's escaped HTML repeated (with a per-job paragraph) up to about `size` chars."""
    unique = f"&lt;p&gt;Reference {index}: this role joins team {index % 97}.&lt;/p&gt;\n"
    parts, length = [unique], len(unique)
    while length < size:
        parts.append(escaped)
        length += len(escaped)
    return "".join(parts)[:size].rsplit("&lt;/p&gt;", 1)[0] + "&lt;/p&gt;"


def synthetic_jobs(
    count: int, *, content_bytes: tuple[int, int] = (5_000, 15_000), seed: int = 6
) -> list[dict[str, Any]]:
    """`count` posts with ids FIRST_JOB_ID.. (deterministic for a given seed)."""
    rng = random.Random(seed)
    templates = [post for post in fixture_posts() if isinstance(post.get("content"), str)]
    return [
        synthetic_post(i, templates=templates, content_bytes=content_bytes, rng=rng)
        for i in range(count)
    ]


def churn(
    jobs: list[dict[str, Any]],
    *,
    changed: float = 0.10,
    removed: float = 0.05,
    added: float = 0.05,
    seed: int = 7,
) -> list[dict[str, Any]]:
    """A new board: `changed` of the posts edited, `removed` dropped, `added` new ones appended."""
    rng = random.Random(seed)
    count = len(jobs)
    drop = set(rng.sample(range(count), int(count * removed)))
    kept = [post for i, post in enumerate(jobs) if i not in drop]
    result = list(kept)
    for i in rng.sample(range(len(kept)), int(count * changed)):
        post = dict(kept[i])
        post["title"] = f"{post['title']} (updated)"
        post["updated_at"] = "2026-11-01T10:00:00-04:00"
        result[i] = post
    templates = [post for post in fixture_posts() if isinstance(post.get("content"), str)]
    start = max(post["id"] for post in jobs) - FIRST_JOB_ID + 1
    sizes = [len(post["content"]) for post in jobs] or [5_000]
    for i in range(start, start + int(count * added)):
        size = sizes[i % len(sizes)]
        result.append(synthetic_post(i, templates=templates, content_bytes=(size, size), rng=rng))
    return result
