from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.core import checks
from django.db.backends.signals import connection_created


class JobsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "jobs"

    def ready(self) -> None:
        from jobs.search import sqlite_functions_register
        from orgsite.checks import (
            database_ctype_check,
            email_backend_check,
            from_email_check,
            greenhouse_api_base_check,
            local_defaults_check,
            organization_slugs_check,
            refresh_cooldown_check,
            site_url_check,
            unsent_email_check,
        )

        connection_created.connect(sqlite_functions_register)
        checks.register(local_defaults_check, deploy=True)
        checks.register(site_url_check, deploy=True)
        checks.register(unsent_email_check, deploy=True)
        checks.register(email_backend_check)
        checks.register(from_email_check)
        checks.register(greenhouse_api_base_check)
        checks.register(refresh_cooldown_check)
        checks.register(database_ctype_check, checks.Tags.database)
        checks.register(organization_slugs_check, checks.Tags.database)


class StaffAccountLockingAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on its own site (jobs.admin_site): INSTALLED_APPS names it."""

    default = False  # not the jobs app's config, which Django picks as this module's default
    default_site = "jobs.admin_site.StaffAccountLockingAdminSite"
