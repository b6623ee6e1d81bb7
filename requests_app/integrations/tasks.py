"""Celery tasks of the download side. Each takes ids, fetches, and calls this package's functions."""

from celery import Task, shared_task
from django.conf import settings

from . import webhooks


@shared_task
def request_event_happened(event_id: int) -> int:
    """A request changed status: send the dataset's webhooks."""
    delivery_ids = webhooks.deliveries_for_event(event_id=event_id)
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)
    return len(delivery_ids)


class WebhookTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        webhooks.give_up(delivery_id=kwargs.get("delivery_id", args[0] if args else None), error=exc)


@shared_task(
    base=WebhookTask,
    autoretry_for=(webhooks.WebhookFailed,),
    retry_backoff=settings.WEBHOOK_RETRY_BACKOFF,
    retry_backoff_max=settings.WEBHOOK_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.WEBHOOK_MAX_RETRIES,
)
def deliver_webhook(delivery_id: int) -> bool:
    return webhooks.deliver(delivery_id=delivery_id).delivered_at is not None
