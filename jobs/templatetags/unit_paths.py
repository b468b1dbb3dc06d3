"""How a job's line in a list of jobs names its departments."""

from __future__ import annotations

from collections.abc import Sequence

from django import template

register = template.Library()

DEPARTMENTS_IN_A_LINE = 3


@register.filter
def departments_in_a_line(paths: Sequence[tuple[str, ...]]) -> tuple[Sequence, int]:
    """The first DEPARTMENTS_IN_A_LINE of a job's department paths, and how many more it has:
    a post in every department (a general application) took a line of the list for each, 40
    lines on a phone. The job's page names them all."""
    return paths[:DEPARTMENTS_IN_A_LINE], max(len(paths) - DEPARTMENTS_IN_A_LINE, 0)
