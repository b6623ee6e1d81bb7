"""Which requests' personal data is due for removal."""

import datetime

from django.conf import settings
from django.db.models import Max, Q

from ..workflow import Status


def due_for_removal(*, now: datetime.datetime):
    """Requests whose personal data has been kept more than PERSONAL_DATA_RETENTION_DAYS since they closed.

    Closed: rejected or revoked (decided_at), withdrawn (the withdrawal's event), expired (expires_at).
    An approved licence and every open request are kept.
    """
    from ..models import LicenseRequest

    cutoff = now - datetime.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    candidates = LicenseRequest.objects.filter(personal_data_removed_at__isnull=True)
    decided = Q(status__in=[Status.REJECTED, Status.REVOKED], decided_at__lt=cutoff)
    expired = Q(status=Status.EXPIRED, expires_at__lt=cutoff)
    withdrawn = (
        candidates.filter(status=Status.WITHDRAWN)
        .annotate(closed_at=Max("events__at", filter=Q(events__to_status=Status.WITHDRAWN)))
        .filter(closed_at__lt=cutoff)
        .values("pk")
    )
    return candidates.filter(decided | expired | Q(pk__in=withdrawn)).order_by("pk")
