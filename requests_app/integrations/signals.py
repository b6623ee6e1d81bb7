"""The download side hears of every status change from the RequestEvent the change writes, and of
changed agreements to re-accept from the signals of agreement_format/reacceptance.py.

Nothing is sent inside the transaction: the task is queued on commit, so a change that rolls back
sends nothing, and the task reads the committed rows.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from requests_app.agreement_format.reacceptance import reacceptance_done, reacceptance_needed
from requests_app.models import RequestEvent

from . import tasks, webhooks


@receiver(post_save, sender=RequestEvent, dispatch_uid="integrations_request_event")
def request_event_created(sender, instance: RequestEvent, created: bool, **kwargs):
    if created and instance.from_status != instance.to_status:
        transaction.on_commit(partial(tasks.request_event_happened.delay, instance.pk))


@receiver(reacceptance_needed, dispatch_uid="integrations_reacceptance_needed")
def licensees_must_reaccept(sender, version, request_ids: list[int], **kwargs):
    transaction.on_commit(
        partial(
            tasks.reacceptance_changed.delay,
            webhooks.REACCEPTANCE_NEEDED,
            version.pk,
            list(request_ids),
        )
    )


@receiver(reacceptance_done, dispatch_uid="integrations_reacceptance_done")
def licensee_reaccepted(sender, reacceptance, **kwargs):
    transaction.on_commit(
        partial(
            tasks.reacceptance_changed.delay,
            webhooks.REACCEPTED,
            reacceptance.agreement_version_id,
            [reacceptance.request_id],
        )
    )
