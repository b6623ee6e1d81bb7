from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class RequestsAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "requests_app"
    verbose_name = _("Licence portal")

    def ready(self):
        # Importing these connects their signal receivers and registers their Celery tasks and checks.
        from .access import mfa  # noqa: F401  (second-factor receivers)
        from .audit import tasks as audit_tasks  # noqa: F401  (the audit digest task)
        from .i18n import signals as language_signals  # noqa: F401  (the language receivers)
        from .identity import receivers  # noqa: F401  (the representative's email)
        from .identity import tasks as identity_tasks  # noqa: F401  (its reminder task)
        from .integrations import admin, signals  # noqa: F401  (the RequestEvent receiver; admin pages)
        from .ops import checks  # noqa: F401  (the production system checks)
        from .privacy import tasks as privacy_tasks  # noqa: F401  (the retention sweep)
        from .reviewing import new_work  # noqa: F401  (the receiver that turns new work into emails)
        from .search import ensure_sqlite_index

        # A later migration that rebuilds the requests table on SQLite drops the search index's triggers.
        post_migrate.connect(lambda using, **kwargs: ensure_sqlite_index(connections[using]), sender=self, weak=False)
