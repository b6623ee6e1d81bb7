"""The Celery app, configured from Django settings (every CELERY_* setting, see settings.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accessportal.settings")

app = Celery("accessportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
