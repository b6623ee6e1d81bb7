"""The representatives' reminders: the sweep selects, the service claims and sends."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from .. import clock
from . import selectors, services


@shared_task
def representative_reminders_sweep() -> int:
    now = clock.now()
    return sum(
        services.representative_remind(confirmation=confirmation, now=now)
        for confirmation in selectors.reminders_due(now=now).iterator(chunk_size=500)
    )


@shared_task(
    autoretry_for=(SMTPException, OSError),
    retry_backoff=settings.NOTIFICATION_RETRY_BACKOFF,
    retry_backoff_max=settings.NOTIFICATION_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.NOTIFICATION_MAX_RETRIES,
)
def send_representative_email(confirmation_id: int, reminder: bool) -> None:
    services.representative_email_send(confirmation_id=confirmation_id, reminder=reminder)
