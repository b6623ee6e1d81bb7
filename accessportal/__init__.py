# Loaded with Django so that @shared_task binds to the configured app and beat finds its schedule.
from .celery import app as celery_app

__all__ = ("celery_app",)
