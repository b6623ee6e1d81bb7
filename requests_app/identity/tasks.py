"""The representatives' reminders: the sweep selects, the service claims and sends."""

from celery import shared_task

from .. import clock
from . import selectors, services


@shared_task
def representative_reminders_sweep() -> int:
    now = clock.now()
    return sum(
        services.representative_remind(confirmation=confirmation, now=now)
        for confirmation in selectors.reminders_due(now=now).iterator(chunk_size=500)
    )
