"""When an agreement is issued for signature, its representative is asked to confirm the request."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from ..models import RequestEvent
from ..workflow import Status
from .services import representative_confirmation_send


@receiver(post_save, sender=RequestEvent, dispatch_uid="representative_asked_on_issue")
def _ask_the_representative(sender, instance, created, **kwargs):
    if created and instance.to_status == Status.AWAITING_SIGNATURE and instance.from_status != instance.to_status:
        request_id = instance.request_id
        transaction.on_commit(lambda: _send(request_id))


def _send(request_id):
    from ..models import LicenseRequest

    representative_confirmation_send(
        request=LicenseRequest.objects.select_related("dataset", "applicant").get(pk=request_id)
    )
