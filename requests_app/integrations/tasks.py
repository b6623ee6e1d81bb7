"""Celery tasks of the download side. Each takes ids, fetches, and calls this package's functions."""

from celery import Task, shared_task
from django.conf import settings

from requests_app.models import LicenseRequest, RequestEvent

from . import huggingface, webhooks

Status = LicenseRequest.Status


@shared_task
def request_event_happened(event_id: int) -> int:
    """A request changed status: send the dataset's webhooks, and follow it on a gated Hugging Face repository."""
    event = RequestEvent.objects.select_related("request__dataset").get(pk=event_id)
    delivery_ids = webhooks.deliveries_for_event(event=event)
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)
    licence = event.request
    if licence.dataset.hf_repo and licence.hf_username:
        if event.to_status == Status.APPROVED:
            hf_grant_access.delay(licence.pk)
        elif event.to_status in (Status.REVOKED, Status.EXPIRED):
            hf_cancel_access.delay(licence.pk)
    return len(delivery_ids)


@shared_task
def reacceptance_changed(kind: str, version_id: int, request_ids: list[int]) -> int:
    """Licensees must accept a changed agreement, or one accepted it: send the datasets' webhooks, and
    on a gated Hugging Face repository hold their access until they accept, then give it back."""
    delivery_ids = webhooks.deliveries_for_reacceptance(kind=kind, version_id=version_id, request_ids=request_ids)
    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id)
    follow = hf_cancel_access if kind == webhooks.REACCEPTANCE_NEEDED else hf_grant_access
    gated = LicenseRequest.objects.filter(pk__in=request_ids).exclude(dataset__hf_repo="").exclude(hf_username="")
    for request_id in gated.order_by("pk").values_list("pk", flat=True):
        follow.delay(request_id)
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


@shared_task
def hf_grant_access(request_id: int) -> bool:
    return huggingface.hf_grant(request_id=request_id)


@shared_task
def hf_cancel_access(request_id: int) -> bool:
    return huggingface.hf_cancel(request_id=request_id)


@shared_task
def hf_pending_sweep() -> dict[str, list[str]]:
    return huggingface.hf_pending_sweep()
