"""The download side hears of every status change from the RequestEvent the change writes.

Nothing is sent inside the transaction: the task is queued on commit, so a change that rolls back
sends nothing, and the task reads the committed event.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from requests_app.models import RequestEvent

from . import tasks


@receiver(post_save, sender=RequestEvent, dispatch_uid="integrations_request_event")
def request_event_created(sender, instance: RequestEvent, created: bool, **kwargs):
    if created and instance.from_status != instance.to_status:
        transaction.on_commit(partial(tasks.request_event_happened.delay, instance.pk))
