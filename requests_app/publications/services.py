"""Recording a paper a licensee reports."""

from django.db import transaction
from django.utils.translation import gettext as _

from .. import clock
from ..applications.selectors import active_licences
from ..models import LicenseRequest, Publication
from ..workflow import TransitionNotAllowed


@transaction.atomic
def publication_report(*, request: LicenseRequest, user, fields: dict) -> Publication:
    """The licensee reports a paper that uses the dataset; only while their licence is active."""
    if not active_licences(now=clock.now()).filter(pk=request.pk, applicant=user).exists():
        raise TransitionNotAllowed(
            _("Papers can be reported only under an active licence; %(reference)s is not one.")
            % {"reference": request.reference}
        )
    return Publication.objects.create(request=request, reported_by=user, reported_at=clock.now(), **fields)
