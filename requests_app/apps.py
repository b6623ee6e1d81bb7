from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'requests_app'

    def ready(self):
        from .integrations import admin, signals  # noqa: F401  (the RequestEvent receiver; admin pages)
