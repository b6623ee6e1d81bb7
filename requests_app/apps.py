from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'requests_app'

    def ready(self):
        from .i18n import signals  # noqa: F401  (connects the language receivers)
        from .identity import receivers, tasks  # noqa: F401  (the representative's email; its reminder task)
        from .privacy import tasks as privacy_tasks  # noqa: F401  (the retention sweep)
