"""Celery tasks. Each takes ids, fetches, and calls a service; the beat schedule is in settings."""

from smtplib import SMTPException

from celery import Task, shared_task
from django.conf import settings

from .notifications import reminders
from .notifications import services as notifications


class NotificationTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        # Called once, when Celery stops retrying: the failure must stay visible, not vanish in a log.
        notifications.notification_give_up(
            notification_id=kwargs.get("notification_id", args[0] if args else None), error=exc
        )


@shared_task(
    base=NotificationTask,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=settings.NOTIFICATION_RETRY_BACKOFF,
    retry_backoff_max=settings.NOTIFICATION_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=settings.NOTIFICATION_MAX_RETRIES,
)
def send_notification(notification_id: int) -> bool:
    return notifications.notification_send(notification_id=notification_id)


@shared_task
def send_notifications(notification_ids: list[int]) -> int:
    """Send a sweep's batch in one go; whatever failed is retried one by one, with backoff.

    The batch was each notification's first attempt, so its own task starts as the first retry.
    """
    sent, failures = notifications.notifications_send(notification_ids=notification_ids)
    for notification_id, _error in failures:
        send_notification.apply_async((notification_id,), countdown=settings.NOTIFICATION_RETRY_BACKOFF, retries=1)
    return len(sent)


@shared_task
def reminders_sweep() -> int:
    return reminders.run_sweeps()


@shared_task
def reviewer_digest_sweep() -> int:
    from .reviewing.new_work import claim_new_work_digests

    return reminders.claim_reviewer_digests() + claim_new_work_digests()


@shared_task
def papers_reminder_sweep() -> int:
    from .reviewing.papers import claim_papers_reminders

    return claim_papers_reminders()


@shared_task
def signed_copy_check(check_id: int, language: str | None = None) -> str | None:
    from .documents.quarantine import upload_check_run

    return upload_check_run(check_id=check_id, language=language)
