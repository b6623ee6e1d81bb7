from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'requests_app'

    def ready(self):
        # Registers the receiver that turns new work into emails (and their senders).
        from .reviewing import new_work  # noqa: F401
