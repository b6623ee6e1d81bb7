from celery import shared_task

from .. import clock
from . import selectors, services


@shared_task
def personal_data_sweep() -> int:
    """Remove the personal data that has been kept long enough; safe to run twice (each removal is claimed)."""
    now = clock.now()
    return sum(
        services.personal_data_remove(request=request, now=now)
        for request in selectors.due_for_removal(now=now).iterator(chunk_size=200)
    )
