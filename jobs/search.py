"""Keyword search over jobs: the text the sync stores, and the query that searches it.

PostgreSQL ranks with its full-text search; SQLite (local use, tests) falls back to matching each
word anywhere, which is enough for a few hundred jobs.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from jobs.greenhouse import JobPost
from jobs.models import Job
from jobs.sanitize import text_of

SEARCH_TEXT_LENGTH = 50_000
# "simple" keeps every word as written: boards mix languages, and English's stop words would
# drop "IT" and "US" from a job search.
SEARCH_CONFIG = "simple"


def search_text_of(post: JobPost, *, description_html: str) -> str:
    """What a keyword can match besides the title and org name: where, which teams, and the text."""
    units = [unit.name for unit in (*post.departments, *post.offices)]
    places = [unit.location for unit in post.offices if unit.location]
    description_text = text_of(description_html)[:SEARCH_TEXT_LENGTH]
    return " ".join([post.location_name, *units, *places, description_text]).strip()


def filter_by_keywords(jobs: QuerySet[Job], query: str) -> QuerySet[Job]:
    """Jobs matching every word of the query; on PostgreSQL annotated with `search_rank`."""
    query = query.strip()
    if not query:
        return jobs
    if connection.vendor == "postgresql":
        vector = (
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("organization__name", weight="A", config=SEARCH_CONFIG)
            + SearchVector("search_text", weight="C", config=SEARCH_CONFIG)
        )
        search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
        # alias(), not annotate(): the vector is for matching only, never worth sending back.
        return (
            jobs.alias(search=vector)
            .filter(search=search_query)
            .annotate(search_rank=SearchRank(vector, search_query))
        )
    for word in query.split():
        word = word.strip("\"'")
        jobs = jobs.filter(
            Q(title__icontains=word)
            | Q(organization__name__icontains=word)
            | Q(search_text__icontains=word)
        )
    return jobs
