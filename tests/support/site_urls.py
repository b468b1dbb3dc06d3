"""The site's URLs as the URL conf lists them, and every row of the database, for the tests
that ask each URL as each persona what it may do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

# Made for every registered ModelAdmin; covered through the admin's registry, not one by one.
ADMIN_MODEL_URL_ACTIONS = ("changelist", "add", "history", "delete", "change")


@dataclass(frozen=True)
class SiteUrl:
    name: str
    route: str
    params: tuple[str, ...]


def walk(patterns, *, namespace: str = "", prefix: str = "", params=()) -> Iterator[SiteUrl]:
    for entry in patterns:
        entry_params = (*params, *entry.pattern.regex.groupindex)
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from walk(entry.url_patterns, namespace=inner, prefix=route, params=entry_params)
        elif isinstance(entry, URLPattern):
            name = entry.name or ("catch_all" if "(?P<url>.*)" in route else route)
            yield SiteUrl(f"{namespace}:{name}" if namespace else name, route, entry_params)


def is_admin_model_url(site_url: SiteUrl) -> bool:
    """A URL the admin makes for each registered model (per-model names, or unnamed redirects)."""
    for model in admin.site._registry:
        app_label, model_name = model._meta.app_label, model._meta.model_name
        names = {f"admin:{app_label}_{model_name}_{action}" for action in ADMIN_MODEL_URL_ACTIONS}
        if site_url.name in names:
            return True
        if site_url.route == f"admin/{app_label}/{model_name}/<path:object_id>/":
            return True
    return False


def site_urls() -> list[SiteUrl]:
    """Every URL of the URL conf, once per name (a later one of the same name is shadowed)."""
    seen: dict[str, SiteUrl] = {}
    for site_url in walk(get_resolver().url_patterns):
        if not is_admin_model_url(site_url):
            seen.setdefault(site_url.name, site_url)
    return list(seen.values())


def every_row() -> dict[str, list[dict]]:
    """Every row of every table, sessions and many-to-many links too (the tables Django makes
    for them, which get_models() leaves out): what a request changed shows as a difference.

    Each column as stored, read with plain SQL: the ORM built each query afresh, and these
    snapshots, taken before and after each request, were most of the permission tests' time.
    """
    quote = connection.ops.quote_name
    rows = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            cursor.execute(f"SELECT * FROM {table} ORDER BY {pk}")  # noqa: S608  (model names)
            columns = [column[0] for column in cursor.description]
            rows[model._meta.label] = [dict(zip(columns, row, strict=True)) for row in cursor]
    return rows


def everything(queued: list) -> tuple:
    """What a request can change: every row, the emails sent, and the syncs queued (`queued`,
    the fixture of tests.support.broker)."""
    return every_row(), len(mail.outbox), len(queued)


def everything_after(queries: CaptureQueriesContext, before: tuple, queued: list) -> tuple:
    """everything(queued) after a request, whose statements `queries` captured, where `before`
    was everything before it. A SELECT changes no row, so the rows are read again only if the
    request ran another statement: most requests only read, and the snapshots were most of the
    permission tests' time."""
    if all(query["sql"].lstrip()[:6].upper() == "SELECT" for query in queries.captured_queries):
        return before[0], len(mail.outbox), len(queued)
    return everything(queued)
