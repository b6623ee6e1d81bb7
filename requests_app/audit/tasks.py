"""The audit digest task (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .digest import publish_digest


@shared_task
def audit_digest() -> str:
    return str(publish_digest())
