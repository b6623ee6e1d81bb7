from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'requests_app'

    def ready(self):
        from .access import mfa  # noqa: F401  (connects the second-factor signal receivers)
        from .audit import tasks  # noqa: F401  (registers the audit digest task with Celery)
        from .integrations import admin, signals  # noqa: F401  (the RequestEvent receiver; admin pages)
        from .ops import checks  # noqa: F401  (registers the production system checks)

        # Registers the receiver that turns new work into emails (and their senders).
        from .reviewing import new_work  # noqa: F401
